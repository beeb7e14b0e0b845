package cache

import (
	"errors"
	"testing"
)

func TestReadyUntilClosed(t *testing.T) {
	s, err := OpenWithOptions(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(); err != nil {
		t.Fatalf("open store not ready: %v", err)
	}
	assertNoTemps(t, s.Dir())
	s.Close()
	if err := s.Ready(); !errors.Is(err, errClosed) {
		t.Errorf("closed store: %v, want errClosed", err)
	}
}
