package cache

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The on-disk and in-Badger layout, drawn once:
//
//	<data-dir>/
//	├── lock                        flock held by the one process using the dir
//	├── clean                       exists only between a clean Close and the
//	│                               next Open; its absence means "reconcile";
//	│                               holds the index's totals (marker.go)
//	├── blobs/sha256/ab/ab12…ef     verified content (layers, configs and
//	│                               manifests alike), named by its digest;
//	│                               never partial, never rewritten
//	├── tmp/fill-*, tmp/upload-*    other content still arriving (a fill of
//	│                               unknown size, a push); removed at start,
//	│                               so a crash mid-push leaves nothing visible
//	├── tmp/partial/<hex>           a fill of known size: pieces written at
//	│                               their offsets; kept when the fill fails
//	│                               or the process dies, continued by the
//	│                               next fill, never served as the blob
//	├── tmp/partial/<hex>.map       its size and the spans the file holds,
//	│                               written (by rename) only after the file
//	│                               was synced; a file without a readable
//	│                               map is removed at start
//	└── index/                      Badger
//
//	Badger keys (binary)                      value
//	c/<sha256: 32 raw bytes>                  meta, binary (meta.go): size,
//	                                          created, last access, media type
//	a/<last access: 8-byte BE unix ns><sha256>  uvarint size; iterating a/
//	                                          walks the cache least recently
//	                                          used first, sizes at hand
//	t/<upstream>/<repo>:<tag>                 JSON Tag (digest, media type,
//	                                          fetched at)
//	r/<upstream>/<repo>                       empty; the repository has a
//	                                          cached tag (for /v2/_catalog)
//	s/<upstream>/<repo>@<subject digest>      JSON Tag: the cached referrers
//	                                          index of that subject, and when
//	                                          upstream was asked
//	u/<sha256>                                uvarint size: evicted, its
//	                                          records gone, its file not yet
//	                                          unlinked (unlink.go)
//
//	Hosted repositories (pushed content; hosted_keys.go; "\0" ends a name)
//	h/<sha256>                                uvarint unix ns of the latest
//	                                          link: held, never evicted, not
//	                                          counted against the cap
//	hl/<repo>\0<sha256>                       uvarint unix ns: a blob of repo
//	hm/<repo>\0<sha256>                       media type: a manifest of repo
//	ht/<repo>\0<tag>                          JSON HostedTag (digest, type)
//	hr/<repo>                                 empty; the hosted repository
//	hs/<sha512: 64 raw bytes>                 sha256 id the content is under
//	hx/<repo>\0<subject digest>\0<sha256>     JSON descriptor: a referrer
//
// Hosted content is content like any other (one c/ record and one file,
// whether it came from upstream or a push); h/ only keeps the evictor off
// it. Every link or manifest has an h/ key; the hosted collector
// (hosted_gc.go) removes h/ keys, and the content, that no link or
// manifest needs and that were last linked before the grace period.
//
// Every c/ record has exactly one a/ key, written and deleted in the same
// transaction; an a/ key whose record disagrees is stale and is dropped when
// the evictor meets it. Raw digests keep keys at 34 and 42 bytes, so a
// million entries stay small; byte order of raw digests is the order of
// their hex, which lets start-up walk the index and blobs/ side by side.
//
// Names never reach the file system: only a validated digest's hex does, so
// no request can make the store touch a path outside blobs/.
const (
	blobsDir    = "blobs"
	tmpDir      = "tmp"
	indexDir    = "index"
	lockFile    = "lock"
	cleanMarker = "clean"
	algorithm   = "sha256"

	contentPrefix = "c/"
	accessPrefix  = "a/"
	tagPrefix     = "t/"
	repoPrefix    = "r/"
	subjectPrefix = "s/"
)

// id is a sha256 digest in its raw form, the store's internal name for
// content: cheap to hash in maps and half the size of hex in keys.
type id [32]byte

// idOf validates d; only sha256 digests with 64 lowercase hex digits can be
// stored, so anything else is simply not in the cache.
func idOf(d v1.Hash) (id, bool) {
	var i id
	if d.Algorithm != algorithm || !isHex(d.Hex, 64) {
		return i, false
	}
	hex.Decode(i[:], []byte(d.Hex))
	return i, true
}

func (i id) hash() v1.Hash { return v1.Hash{Algorithm: algorithm, Hex: hex.EncodeToString(i[:])} }

func (s *Store) blobPath(i id) string { return BlobPath(s.dir, i.hash()) }

// BlobPath is where blob d lives under the data dir dataDir. Tools and
// tests that look inside a data dir call it rather than re-derive the
// layout drawn above.
func BlobPath(dataDir string, d v1.Hash) string {
	fan := d.Hex[:min(2, len(d.Hex))]
	return filepath.Join(dataDir, blobsDir, d.Algorithm, fan, d.Hex)
}

func contentKey(i id) []byte { return append([]byte(contentPrefix), i[:]...) }

// accessValue is the a/ value: the size, so the LRU walk need not read
// every record it passes.
func accessValue(size int64) []byte { return binary.AppendUvarint(nil, uint64(size)) }

func accessKey(at int64, i id) []byte {
	k := make([]byte, 0, len(accessPrefix)+8+len(i))
	k = append(k, accessPrefix...)
	k = binary.BigEndian.AppendUint64(k, uint64(at))
	return append(k, i[:]...)
}

// parseAccessKey splits an a/ key; ok is false for a malformed key.
func parseAccessKey(k []byte) (at int64, i id, ok bool) {
	rest, found := bytes.CutPrefix(k, []byte(accessPrefix))
	if !found || len(rest) != 8+len(i) {
		return 0, i, false
	}
	copy(i[:], rest[8:])
	return int64(binary.BigEndian.Uint64(rest[:8])), i, true
}

// idFromContentKey reads the digest out of a c/ key.
func idFromContentKey(k []byte) (id, bool) {
	var i id
	rest, found := bytes.CutPrefix(k, []byte(contentPrefix))
	if !found || len(rest) != len(i) {
		return i, false
	}
	copy(i[:], rest)
	return i, true
}

func tagKey(upstream, repo, tag string) []byte {
	return []byte(tagPrefix + upstream + "/" + repo + ":" + tag)
}

func subjectKey(upstream, repo string, subject v1.Hash) []byte {
	return []byte(subjectPrefix + upstream + "/" + repo + "@" + subject.String())
}

func repoKey(upstream, repo string) []byte {
	return []byte(repoPrefix + upstream + "/" + repo)
}
