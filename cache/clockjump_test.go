package cache

import (
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// A blob pushed moments before the wall clock jumps two hours ahead is
// still within the hosted grace of an hour when the collector runs: a
// push in progress (layers up, manifest not yet) keeps its blobs.
func TestClockJumpAheadDoesNotReclaimAPushInProgress(t *testing.T) {
	s := openStore(t, t.TempDir())
	body := []byte("a layer whose manifest is still on its way")
	d := blobtest.Digest(body)
	u, err := s.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit("team/app", d); err != nil {
		t.Fatal(err)
	}
	s.wallNow = func() time.Time { return time.Now().Round(0).Add(2 * time.Hour) }
	got, err := s.CollectHosted(time.Hour)
	if err != nil || got.Blobs != 0 || !s.Hosted(d) {
		t.Fatalf("after a 2 h jump ahead: %+v, %v, still hosted %v; want the blob kept", got, err, s.Hosted(d))
	}
	s.wallNow = func() time.Time { return time.Now().Round(0) }
	if got, err := s.CollectHosted(0); err != nil || got.Blobs != 1 {
		t.Errorf("with no grace and no jump: %+v, %v; want the unreferenced blob reclaimed", got, err)
	}
}
