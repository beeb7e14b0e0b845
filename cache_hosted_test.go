package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
	"github.com/hubmirror/hubmirror/mirror"
)

// hostedDataDir holds a mirrored image and a pushed blob in team/app.
func hostedDataDir(t *testing.T) (string, cachetest.Blob) {
	t.Helper()
	dir, _ := seededDataDir(t)
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pushed := cachetest.NewBlob("pushed layer", 3000)
	u, err := s.NewUpload()
	if err == nil {
		_, err = u.Write(pushed.Body)
	}
	if err == nil {
		err = u.Commit("team/app", pushed.Digest)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, pushed
}

// cache ls, stats and verify show hosted content; prune never removes it.
func TestCacheCommandsKeepHostedContent(t *testing.T) {
	dir, pushed := hostedDataDir(t)
	out, err := runCache(t, "ls", "--json", "--data-dir", dir)
	var doc struct {
		Blobs []struct {
			Digest string
			Hosted bool
		}
		Hosted []cache.HostedUsage
	}
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("ls --json: %v\n%s", err, out)
	}
	if len(doc.Hosted) != 1 || doc.Hosted[0].Repo != "team/app" || doc.Hosted[0].Bytes != 3000 {
		t.Errorf("ls --json hosted = %+v", doc.Hosted)
	}
	for _, b := range doc.Blobs {
		if b.Hosted != (b.Digest == pushed.Digest.String()) {
			t.Errorf("blob %s marked hosted=%v", b.Digest, b.Hosted)
		}
	}
	if out, err := runCache(t, "stats", "--data-dir", dir); err != nil || !strings.Contains(out, "hosted:       2.9 KiB (3000) in 1 repositories") {
		t.Errorf("stats: %v\n%s", err, out)
	}
	if out, err := runCache(t, "verify", "--data-dir", dir); err != nil || !strings.Contains(out, "2.9 KiB of them hosted") {
		t.Errorf("verify: %v\n%s", err, out)
	}
	if out, err := runCache(t, "prune", "--max-size", "0", "--data-dir", dir); err != nil || !strings.Contains(out, "1 blobs (2.9 KiB) remain") {
		t.Errorf("prune to 0: %v\n%s", err, out)
	}
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if f, _, err := s.HostedBlob("team/app", pushed.Digest); err != nil {
		t.Errorf("hosted blob pruned: %v", err)
	} else {
		f.Close()
	}
}

// --hosted and its bounds come from flags, HUBMIRROR_HOSTED (comma-
// separated) and the config file's hosted: list.
func TestHostedFlags(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("hosted: [\"team/*\", \"infra/*/*\"]\nhosted-max-size: 1GiB\n"), 0o600)
	check := func(args []string, want []string, quota int64) {
		t.Helper()
		runServeFlags(t, args, func(c *cli.Context) error {
			o, err := hostedOptions(c)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Hosted, want) || o.HostedMaxSize != quota || o.MaxUploads != mirror.DefaultMaxUploads ||
				o.MaxUploadSize != mirror.DefaultMaxUploadSize || o.UploadIdle != mirror.DefaultUploadIdle {
				t.Errorf("%v: %+v", args, o)
			}
			return nil
		})
	}
	check([]string{"--config", cfg}, []string{"team/*", "infra/*/*"}, 1<<30)
	check([]string{"--hosted", "a/*", "--hosted", "b/*"}, []string{"a/*", "b/*"}, 0)
	t.Setenv("HUBMIRROR_HOSTED", "team/*,ops/*")
	check(nil, []string{"team/*", "ops/*"}, 0)
}
