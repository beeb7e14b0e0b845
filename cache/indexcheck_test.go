package cache_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
)

// damageIndex applies what to dir's Badger files.
func damageIndex(t *testing.T, dir, what string) {
	t.Helper()
	index := filepath.Join(dir, "index")
	entries, err := os.ReadDir(index)
	if err != nil {
		t.Fatal(err)
	}
	verb, kind, _ := strings.Cut(what, " ")
	for _, e := range entries {
		if e.Name() != kind && filepath.Ext(e.Name()) != "."+kind {
			continue
		}
		p := filepath.Join(index, e.Name())
		fi, _ := os.Stat(p)
		switch verb {
		case "delete":
			err = os.Remove(p)
		case "truncate":
			err = os.Truncate(p, fi.Size()/2)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	switch what {
	case "delete index/":
		err = os.RemoveAll(index)
	case "delete blobs/":
		err = os.RemoveAll(filepath.Join(dir, "blobs"))
	}
	if err != nil {
		t.Fatal(err)
	}
}

// A damaged index at start: what Badger would open as empty (losing the
// index silently) or crash on is refused with the command to run; what
// Badger survives opens with everything; and `cache rebuild` brings the
// refused ones back from the verified files.
func TestDamagedIndexAtStart(t *testing.T) {
	cases := []struct {
		what     string
		refused  bool
		entries  int64 // after opening (or rebuilding)
		tagKnown bool
	}{
		{"delete MANIFEST", true, 1, false},
		{"truncate MANIFEST", true, 1, false},
		{"delete sst", true, 1, false},
		{"truncate sst", true, 1, false},
		{"delete index/", true, 1, false},
		{"delete vlog", false, 1, true}, // values live in the tree, below the value threshold
		{"truncate vlog", false, 1, true},
		{"delete KEYREGISTRY", false, 1, true},
		{"delete blobs/", false, 0, true}, // reconciled: the records of what is gone are dropped
	}
	for _, c := range cases {
		dir := t.TempDir()
		s := mustOpen(t, dir, cache.Options{})
		b := cachetest.NewBlob("index", 100000)
		cachetest.Fill(t, s, b)
		if err := s.SetTag("docker.io", "library/x", "1", cache.Tag{Digest: b.Digest}); err != nil {
			t.Fatal(err)
		}
		s.Close()
		damageIndex(t, dir, c.what)

		s, err := cache.OpenWithOptions(dir, cache.Options{})
		if refused := errors.Is(err, cache.ErrIndexDamaged); refused != c.refused {
			t.Errorf("%s: open error %v; want refused %v", c.what, err, c.refused)
			continue
		}
		if c.refused {
			if !strings.Contains(err.Error(), "hubmirror cache rebuild --data-dir "+dir) {
				t.Errorf("%s: %q does not say what to run", c.what, err)
			}
			var aside string
			if s, aside, err = cache.Rebuild(dir, cache.Options{}); err != nil {
				t.Errorf("%s: rebuild: %v", c.what, err)
				continue
			}
			if _, err := os.Stat(aside); c.what != "delete index/" && err != nil {
				t.Errorf("%s: the damaged index was not kept aside: %v", c.what, err)
			}
		} else if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		_, terr := s.Tag("docker.io", "library/x", "1")
		if s.Entries() != c.entries || cachetest.Present(s, b) != (c.entries == 1) || (terr == nil) != c.tagKnown {
			t.Errorf("%s: %d entries, present %v, tag error %v; want %d entries, tag kept %v", c.what, s.Entries(), cachetest.Present(s, b), terr, c.entries, c.tagKnown)
		}
		cachetest.AssertAccounting(t, s)
		s.Close()
	}
}

// Pushed content whose file vanished with blobs/ is not dropped in
// silence: it has no upstream to come back from, and the log says so.
func TestLostHostedContentIsReported(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{})
	b := cachetest.NewBlob("pushed", 1000)
	u, err := s.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	u.Write(b.Body)
	if err := u.Commit("team/app", b.Digest); err != nil {
		t.Fatal(err)
	}
	s.Close()
	damageIndex(t, dir, "delete blobs/")
	var log bytes.Buffer
	s = mustOpen(t, dir, cache.Options{Log: slog.New(slog.NewTextHandler(&log, nil))})
	if !strings.Contains(log.String(), "HOSTED content is gone from disk") || !strings.Contains(log.String(), b.Digest.String()) {
		t.Errorf("the lost hosted blob is not reported:\n%s", log.String())
	}
	if s.Entries() != 0 {
		t.Errorf("%d entries for content that is gone", s.Entries())
	}
}
