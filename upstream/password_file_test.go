package upstream

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPasswordFileFollowsRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secret")
	os.WriteFile(path, []byte("first-secret\n"), 0o600)
	var logged bytes.Buffer
	p, err := PasswordFile("bot", path, slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	want := func(step, secret string) {
		t.Helper()
		if u, pw, err := p.Credentials(); u != "bot" || pw != secret || err != nil {
			t.Fatalf("%s: %q %q %v, want bot %q", step, u, pw, err, secret)
		}
	}
	want("as started", "first-secret")
	os.WriteFile(path, []byte("second-secret-longer\n"), 0o600) // rewritten in place
	want("rewritten in place", "second-secret-longer")
	tmp := filepath.Join(dir, "secret.new")
	os.WriteFile(tmp, []byte("third\n"), 0o600)
	os.Rename(tmp, path) // replaced, as secret managers and Kubernetes do
	want("replaced by rename", "third")
	os.Remove(path)
	want("file gone mid-rotation", "third")
	os.WriteFile(path, []byte("fourth"), 0o600)
	want("back", "fourth")

	log := logged.String()
	if strings.Count(log, "password file changed") != 3 || !strings.Contains(log, "unreadable") {
		t.Errorf("log should tell of three rotations and one unreadable file:\n%s", log)
	}
	for _, s := range []string{"first-secret", "second-secret", "third", "fourth"} {
		if strings.Contains(log, s) {
			t.Errorf("the log contains the secret %q:\n%s", s, log)
		}
	}
}

func TestPasswordFileMissingAtStart(t *testing.T) {
	if _, err := PasswordFile("bot", filepath.Join(t.TempDir(), "absent"), slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("a missing password file must stop the start")
	}
}
