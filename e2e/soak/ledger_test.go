package soak

import (
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// pushedImage is one image the mirror acknowledged (201 on its manifest
// PUT): from then until a delete of it is acknowledged, it must be served
// back byte for byte, across kill -9 and restarts.
type pushedImage struct {
	repo, tag string
	manifest  v1.Hash
	mediaType string
	raw       []byte
	blobs     map[string][]byte // hex → content

	state imageState // guarded by ledger.mu
}

type imageState int

const (
	live    imageState = iota // acknowledged, not deleted
	busy                      // being verified or deleted by one goroutine
	deleted                   // its delete was acknowledged
	unsure                    // a delete was sent but its answer lost
	lost                      // acknowledged, never deleted, and gone
)

// ledger is every image pushed during the run. A goroutine takes an image
// (live → busy) before it deletes or verifies it, so a verifier never
// mistakes a concurrent delete for a lost image.
type ledger struct {
	mu     sync.Mutex
	images []*pushedImage
}

// maxLive bounds the images kept: past it, pushers delete instead, so the
// check after every restart stays a bounded amount of work.
const maxLive = 40

func (l *ledger) add(img *pushedImage) {
	l.mu.Lock()
	defer l.mu.Unlock()
	img.state = live
	l.images = append(l.images, img)
}

func (l *ledger) liveCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, img := range l.images {
		if img.state == live || img.state == busy {
			n++
		}
	}
	return n
}

// take marks the i-th live image (modulo their count) busy and returns it,
// or nil if none is live.
func (l *ledger) take(i int) *pushedImage {
	l.mu.Lock()
	defer l.mu.Unlock()
	var lives []*pushedImage
	for _, img := range l.images {
		if img.state == live {
			lives = append(lives, img)
		}
	}
	if len(lives) == 0 {
		return nil
	}
	img := lives[i%len(lives)]
	img.state = busy
	return img
}

// borrow returns a layer of the i-th image pushed (modulo their count)
// and its repository, for a cross-repository mount; the image may be
// deleted meanwhile, when the mount falls back to an upload.
func (l *ledger) borrow(i int) (repo string, layer []byte, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.images) == 0 {
		return "", nil, false
	}
	img := l.images[i%len(l.images)]
	for _, b := range img.blobs {
		if len(b) > len(layer) {
			layer = b
		}
	}
	return img.repo, layer, true
}

// takeAll marks every live image busy, for a full check.
func (l *ledger) takeAll() []*pushedImage {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*pushedImage
	for _, img := range l.images {
		if img.state == live {
			img.state = busy
			out = append(out, img)
		}
	}
	return out
}

func (l *ledger) settle(img *pushedImage, s imageState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	img.state = s
}

// counts returns how many images ended in each state.
func (l *ledger) counts() map[imageState]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[imageState]int{}
	for _, img := range l.images {
		m[img.state]++
	}
	return m
}
