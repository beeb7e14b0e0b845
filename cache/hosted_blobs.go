package cache

import (
	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// HostedBlob opens blob d of hosted repository repo: content linked into
// it by an upload, a mount or a manifest. Content the store holds for
// another repository, or from upstream, is not repo's until linked.
func (s *Store) HostedBlob(repo string, d v1.Hash) (Blob, Meta, error) {
	var i id
	var m Meta
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if i, err = resolve(txn, d); err != nil {
			return err
		}
		if ok, err := linked(txn, repo, i); err != nil || !ok {
			return orNotFound(err)
		}
		m, err = getMeta(txn, i)
		return err
	})
	if err != nil {
		return nil, Meta{}, notFound(err)
	}
	f, err := s.openFile(i)
	return f, m, err
}

// linked says i is a blob or a manifest of repo.
func linked(txn *badger.Txn, repo string, i id) (bool, error) {
	if ok, err := exists(txn, linkKey(repo, i)); ok || err != nil {
		return ok, err
	}
	return exists(txn, manifestKey(repo, i))
}

func orNotFound(err error) error {
	if err == nil {
		return ErrNotFound
	}
	return err
}

// Mount links stored content d into repo without an upload: a
// cross-repository mount, from another hosted repository (from, when
// given, must hold it) or from anything the store has, upstream layers
// included, which is how an image built FROM alpine pushes alpine's
// layers. ErrNotFound means the client must upload.
func (s *Store) Mount(repo string, d v1.Hash, from string) error {
	var i id
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		if i, err = resolve(txn, d); err != nil || from == "" {
			return err
		}
		ok, err := linked(txn, from, i)
		if err == nil && !ok {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return notFound(err)
	}
	release, err := s.enterAll([]id{i})
	if err != nil {
		return err
	}
	defer release()
	return s.hostedUpdate(func(h *hostedTxn) error { return h.link(repo, i, d) })
}

// Unlink removes blob d from repo. The bytes stay until the hosted
// collector finds nothing hosted refers to them.
func (s *Store) Unlink(repo string, d v1.Hash) error {
	return s.update(func(txn *badger.Txn) error {
		i, err := resolve(txn, d)
		if err != nil {
			return err
		}
		if ok, err := exists(txn, linkKey(repo, i)); err != nil || !ok {
			return orNotFound(err)
		}
		return txn.Delete(linkKey(repo, i))
	})
}
