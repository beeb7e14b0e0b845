package cache

import (
	"bytes"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DefaultHostedGrace is how long a pushed blob no manifest refers to yet
// is kept: a client pushes its layers first and the manifest last, and a
// large image can take a while between the two.
const DefaultHostedGrace = time.Hour

// Collected says what one hosted collection reclaimed.
type Collected struct {
	Links int   // blobs unlinked from repositories no manifest of needs them
	Blobs int   // content removed: nothing hosted refers to it any more
	Bytes int64 // of those blobs
}

// CollectHosted reclaims hosted content nothing hosted needs: it unlinks a
// repository's blobs that none of its manifests refers to, then removes
// content no repository links any more. Both spare anything linked less
// than grace ago, so a push in progress (layers up, manifest not yet)
// keeps its blobs. It runs online: a link made while it runs refreshes
// the hold's time, which the removal checks under its claim.
func (s *Store) CollectHosted(grace time.Duration) (Collected, error) {
	s.maint.Lock()
	defer s.maint.Unlock()
	var got Collected
	// A clock that jumped ahead must not age a push in progress past its
	// grace: link times written before the jump are older on the new clock.
	cutoff := s.wallNow().Add(-grace - s.forwardJump())
	if err := s.flush(); err != nil {
		return got, err
	}
	needed, err := s.manifestReferences()
	if err != nil {
		return got, err
	}
	live, err := s.dropStaleLinks(needed, cutoff, &got)
	if err != nil {
		return got, err
	}
	doomed, err := s.unheld(live, cutoff)
	if err != nil || len(doomed) == 0 {
		return got, err
	}
	return got, s.release(doomed, cutoff, &got)
}

// manifestReferences is, per repository, every id its manifests are or
// refer to (configs, layers, an index's manifests).
func (s *Store) manifestReferences() (map[string]map[id]bool, error) {
	needed := map[string]map[id]bool{}
	err := s.eachKey(manifestPrefix, func(k, _ []byte) error {
		repo, i, ok := scopedID(manifestPrefix, k)
		if !ok {
			return nil
		}
		if needed[repo] == nil {
			needed[repo] = map[id]bool{}
		}
		needed[repo][i] = true
		body, _, err := s.read(i)
		if err != nil {
			return nil // a lost manifest refers to nothing
		}
		return s.db.View(func(txn *badger.Txn) error {
			for _, d := range manifestRefs(body) {
				if r, err := resolve(txn, d); err == nil {
					needed[repo][r] = true
				}
			}
			return nil
		})
	})
	return needed, err
}

// manifestRefs is what one manifest body names.
func manifestRefs(body []byte) []v1.Hash {
	if isIndex(body) {
		idx, err := v1.ParseIndexManifest(bytes.NewReader(body))
		if err != nil {
			return nil
		}
		var out []v1.Hash
		for _, m := range idx.Manifests {
			out = append(out, m.Digest)
		}
		return out
	}
	m, err := v1.ParseManifest(bytes.NewReader(body))
	if err != nil {
		return nil
	}
	out := []v1.Hash{m.Config.Digest}
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// dropStaleLinks unlinks blobs older than cutoff that no manifest of their
// repository needs, and returns every id still linked or needed.
func (s *Store) dropStaleLinks(needed map[string]map[id]bool, cutoff time.Time, got *Collected) (map[id]bool, error) {
	live := map[id]bool{}
	for _, ids := range needed {
		for i := range ids {
			live[i] = true
		}
	}
	var stale [][]byte
	err := s.eachKey(linkPrefix, func(k, v []byte) error {
		repo, i, ok := scopedID(linkPrefix, k)
		switch {
		case !ok:
		case needed[repo][i] || !readTime(v).Before(cutoff):
			live[i] = true
		default:
			stale = append(stale, k)
		}
		return nil
	})
	if err != nil || len(stale) == 0 {
		return live, err
	}
	got.Links = len(stale)
	for batch := range slices.Chunk(stale, gcBatch) {
		if err := s.update(func(txn *badger.Txn) error { return deleteKeys(txn, batch) }); err != nil {
			return live, err
		}
	}
	return live, nil
}

// gcBatch bounds the records one collector transaction changes: Badger
// refuses a transaction past a fraction of its memtable (ErrTxnTooBig,
// a few thousand deletes with the index's 4 MiB memtables), and a
// collection after a busy day of pushes and deletes reclaims more.
const gcBatch = 500

// unheld lists held content that nothing live names and that was last
// linked before cutoff.
func (s *Store) unheld(live map[id]bool, cutoff time.Time) ([]victim, error) {
	var doomed []victim
	err := s.eachKey(holdPrefix, func(k, v []byte) error {
		var i id
		if len(k) != len(holdPrefix)+len(i) {
			return nil
		}
		copy(i[:], k[len(holdPrefix):])
		if !live[i] && readTime(v).Before(cutoff) {
			doomed = append(doomed, victim{id: i, at: -1})
		}
		return nil
	})
	return doomed, err
}

// release claims the doomed content, drops the holds that are still as
// old as the walk saw them (a link since then renewed the rest), and
// removes the content. Under the claim no link can be made.
func (s *Store) release(doomed []victim, cutoff time.Time, got *Collected) error {
	claimed, done := s.claim(doomed, false)
	defer done()
	for batch := range slices.Chunk(claimed, gcBatch) {
		freed, err := s.unholdAll(batch, cutoff)
		if err != nil {
			return err
		}
		n, err := s.remove(freed)
		got.Blobs, got.Bytes = got.Blobs+n.Blobs, got.Bytes+n.Bytes
		if err != nil {
			return err
		}
	}
	return nil
}

// unholdAll drops, in one transaction, the holds of batch that are still
// as old as cutoff, and returns those.
func (s *Store) unholdAll(batch []victim, cutoff time.Time) ([]victim, error) {
	var freed []victim
	err := s.hostedUpdate(func(h *hostedTxn) error {
		freed = freed[:0]
		for _, v := range batch {
			ok, err := h.unhold(v.id, cutoff)
			if err != nil {
				return err
			}
			if ok {
				freed = append(freed, v)
			}
		}
		return nil
	})
	return freed, err
}

// unhold drops i's hold and its sha512 names if it was last linked before
// cutoff; a zero cutoff drops it whenever it was linked.
func (h *hostedTxn) unhold(i id, cutoff time.Time) (bool, error) {
	item, err := h.txn.Get(holdKey(i))
	if err != nil {
		return false, ignoreMissing(err)
	}
	v, err := item.ValueCopy(nil)
	if err != nil || (!cutoff.IsZero() && !readTime(v).Before(cutoff)) {
		return false, err
	}
	if m, ok, err := peekMeta(h.txn, i); err != nil {
		return false, err
	} else if ok {
		h.held -= m.Size
	}
	if err := h.txn.Delete(holdKey(i)); err != nil {
		return false, err
	}
	return true, deleteWhere(h.txn, []byte(aliasPrefix), func(_, v []byte) bool { return bytes.Equal(v, i[:]) })
}

func ignoreMissing(err error) error {
	if isMissing(err) {
		return nil
	}
	return err
}

// Hosted says d is held by hosted content.
func (s *Store) Hosted(d v1.Hash) bool {
	i, ok := idOf(d)
	if !ok {
		return false
	}
	var held bool
	s.db.View(func(txn *badger.Txn) error {
		held, _ = exists(txn, holdKey(i))
		return nil
	})
	return held
}
