package upstreamtest

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

func TestTagsPagination(t *testing.T) {
	h := New(t, Options{})
	img, err := Image(1, 100, false)
	if err != nil {
		t.Fatal(err)
	}
	d := h.AddImage("someuser/app", "", img)
	for _, tag := range []string{"e", "b", "a", "d", "c"} {
		h.Tag("someuser/app", tag, d)
	}
	auth := bearer(token(t, h, "someuser/app", "", ""))
	var got [][]string
	next := "/v2/someuser/app/tags/list?n=2"
	for range 5 { // bounded: three pages expected
		r := do(t, http.MethodGet, h.URL+next, auth)
		var tl tagList
		if err := json.Unmarshal(r.body, &tl); err != nil || r.status != 200 || tl.Name != "someuser/app" {
			t.Fatalf("%d %s", r.status, r.body)
		}
		got = append(got, tl.Tags)
		link := r.header.Get("Link")
		if len(got) == 1 && link != `</v2/someuser/app/tags/list?last=b&n=2>; rel="next"` {
			t.Errorf("first Link %q", link)
		}
		if link == "" {
			break
		}
		next = link[1 : len(link)-len(`>; rel="next"`)]
	}
	want := [][]string{{"a", "b"}, {"c", "d"}, {"e"}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("pages %v", got)
	}
	r := do(t, http.MethodGet, h.URL+"/v2/someuser/app/tags/list", auth)
	if string(r.body) != `{"name":"someuser/app","tags":["a","b","c","d","e"]}` || h.Counts().TagLists != 4 {
		t.Errorf("unpaginated %s, counts %+v", r.body, h.Counts())
	}
}
