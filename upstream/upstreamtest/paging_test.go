package upstreamtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Quay-style paging: the Link names the next page by an opaque token, so
// only a client that sends it back unchanged gets page 2.
func TestOpaqueTagPaging(t *testing.T) {
	h := New(t, Options{})
	d := h.AddImage("someuser/app", "", SmallImage(t))
	for _, tag := range []string{"a", "b", "c"} {
		h.Tag("someuser/app", tag, d)
	}
	h.SetOpaqueTagPaging(true)
	auth := bearer(token(t, h, "someuser/app", "", ""))
	r := do(t, http.MethodGet, h.URL+"/v2/someuser/app/tags/list?n=2", auth)
	link := r.header.Get("Link")
	next, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`))
	if err != nil || next.Query().Get("next_page") == "" || next.Query().Has("last") {
		t.Fatalf("Link %q: want an opaque next_page and no last", link)
	}
	var tl tagList
	r = do(t, http.MethodGet, h.URL+next.String(), auth)
	if json.Unmarshal(r.body, &tl) != nil || !slices.Equal(tl.Tags, []string{"c"}) {
		t.Errorf("page 2 %s", r.body)
	}
	// last is not Quay's parameter: a rebuilt link starts over.
	r = do(t, http.MethodGet, h.URL+"/v2/someuser/app/tags/list?n=2&last=b", auth)
	if json.Unmarshal(r.body, &tl) != nil || !slices.Equal(tl.Tags, []string{"a", "b"}) {
		t.Errorf("with last= %s", r.body)
	}
}

// A capped registry pages a list asked for without n.
func TestDefaultTagPage(t *testing.T) {
	h := New(t, Options{})
	d := h.AddImage("someuser/app", "", SmallImage(t))
	for _, tag := range []string{"a", "b", "c"} {
		h.Tag("someuser/app", tag, d)
	}
	h.SetDefaultTagPage(2)
	r := do(t, http.MethodGet, h.URL+"/v2/someuser/app/tags/list", bearer(token(t, h, "someuser/app", "", "")))
	var tl tagList
	if json.Unmarshal(r.body, &tl) != nil || !slices.Equal(tl.Tags, []string{"a", "b"}) || r.header.Get("Link") != `</v2/someuser/app/tags/list?last=b&n=2>; rel="next"` {
		t.Errorf("capped page %s, Link %q", r.body, r.header.Get("Link"))
	}
}
