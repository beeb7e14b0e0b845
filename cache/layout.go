package cache

import (
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The on-disk and in-Badger layout, drawn once:
//
//	<data-dir>/
//	├── blobs/sha256/ab/ab12…ef     verified content (layers, configs and
//	│                              manifests alike), named by its digest;
//	│                              never partial, never rewritten
//	├── tmp/fill-*                  content still arriving; removed at start
//	└── index/                      Badger
//
//	Badger keys                      value
//	c/<digest>                       contentMeta (size, media type, created, last access)
//	t/<upstream>/<repo>:<tag>        tagMeta (digest, media type, fetched at)
//
// Names never reach the file system: only a validated digest's hex does, so
// no request can make the store touch a path outside blobs/.
const (
	blobsDir = "blobs"
	tmpDir   = "tmp"
	indexDir = "index"

	contentPrefix = "c/"
	tagPrefix     = "t/"
)

func (s *Store) blobPath(d v1.Hash) string {
	return filepath.Join(s.dir, blobsDir, d.Algorithm, d.Hex[:2], d.Hex)
}

func contentKey(d v1.Hash) []byte { return []byte(contentPrefix + d.String()) }

func tagKey(upstream, repo, tag string) []byte {
	return []byte(tagPrefix + upstream + "/" + repo + ":" + tag)
}
