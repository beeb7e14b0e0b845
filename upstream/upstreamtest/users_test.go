package upstreamtest

import (
	"net/http"
	"net/url"
	"testing"
)

// tokenStatus asks for pull on repo with Basic credentials and returns the
// status.
func tokenStatus(t *testing.T, h *Hub, repo, user, pass string) int {
	t.Helper()
	q := url.Values{"service": {"registry.docker.io"}, "scope": {"repository:" + repo + ":pull"}}
	req, _ := http.NewRequest(http.MethodGet, h.Realm+"?"+q.Encode(), nil)
	req.SetBasicAuth(user, pass)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestSetUserRotatesThePassword(t *testing.T) {
	h := New(t, Options{Users: map[string]string{"bot": "old"}})
	if s := tokenStatus(t, h, "bot/private", "bot", "old"); s != http.StatusOK {
		t.Fatalf("old password before rotation: %d", s)
	}
	h.SetUser("bot", "new")
	if s := tokenStatus(t, h, "bot/private", "bot", "old"); s != http.StatusUnauthorized {
		t.Errorf("old password after rotation: %d, want 401", s)
	}
	if s := tokenStatus(t, h, "bot/private", "bot", "new"); s != http.StatusOK {
		t.Errorf("new password: %d", s)
	}
	h.SetUser("other", "pw")
	if s := tokenStatus(t, h, "x/y", "other", "pw"); s != http.StatusOK {
		t.Errorf("added account: %d", s)
	}
}
