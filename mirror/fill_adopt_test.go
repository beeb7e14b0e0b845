package mirror

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/metrics"
)

// committedOnly is a blobStore that already holds every blob: a fill that
// re-checks inside the flight finds it there and must never create one.
type committedOnly struct{ body []byte }

type memBlob struct{ *bytes.Reader }

func (memBlob) Close() error { return nil }

func (c committedOnly) Open(v1.Hash) (cache.Blob, error) {
	return memBlob{bytes.NewReader(c.body)}, nil
}

func (committedOnly) Create(v1.Hash, int64, string) (cache.Pending, error) {
	return nil, errors.New("the fill downloaded a blob that was already committed")
}

func (committedOnly) Resume(v1.Hash, string) (cache.Pending, error) {
	return nil, errors.New("the fill resumed a blob that was already committed")
}

// A blob committed between a client's miss and its fill's start is served
// through the fill, whole and verified, without asking upstream.
func TestFillAdoptsABlobCommittedMeanwhile(t *testing.T) {
	body := []byte("committed while the client was missing it")
	fs := newFills(committedOnly{body}, Options{}.withFillDefaults().pieceOptions(), DefaultMaxConcurrentFills, metrics.Discard(), slog.New(slog.DiscardHandler))
	f := fs.join(&benchUpstream{}, "library/x", blobtest.Digest(body))
	defer f.release()
	blob, err := f.wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if blob.Size() != int64(len(body)) || !blob.Verified() {
		t.Errorf("adopted blob: size %d, verified %v", blob.Size(), blob.Verified())
	}
	for _, from := range []int64{0, 10} {
		got, err := io.ReadAll(blob.NewReader(context.Background(), from))
		if err != nil || !bytes.Equal(got, body[from:]) {
			t.Errorf("from %d: %q, %v", from, got, err)
		}
	}
}
