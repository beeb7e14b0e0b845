package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
)

// Scenario 10's caches are written by the bench process through the
// store's own API (cache.PutMany, Store.SetTag), not by pulling: a million
// pulls would take hours and measure the fill, not the index. What lands
// on disk is what a server that had pulled them would hold: one verified
// file per blob, its record and access key, and the tags.
const (
	scaleBlobBytes  = 300 // every non-manifest blob: a few hundred bytes
	scaleRepos      = 1000
	scaleHost       = "docker.io" // the registry the tags belong to (--upstream's)
	scaleBatch      = 5000        // blobs per PutMany
	scaleWriters    = 4           // PutMany calls at once: they wait on the disk, not the CPU
	scaleManifestMT = "application/vnd.oci.image.manifest.v1+json"
)

// scaleShape is one cache: blobs in all, one in ten of them an image
// manifest (a config and a layer from the rest), and tags spread over
// scaleRepos repositories, tag k naming manifest k mod the manifests.
type scaleShape struct{ blobs, tags int }

func (sh scaleShape) manifests() int { return max(1, sh.blobs/10) }
func (sh scaleShape) plain() int     { return sh.blobs - sh.manifests() }

// scaleRepo and scaleTag name tag k; the wrk script (scaleLua) must agree.
func scaleRepo(k int) string { return fmt.Sprintf("scale/r%d", k%scaleRepos) }
func scaleTag(k int) string  { return fmt.Sprintf("t%d", k) }

// plainBlob is blob j: its number, then filler.
func plainBlob(j int) []byte {
	b := make([]byte, scaleBlobBytes)
	binary.BigEndian.PutUint64(b, uint64(j))
	copy(b[8:], "hubmirror bench scenario 10 blob")
	return b
}

func digestOf(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// scaleManifest is manifest m: an OCI image manifest whose config and
// layer are plain blobs of the same cache, as a pulled image's would be.
func scaleManifest(m, plain int) []byte {
	desc := func(mt string, j int) string {
		return fmt.Sprintf(`{"mediaType":%q,"digest":%q,"size":%d}`, mt, digestOf(plainBlob(j%plain)), scaleBlobBytes)
	}
	return fmt.Appendf(nil, `{"schemaVersion":2,"mediaType":%q,"config":%s,"layers":[%s],"annotations":{"n":"%d"}}`,
		scaleManifestMT, desc("application/vnd.oci.image.config.v1+json", 2*m),
		desc("application/vnd.oci.image.layer.v1.tar+gzip", 2*m+1), m)
}

// scaleItem is item k of the cache: plain blobs first, then manifests.
func (sh scaleShape) item(k int) cache.Item {
	if k < sh.plain() {
		b := plainBlob(k)
		return cache.Item{Digest: digestOf(b), Body: b}
	}
	b := scaleManifest(k-sh.plain(), sh.plain())
	return cache.Item{Digest: digestOf(b), MediaType: scaleManifestMT, Body: b}
}

// buildScaleCache writes sh into the data dir dir and closes it cleanly,
// as a server that stopped would have. It returns the bytes stored.
func buildScaleCache(dir string, sh scaleShape) (int64, error) {
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		return 0, err
	}
	err = putScaleBlobs(s, sh)
	if err == nil {
		err = setScaleTags(s, sh)
	}
	used := s.Used()
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return used, err
}

func putScaleBlobs(s *cache.Store, sh scaleShape) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, scaleWriters)
	for w := range scaleWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for errs[w] == nil {
				start := int(next.Add(scaleBatch)) - scaleBatch
				if start >= sh.blobs {
					return
				}
				items := make([]cache.Item, 0, scaleBatch)
				for k := start; k < min(sh.blobs, start+scaleBatch); k++ {
					items = append(items, sh.item(k))
				}
				errs[w] = s.PutMany(items)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if s.Entries() != int64(sh.blobs) {
		return fmt.Errorf("built %d blobs, want %d", s.Entries(), sh.blobs)
	}
	return nil
}

// setScaleTags writes the tags as fetched now, so a server with a long
// --tag-ttl serves them without asking upstream.
func setScaleTags(s *cache.Store, sh scaleShape) error {
	digests := make([]v1.Hash, sh.manifests())
	for m := range digests {
		digests[m] = digestOf(scaleManifest(m, sh.plain()))
	}
	now := time.Now().UTC()
	for k := range sh.tags {
		t := cache.Tag{Digest: digests[k%len(digests)], MediaType: scaleManifestMT, FetchedAt: now}
		if err := s.SetTag(scaleHost, scaleRepo(k), scaleTag(k), t); err != nil {
			return err
		}
	}
	return nil
}
