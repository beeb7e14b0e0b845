package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Benchmarks build their indexes directly (records and a/ keys through a
// WriteBatch, no blob files) and mark the dir cleanly closed, so Open takes
// the path a normal restart takes. Run them with
//
//	go test -run XXX -bench . -benchtime 1x ./cache/
//
// The million-entry fixture is built once per process and removed at exit.

const benchBlobSize = 1 << 20

var fixtures = struct {
	sync.Mutex
	dirs map[int]string
}{dirs: map[int]string{}}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range fixtures.dirs {
		os.RemoveAll(dir)
	}
	os.Exit(code)
}

// fixture returns a data dir holding n index entries; callers that change
// it must copy it first.
func fixture(b *testing.B, n int) string {
	b.Helper()
	fixtures.Lock()
	defer fixtures.Unlock()
	if dir, ok := fixtures.dirs[n]; ok {
		return dir
	}
	dir, err := os.MkdirTemp("", fmt.Sprintf("hubmirror-bench-%d-", n))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := buildIndex(dir, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a %d-entry index in %s", n, time.Since(start).Round(time.Millisecond))
	fixtures.dirs[n] = dir
	return dir
}

func benchID(n int) id { return sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(n))) }

// buildIndex writes n records, one in ten a manifest, accessed a second
// apart in a shuffled order. Badger's StreamWriter takes keys in order and
// writes the bottom level directly, as if the index had been compacted.
func buildIndex(dir string, n int) error {
	for _, sub := range []string{blobsDir, tmpDir, indexDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	db, err := badger.Open(badgerOptions(filepath.Join(dir, indexDir), nil))
	if err != nil {
		return err
	}
	sw := db.NewStreamWriter()
	if err := sw.Prepare(); err != nil {
		return err
	}
	ids, metas := benchRecords(n)
	err = writeSorted(sw, n, func(k int) ([]byte, []byte) { // a/ keys: by access time
		return accessKey(metas[k].LastAccess.UnixNano(), ids[k]), accessValue(benchBlobSize)
	})
	if err != nil {
		return err
	}
	byID := make([]int, n)
	for k := range byID {
		byID[k] = k
	}
	slices.SortFunc(byID, func(x, y int) int { return bytes.Compare(ids[x][:], ids[y][:]) })
	err = writeSorted(sw, n, func(k int) ([]byte, []byte) { // c/ keys: by digest
		return contentKey(ids[byID[k]]), encodeMeta(metas[byID[k]])
	})
	if err != nil {
		return err
	}
	if err := errors.Join(sw.Flush(), db.Close()); err != nil {
		return err
	}
	if err := settle(dir); err != nil {
		return err
	}
	return putCleanMarker(dir, markerCounts{Used: int64(n) * benchBlobSize, Entries: int64(n)})
}

// settle reopens the index with the store's options and compacts it into
// the shape they give, so that no benchmark pays for, or measures the
// memory of, the compaction a fresh bulk load sets off.
func settle(dir string) error {
	db, err := badger.Open(badgerOptions(filepath.Join(dir, indexDir), nil))
	if err != nil {
		return err
	}
	return errors.Join(db.Flatten(2), db.Close())
}

// benchRecords makes n records indexed by access order: record k was last
// read k seconds after the first, and its digest is benchID of a shuffled
// number, so access order and digest order are unrelated.
func benchRecords(n int) ([]id, []Meta) {
	base := time.Now().Add(-time.Duration(n) * time.Second)
	perm := rand.New(rand.NewPCG(1, 2)).Perm(n)
	ids, metas := make([]id, n), make([]Meta, n)
	for k := range n {
		ids[k] = benchID(perm[k])
		metas[k] = Meta{Size: benchBlobSize, Created: base, LastAccess: base.Add(time.Duration(k) * time.Second)}
		if perm[k]%10 == 0 {
			metas[k].MediaType = "application/vnd.oci.image.manifest.v1+json"
		}
	}
	return ids, metas
}

// writeSorted streams n key-value pairs, given in key order, in batches.
func writeSorted(sw *badger.StreamWriter, n int, kv func(k int) ([]byte, []byte)) error {
	for start := 0; start < n; start += 100_000 {
		buf := z.NewBuffer(16<<20, "bench")
		for k := start; k < min(n, start+100_000); k++ {
			key, value := kv(k)
			badger.KVToBuffer(&pb.KV{Key: key, Value: value, Version: 1}, buf)
		}
		err := sw.Write(buf)
		buf.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// copyFixture copies a fixture so a benchmark may change it.
func copyFixture(b *testing.B, src string) string {
	b.Helper()
	dst := b.TempDir()
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		b.Fatalf("copying fixture: %v: %s", err, out)
	}
	// Write the copy back now, or the benchmark's first fsync pays for it.
	syscall.Sync()
	return dst
}

func benchStore(b *testing.B, n int) *Store {
	b.Helper()
	s, err := OpenWithOptions(copyFixture(b, fixture(b, n)), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkStat is one index lookup of a stored digest.
func BenchmarkStat(b *testing.B) {
	const n = 100_000
	s := benchStore(b, n)
	r := rand.New(rand.NewPCG(3, 4))
	for b.Loop() {
		if _, err := s.Stat(benchID(r.IntN(n)).hash()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTouch is what a cache hit adds to the read: noting the access.
func BenchmarkTouch(b *testing.B) {
	const n = 100_000
	s := benchStore(b, n)
	ids := make([]id, 1024)
	for k := range ids {
		ids[k] = benchID(k * 97)
	}
	k := 0
	for b.Loop() {
		s.touch(ids[k%len(ids)])
		k++
	}
}

// BenchmarkFlush is the index write behind one coalesced access.
func BenchmarkFlush(b *testing.B) {
	const n = 100_000
	s := benchStore(b, n)
	k := 0
	for b.Loop() {
		s.touch(benchID(k % n))
		if k++; k%flushChunk == 0 {
			if err := s.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := s.Flush(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkOpen1M opens and closes a store of a million entries after a
// clean shutdown: the totals come from the clean marker, so neither the
// index nor the files are walked.
func BenchmarkOpen1M(b *testing.B) {
	const n = 1_000_000
	dir := copyFixture(b, fixture(b, n))
	for b.Loop() {
		s, err := OpenWithOptions(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if s.Entries() != n {
			b.Fatalf("%d entries", s.Entries())
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvict10PercentOf1M evicts 100k of a million entries (the index
// work and an unlink each; fixture entries have no file to unlink).
func BenchmarkEvict10PercentOf1M(b *testing.B) {
	const n = 1_000_000
	src := fixture(b, n)
	for b.Loop() {
		b.StopTimer()
		total := int64(n) * benchBlobSize
		// No cap at Open: a store opened over its cap wakes its own
		// evictor, which then raced the timed pass for the work (the
		// pass sometimes found nothing left to evict).
		s, err := OpenWithOptions(copyFixture(b, src), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		got, err := s.EvictTo(total / 10 * 9)
		b.StopTimer()
		if err != nil || got.Blobs != n/10 {
			b.Fatalf("evicted %+v, %v", got, err)
		}
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkIdleRSS100k measures the resident memory of a process that
// opened a 100k-entry store, served some lookups and went idle. It runs in
// a fresh process (TestHelperProcess) so the benchmark's own fixture
// building does not count.
func BenchmarkIdleRSS100k(b *testing.B) {
	src := fixture(b, 100_000)
	for b.Loop() {
		b.StopTimer()
		dir := copyFixture(b, src)
		b.StartTimer()
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
		cmd.Env = append(os.Environ(), "HUBMIRROR_CACHE_HELPER=rss", "HUBMIRROR_CACHE_HELPER_DIR="+dir)
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%v: %s", err, out)
		}
		kib, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
		if err != nil {
			b.Fatalf("helper said %q", out)
		}
		b.ReportMetric(kib/1024, "MiB-RSS")
	}
}

// BenchmarkMetaCodec compares the binary record with the JSON it replaced.
func BenchmarkMetaCodec(b *testing.B) {
	at := time.Now().UTC()
	m := Meta{Size: 31457280, MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Created: at, LastAccess: at}
	bin, js := encodeMeta(m), must(json.Marshal(m))
	b.Run("binary", func(b *testing.B) {
		for b.Loop() {
			if _, err := decodeMeta(encodeMeta(m)); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(bin)), "bytes/record")
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			var out Meta
			if err := json.Unmarshal(must(json.Marshal(m)), &out); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(js)), "bytes/record")
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkEvictPassWithFiles times what the background evictor's pass
// holds the maintenance lock for (pass) beside the unlinks it hands to the
// unlinker (unlinks): 10 % of a million-record index, whose victims have
// files (4 KiB each: the unlink cost is the journal's, not the data's).
// Before the unlinker, the pass was their sum.
func BenchmarkEvictPassWithFiles(b *testing.B) {
	const n = 1_000_000
	src := fixture(b, n)
	for b.Loop() {
		b.StopTimer()
		dir := copyFixture(b, src)
		writeFixtureFiles(b, dir, n, n/10)
		s, err := OpenWithOptions(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		// Capped after Open, so no pass Open woke races the timed one.
		total := int64(n) * benchBlobSize
		s.opts.MaxSize, s.opts.LowWater = total-1, total/10*9
		b.StartTimer()
		start := time.Now()
		got, err := s.evictPass()
		pass := time.Since(start)
		s.AwaitUnlinks()
		unlinks := time.Since(start) - pass
		b.StopTimer()
		if err != nil || got.Blobs == 0 {
			b.Fatalf("evicted %+v, %v", got, err)
		}
		b.ReportMetric(float64(pass.Milliseconds()), "pass-ms")
		b.ReportMetric(float64(unlinks.Milliseconds()), "unlinks-ms")
		b.ReportMetric(float64(got.Blobs), "blobs")
		s.Close()
		b.StartTimer()
	}
}

// writeFixtureFiles writes files for the first m of n records in access
// order: those an eviction of m removes.
func writeFixtureFiles(b *testing.B, dir string, n, m int) {
	b.Helper()
	body := make([]byte, 4096)
	s := &Store{dir: dir}
	ids, _ := benchRecords(n)
	for _, i := range ids[:m] {
		p := s.blobPath(i)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	syscall.Sync()
}

// BenchmarkReadAllManifests reads bench scenario 10's 100 k manifests
// (430 bytes each) round-robin, as warm GETs by tag do. "hot" is now: all
// fit the hot set, each hashed once. "disk-rehash" is how a million-blob
// cache read them before: the hot set overflowed (8 MiB), so each read
// went to the file and hashed it.
func BenchmarkReadAllManifests(b *testing.B) {
	const n = 100_000
	s, err := OpenWithOptions(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ds := make([]v1.Hash, n)
	for k := 0; k < n; k += 1000 {
		items := make([]Item, 0, 1000)
		for j := k; j < k+1000; j++ {
			body := fmt.Appendf(nil, `{"schemaVersion":2,"n":%d,"pad":"%0400d"}`, j, 0)
			h := sha256.Sum256(body)
			ds[j] = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h[:])}
			items = append(items, Item{Digest: ds[j], MediaType: "application/vnd.oci.image.manifest.v1+json", Body: body})
		}
		if err := s.PutMany(items); err != nil {
			b.Fatal(err)
		}
	}
	for _, mode := range []string{"hot", "disk-rehash", "hot", "disk-rehash"} {
		b.Run(mode, func(b *testing.B) {
			k := 0
			for b.Loop() {
				d := ds[k%n]
				k++
				if mode == "disk-rehash" {
					i, _ := idOf(d)
					s.hot.drop(i)
					s.verified.mu.Lock()
					delete(s.verified.ids, i)
					s.verified.mu.Unlock()
				}
				if _, _, err := s.ReadAll(d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
