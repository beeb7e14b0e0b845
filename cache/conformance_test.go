package cache_test

import (
	"testing"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
)

func openTemp(t *testing.T, o cache.Options) *cache.Store {
	t.Helper()
	s, err := cache.OpenWithOptions(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestConformance(t *testing.T) { cachetest.Run(t, openTemp) }
