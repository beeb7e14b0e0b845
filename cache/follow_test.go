package cache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// A follower gets every byte written so far except the last one of a blob
// of known size, which waits for Commit to verify the digest.
func TestFollowerWithholdsTheLastByteUntilVerified(t *testing.T) {
	s := openStore(t, t.TempDir())
	body := bytes.Repeat([]byte("follow"), 1000)
	p, err := s.Create(blobtest.Digest(body), int64(len(body)), "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Write(body); err != nil {
		t.Fatal(err)
	}
	// A cancelled context turns "wait for more" into an error at once, so
	// how far the reader got is where it would have blocked.
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	got, err := io.ReadAll(p.NewReader(cancelled, 0))
	if !errors.Is(err, context.Canceled) || !bytes.Equal(got, body[:len(body)-1]) {
		t.Fatalf("before Commit: %d of %d bytes, %v; want all but the last, then the wait", len(got), len(body), err)
	}
	if p.Verified() {
		t.Fatal("verified before Commit")
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(p.NewReader(cancelled, int64(len(body)-1)))
	if err != nil || !bytes.Equal(got, body[len(body)-1:]) {
		t.Fatalf("after Commit: %q, %v; want the last byte", got, err)
	}
}

// A follower waiting for bytes that never come learns that the blob failed.
func TestFollowersOfAFailedBlobFail(t *testing.T) {
	body := bytes.Repeat([]byte("broken"), 1000)
	for name, fail := range map[string]func(p Pending){
		"aborted":        func(p Pending) { p.Abort() },
		"corrupt":        func(p Pending) { p.Write([]byte("not the rest")); p.Commit() },
		"closed halfway": func(p Pending) { p.Close() },
	} {
		t.Run(name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			p, err := s.Create(blobtest.Digest(body), -1, "")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.Write(body[:100])
			done := make(chan error, 1)
			go func() {
				_, err := io.ReadAll(p.NewReader(context.Background(), 0))
				done <- err
			}()
			fail(p)
			if err := <-done; !errors.Is(err, ErrAborted) {
				t.Errorf("follower: %v, want ErrAborted", err)
			}
			if !p.Failed() || p.Verified() {
				t.Errorf("Failed = %v, Verified = %v", p.Failed(), p.Verified())
			}
		})
	}
}

// A client leaving wakes its follower, which returns the context's error.
func TestCancelWakesAWaitingFollower(t *testing.T) {
	s := openStore(t, t.TempDir())
	body := []byte("never finished")
	p, err := s.Create(blobtest.Digest(body), int64(len(body)), "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := p.NewReader(ctx, 0).Read(make([]byte, 10))
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("follower: %v, want context.Canceled", err)
	}
}
