package mirror_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/mirror"
)

func TestRequireLogin(t *testing.T) {
	users := loadHtpasswd(t, "ci", "pull-pass")
	srv := httptest.NewServer(guardedMirror(t, users, metrics.Discard(), io.Discard).Handler())
	defer srv.Close()

	cases := []struct {
		name, user, pass string
		status           int
	}{
		{"no credentials", "", "", 401},
		{"wrong password", "ci", "nope", 401},
		{"unknown user", "root", "pull-pass", 401},
		{"good", "ci", "pull-pass", 200},
		{"good again (remembered)", "ci", "pull-pass", 200},
		{"wrong after good", "ci", "pull-pass2", 401},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest("GET", srv.URL+"/v2/", nil)
		if tc.user != "" {
			req.SetBasicAuth(tc.user, tc.pass)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if tc.status == 401 && resp.Header.Get("WWW-Authenticate") != `Basic realm="hubmirror"` {
			t.Errorf("%s: challenge %q", tc.name, resp.Header.Get("WWW-Authenticate"))
		}
	}
}

// loadHtpasswd writes a one-user htpasswd file, as htpasswd -B would, and
// loads it.
func loadHtpasswd(t *testing.T, user, pass string) *mirror.Htpasswd {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "htpasswd")
	if err := os.WriteFile(file, []byte("# users\n"+user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	users, err := mirror.LoadHtpasswd(file)
	if err != nil {
		t.Fatal(err)
	}
	return users
}

func TestHtpasswdRefusesWeakHashes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "htpasswd")
	os.WriteFile(file, []byte("ci:$apr1$abc$def\n"), 0o600)
	if _, err := mirror.LoadHtpasswd(file); err == nil {
		t.Error("an MD5 htpasswd entry was accepted")
	}
}
