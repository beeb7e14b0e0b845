package cache

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// Content on disk can be damaged behind the store's back (a disk error, a
// truncating copy, a stray editor), and a blob is complete only when its
// sha256 matches. Re-hashing the whole cache at every start would cost a
// read of terabytes, so verification is lazy: the first read of a blob
// stored before this process started is hashed as it is served, and its
// last bytes are withheld until the hash matched (a client sees an
// aborted body, never a complete wrong one); its size is checked before
// anything is sent. Content this process stored was verified by its fill.
// Damaged content is removed and reported; a mirrored blob is then fetched
// again by the next request, a hosted one is lost and says so.

// checkedMax bounds the ids remembered verified: an id costs about 50
// bytes of map, so 256 Ki of them stay under 16 MiB, and they hold the
// 100 k manifests bench scenario 10's tags name with room for blobs. When
// full the set starts over, which costs only hashing again.
const checkedMax = 1 << 18

// checked remembers the blobs verified since start. A blob verified once
// and not rewritten since is still good (content under a digest is only
// ever rewritten by a new, verified fill), so it is never hashed again.
type checked struct {
	mu  sync.Mutex
	ids map[id]struct{}
}

func (c *checked) has(i id) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.ids[i]
	return ok
}

func (c *checked) add(i id) {
	c.mu.Lock()
	if c.ids == nil || len(c.ids) >= checkedMax {
		c.ids = map[id]struct{}{}
	}
	c.ids[i] = struct{}{}
	c.mu.Unlock()
}

// damaged removes content found not to match its digest, and reports it:
// loudly, and as hosted when a hosted repository held it. It claims the
// digest before it returns, so the next request is a miss that fetches
// again (a fill publishes only once the removal is done) rather than a
// second read of the damaged file; the removal itself runs off the
// request's path, since the reader that found the damage still holds it.
func (s *Store) damaged(i id, problem error) {
	claimed, release := s.claim([]victim{{id: i, at: -1}}, true)
	if len(claimed) > 0 {
		s.mu.Lock()
		s.condemned[i] = struct{}{}
		s.mu.Unlock()
	}
	go func() {
		hosted := s.Hosted(i.hash())
		msg := "cache: stored content is damaged on disk; removed, and fetched again from upstream on the next request"
		if hosted {
			msg = "cache: HOSTED content is damaged on disk; removed: it cannot be fetched again, push it again"
		}
		s.log.Error(msg, "digest", i.hash(), "hosted", hosted, "problem", problem)
		var err error
		if len(claimed) == 0 { // an eviction or a delete holds it: wait for it
			err = s.Delete(i.hash())
		} else {
			err = s.deleteClaimed(i, claimed, func() {
				s.mu.Lock()
				delete(s.condemned, i)
				s.mu.Unlock()
				release()
			})
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			s.log.Error("cache: removing damaged content", "digest", i.hash(), "error", err)
		}
	}()
}

// verifyingBlob serves a blob not verified since start, hashing what a
// read from the first byte onwards returns; other reads (a Range) pass
// through unverified, being no claim to the whole blob.
type verifyingBlob struct {
	*os.File
	store *Store
	id    id
	size  int64
	pos   int64 // where the next Read reads
	next  int64 // bytes hashed in order from 0
	hash  hash.Hash
}

func (s *Store) verifyOnRead(f *os.File, onDisk int64, i id, m Meta) (Blob, error) {
	if onDisk != m.Size {
		f.Close()
		s.damaged(i, fmt.Errorf("%w: %d bytes on disk, %d indexed", ErrCorrupt, onDisk, m.Size))
		return nil, ErrNotFound
	}
	return &verifyingBlob{File: f, store: s, id: i, size: m.Size, hash: sha256.New()}, nil
}

func (v *verifyingBlob) Seek(off int64, whence int) (int64, error) {
	pos, err := v.File.Seek(off, whence)
	if err == nil {
		v.pos = pos
	}
	return pos, err
}

// Read withholds the bytes that complete the blob until they verified.
func (v *verifyingBlob) Read(p []byte) (int, error) {
	n, err := v.File.Read(p)
	inOrder := v.pos == v.next
	v.pos += int64(n)
	if !inOrder {
		return n, err
	}
	v.hash.Write(p[:n])
	v.next += int64(n)
	if v.next < v.size {
		return n, err
	}
	if got := v.hash.Sum(nil); !bytes.Equal(got, v.id[:]) {
		v.store.damaged(v.id, fmt.Errorf("%w: the file hashes to sha256:%x", ErrCorrupt, got))
		return 0, fmt.Errorf("%w: stored %s", ErrCorrupt, v.id.hash())
	}
	v.store.verified.add(v.id)
	return n, err
}

var _ io.ReaderAt = (*verifyingBlob)(nil)
