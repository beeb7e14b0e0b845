package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ManifestPush is a validated manifest for a hosted repository and what it
// refers to; the mirror parses and checks the JSON, the store checks
// that every reference is there and publishes it all at once.
type ManifestPush struct {
	Repo      string
	Digest    v1.Hash // as the client named it: sha256 or sha512
	MediaType string
	Body      []byte
	Tags      []string  // the tag pushed by, or ?tag= of a push by digest
	Blobs     []v1.Hash // config and layers: must be stored; linked into Repo
	Children  []v1.Hash // an index's manifests: must be manifests of Repo
	// Subject and Referrer index the manifest as a referrer of Subject;
	// Referrer is its descriptor as the referrers API lists it.
	Subject  string
	Referrer []byte
}

// MissingError names content a manifest refers to that is not there.
type MissingError struct {
	Digest   v1.Hash
	Manifest bool // a child manifest, rather than a blob
}

func (e *MissingError) Error() string {
	if e.Manifest {
		return fmt.Sprintf("manifest %s is not in the repository", e.Digest)
	}
	return fmt.Sprintf("blob %s is not in the repository", e.Digest)
}

func (e *MissingError) Unwrap() error { return ErrNotFound }

// HostedTag is what a hosted tag points at.
type HostedTag struct {
	Digest    v1.Hash `json:"digest"` // as pushed: sha256, or sha512 by ?tag=
	MediaType string  `json:"mediaType"`
}

// PushManifest stores the manifest and, in one transaction, links it into
// its repository with its references and its tag: a client sees the old
// tag or the new one, never a manifest whose layers are missing.
func (s *Store) PushManifest(p ManifestPush) error {
	sum := sha256.Sum256(p.Body)
	own := id(sum)
	// Checked even when the body is stored already (a retag): the index
	// writes that follow need the room too.
	if err := s.makeRoom(int64(len(p.Body))); err != nil {
		return err
	}
	// In flight before it is stored, not after: until the transaction
	// holds it, the manifest is plain content, and an evictor running in
	// between (a full cache) would take it and the client get a 404.
	leaveOwn, err := s.enterAll([]id{own})
	if err != nil {
		return err
	}
	defer leaveOwn()
	if err := s.Put(own.hash(), p.MediaType, p.Body); err != nil {
		return err
	}
	refs, err := s.resolveAll(p.Blobs)
	if err != nil {
		return err
	}
	release, err := s.enterAll(refs)
	if err != nil {
		return err
	}
	defer release()
	return s.hostedUpdate(func(h *hostedTxn) error { return h.pushManifest(p, own, refs) })
}

func (s *Store) resolveAll(ds []v1.Hash) ([]id, error) {
	ids := make([]id, len(ds))
	err := s.db.View(func(txn *badger.Txn) error {
		for n, d := range ds {
			i, err := resolve(txn, d)
			if err != nil {
				return &MissingError{Digest: d}
			}
			ids[n] = i
		}
		return nil
	})
	return ids, err
}

func (h *hostedTxn) pushManifest(p ManifestPush, own id, refs []id) error {
	for n, i := range refs {
		if err := h.link(p.Repo, i, p.Blobs[n]); notFound(err) == ErrNotFound {
			return &MissingError{Digest: p.Blobs[n]}
		} else if err != nil {
			return err
		}
	}
	if err := h.children(p.Repo, p.Children); err != nil {
		return err
	}
	if err := h.hold(own); err != nil {
		return err // evicted between Put and here: the client pushes again
	}
	if err := h.alias(own, p.Digest); err != nil {
		return err
	}
	if err := h.txn.Set(manifestKey(p.Repo, own), []byte(p.MediaType)); err != nil {
		return err
	}
	if err := h.tagAndIndex(p, own); err != nil {
		return err
	}
	return h.addRepo(p.Repo)
}

func (h *hostedTxn) children(repo string, ds []v1.Hash) error {
	for _, d := range ds {
		i, err := resolve(h.txn, d)
		if err == nil {
			var ok bool
			if ok, err = exists(h.txn, manifestKey(repo, i)); err == nil && !ok {
				err = ErrNotFound
			}
		}
		if notFound(err) == ErrNotFound {
			return &MissingError{Digest: d, Manifest: true}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (h *hostedTxn) tagAndIndex(p ManifestPush, own id) error {
	b, err := json.Marshal(HostedTag{Digest: p.Digest, MediaType: p.MediaType})
	if err != nil {
		return err
	}
	for _, tag := range p.Tags {
		if err := h.txn.Set(hostedTagKey(p.Repo, tag), b); err != nil {
			return err
		}
	}
	if p.Subject == "" {
		return nil
	}
	return h.txn.Set(referrerKey(p.Repo, p.Subject, own), p.Referrer)
}

// HostedManifest reads a manifest of repo by tag or, when tag is empty, by
// digest d (sha256 or sha512). It returns the body, its media type as
// pushed and its digest as the client knows it: d, or the one the tag was
// pushed with.
func (s *Store) HostedManifest(repo, tag string, d v1.Hash) ([]byte, string, v1.Hash, error) {
	var i id
	var mediaType string
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if d, err = taggedDigest(txn, repo, tag, d); err != nil {
			return err
		}
		if i, err = resolve(txn, d); err != nil {
			return err
		}
		item, err := txn.Get(manifestKey(repo, i))
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		mediaType = string(v)
		return err
	})
	if err != nil {
		return nil, "", v1.Hash{}, notFound(err)
	}
	body, _, err := s.read(i)
	return body, mediaType, d, err
}

// taggedDigest is what tag points at, or d when there is no tag.
func taggedDigest(txn *badger.Txn, repo, tag string, d v1.Hash) (v1.Hash, error) {
	if tag == "" {
		return d, nil
	}
	item, err := txn.Get(hostedTagKey(repo, tag))
	if err != nil {
		return v1.Hash{}, err
	}
	var t HostedTag
	err = item.Value(func(v []byte) error { return json.Unmarshal(v, &t) })
	return t.Digest, err
}

// DeleteHostedManifest removes manifest d from repo with every tag that
// points at it and its entries in the referrers index. Its bytes, and the
// blobs only it referred to, are the hosted collector's to reclaim.
func (s *Store) DeleteHostedManifest(repo string, d v1.Hash) error {
	return s.update(func(txn *badger.Txn) error {
		i, err := resolve(txn, d)
		if err != nil {
			return err
		}
		if ok, err := exists(txn, manifestKey(repo, i)); err != nil || !ok {
			return orNotFound(err)
		}
		if err := txn.Delete(manifestKey(repo, i)); err != nil {
			return err
		}
		err = deleteWhere(txn, repoScoped(referrerPrefix, repo), func(k, _ []byte) bool {
			return bytes.HasSuffix(k, i[:])
		})
		if err != nil {
			return err
		}
		return deleteWhere(txn, repoScoped(hostedTagPref, repo), func(_, v []byte) bool {
			var t HostedTag
			if json.Unmarshal(v, &t) != nil {
				return false
			}
			named, err := resolve(txn, t.Digest)
			return err == nil && named == i
		})
	})
}

// DeleteHostedTag removes a tag of repo; the manifest stays, by digest.
func (s *Store) DeleteHostedTag(repo, tag string) error {
	return s.update(func(txn *badger.Txn) error {
		if ok, err := exists(txn, hostedTagKey(repo, tag)); err != nil || !ok {
			return orNotFound(err)
		}
		return txn.Delete(hostedTagKey(repo, tag))
	})
}

// deleteWhere deletes, inside txn, the keys under prefix that match.
func deleteWhere(txn *badger.Txn, prefix []byte, match func(k, v []byte) bool) error {
	var doomed [][]byte
	it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true})
	for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
		v, err := it.Item().ValueCopy(nil)
		if err != nil {
			it.Close()
			return err
		}
		if k := it.Item().KeyCopy(nil); match(k, v) {
			doomed = append(doomed, k)
		}
	}
	it.Close()
	for _, k := range doomed {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
