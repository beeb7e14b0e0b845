package mirror_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Replicas behind one balancer answer the token realm and the pushes of
// one login on different machines: with a shared TokenKey each accepts
// the tokens of the other (and a restarted mirror its own), without one
// each refuses the other's.
func TestSharedTokenKeyAcrossMirrors(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	key := bytes.Repeat([]byte("k"), mirror.MinTokenKeySize)
	for _, tc := range []struct {
		what         string
		keyA, keyB   []byte
		wantV2       int
		wantUpload   int
		wantRejected bool
	}{
		{"shared key", key, key, 200, 202, false},
		{"own keys", nil, nil, 401, 401, true},
		{"different keys", key, bytes.Repeat([]byte("j"), mirror.MinTokenKeySize), 401, 401, true},
	} {
		a := loginMirror(t, hub, mirror.Options{AnonymousPull: true, TokenKey: tc.keyA})
		b := loginMirror(t, hub, mirror.Options{AnonymousPull: true, TokenKey: tc.keyB})
		token := fetchToken(t, a, basic("dev", "push-pass"))
		if got := do(t, "GET", a+"/v2/", bearer(token)).StatusCode; got != 200 {
			t.Fatalf("%s: the issuing mirror answers its own token %d", tc.what, got)
		}
		if got := do(t, "GET", b+"/v2/", bearer(token)).StatusCode; got != tc.wantV2 {
			t.Errorf("%s: /v2/ on the other mirror with the token: %d, want %d", tc.what, got, tc.wantV2)
		}
		resp := do(t, "POST", b+"/v2/team/app/blobs/uploads/", bearer(token))
		if resp.StatusCode != tc.wantUpload {
			t.Errorf("%s: upload on the other mirror with the token: %d, want %d", tc.what, resp.StatusCode, tc.wantUpload)
		}
		if rejected := strings.Contains(resp.Header.Get("WWW-Authenticate"), "insufficient_scope"); rejected != tc.wantRejected {
			t.Errorf("%s: challenge %q", tc.what, resp.Header.Get("WWW-Authenticate"))
		}
		// Reads stay open whichever replica signed the token.
		if got := do(t, "GET", b+"/v2/library/alpine/tags/list", bearer(token)).StatusCode; got == 401 {
			t.Errorf("%s: a read with the other mirror's token was refused", tc.what)
		}
	}
}

// A key shorter than MinTokenKeySize is refused, by New and by
// LoadTokenKey with the file named, rather than signing guessable tokens.
func TestShortTokenKeyRefused(t *testing.T) {
	store, err := cache.OpenWithOptions(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, err = mirror.New(mirror.Options{Store: store, Users: loadHtpasswd(t, "dev", "p"), AnonymousPull: true,
		Registries: []mirror.Registry{{Host: "docker.io", Upstream: client(t, hub, setup{})}}, TokenKey: []byte("short")})
	if err == nil || !strings.Contains(err.Error(), "at least 32") {
		t.Errorf("New with a 5-byte key: %v", err)
	}
	dir := t.TempDir()
	short, good := filepath.Join(dir, "short"), filepath.Join(dir, "good")
	os.WriteFile(short, make([]byte, mirror.MinTokenKeySize-1), 0o600)
	os.WriteFile(good, make([]byte, mirror.MinTokenKeySize), 0o600)
	if _, err := mirror.LoadTokenKey(short); err == nil || !strings.Contains(err.Error(), short) {
		t.Errorf("31-byte key file: %v, want a refusal naming it", err)
	}
	if _, err := mirror.LoadTokenKey(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing key file was accepted")
	}
	if k, err := mirror.LoadTokenKey(good); err != nil || len(k) != mirror.MinTokenKeySize {
		t.Errorf("32-byte key file: %d bytes, %v", len(k), err)
	}
}
