package upstream

import (
	"net/http"
	"testing"
)

func TestNextLink(t *testing.T) {
	for _, tc := range []struct{ link, want string }{
		{`</v2/a/tags/list?last=b&n=2>; rel="next"`, "/v2/a/tags/list?last=b&n=2"},
		{`</v2/o/r/tags/list?n=50&next_page=gAAAA%3D%3D>; rel=next`, "/v2/o/r/tags/list?n=50&next_page=gAAAA%3D%3D"},
		{`<https://r.example/v2/a/tags/list?p=1>; rel="prev", <https://r.example/v2/a/tags/list?p=3>; rel="next"`, "https://r.example/v2/a/tags/list?p=3"},
		{`</x>; title="a, b"; rel="last next"`, "/x"},
		{`</v2/a/tags/list?last=b>; rel="prev"`, ""},
		{`garbage`, ""},
		{`<unterminated; rel="next"`, ""},
		{``, ""},
	} {
		h := http.Header{}
		if tc.link != "" {
			h.Set("Link", tc.link)
		}
		if got := nextLink(h); got != tc.want {
			t.Errorf("nextLink(%q) = %q, want %q", tc.link, got, tc.want)
		}
	}
}

func FuzzNextLink(f *testing.F) {
	f.Add(`</v2/a/tags/list?last=b&n=2>; rel="next"`)
	f.Add(`<a>; rel=prev, <b>; rel=next`)
	f.Fuzz(func(t *testing.T, v string) {
		nextLink(http.Header{"Link": {v}}) // must not panic
	})
}
