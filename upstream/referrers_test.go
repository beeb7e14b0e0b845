package upstream

import (
	"errors"
	"net/url"
	"testing"
)

// A referrers page is fetched with the registry's token, so a Link naming
// any other host or scheme is refused rather than followed.
func TestReferrersNextPageStaysOnTheRegistry(t *testing.T) {
	c, err := New(Options{URL: "https://registry.example"})
	if err != nil {
		t.Fatal(err)
	}
	from, _ := url.Parse("https://registry.example/v2/a/referrers/sha256:00")
	for link, want := range map[string]string{
		"":                                    "",
		"/v2/a/referrers/sha256:00?page=2":    "https://registry.example/v2/a/referrers/sha256:00?page=2",
		"?page=3":                             "https://registry.example/v2/a/referrers/sha256:00?page=3",
		"https://registry.example/v2/x?p=1":   "https://registry.example/v2/x?p=1",
		"https://attacker.example/v2/x?p=1":   "refused",
		"http://registry.example/v2/x?p=1":    "refused",
		"//attacker.example/v2/a/referrers/x": "refused",
	} {
		next, err := c.sameRegistry(from, link)
		switch {
		case want == "refused":
			if !errors.Is(err, ErrRefusedHost) {
				t.Errorf("%q: followed to %v, want refused", link, next)
			}
		case err != nil || (next == nil) != (want == "") || (next != nil && next.String() != want):
			t.Errorf("%q: %v, %v; want %q", link, next, err, want)
		}
	}
}
