package cache

import (
	"fmt"
	"testing"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// A collection after a busy day reclaims more than one index transaction
// can hold (the soak's offline `cache gc` failed with Badger's "Txn is too
// big" after ~8,000 hosted deletes): every unreferenced upload goes, in as
// many transactions as it takes.
func TestCollectorReclaimsMoreThanOneTransactionHolds(t *testing.T) {
	const uploads = 6000
	s := openStore(t, t.TempDir())
	for n := range uploads {
		body := fmt.Appendf(nil, "layer %d, its manifest never came", n)
		u, err := s.NewUpload()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Write(body); err != nil {
			t.Fatal(err)
		}
		if err := u.Commit(fmt.Sprintf("team/app%d", n%7), blobtest.Digest(body)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.CollectHosted(0)
	if err != nil {
		t.Fatalf("collecting %d unreferenced uploads: %v", uploads, err)
	}
	if got.Links != uploads || got.Blobs != uploads || s.HostedSize() != 0 {
		t.Errorf("collected %+v, hosted %d bytes left; want %d links and blobs, 0 left", got, s.HostedSize(), uploads)
	}
}
