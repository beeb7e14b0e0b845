package cache

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// A partial is what a fill of known size has written so far: the data
// file tmp/partial/<hex>, written at the pieces' offsets, and its map
// tmp/partial/<hex>.map, naming the size and the spans the file holds.
// The map is only ever written after the file was synced, and replaced by
// rename, so it never names bytes a crash lost. A partial is not content:
// it is never served as a blob; the next fill of its digest continues it,
// and its digest is checked when that fill completes. Its bytes count
// against the cap, and it is the first thing the evictor removes.
type partialInfo struct {
	bytes int64     // bytes the map names
	saved time.Time // last checkpoint, for the age limit and eviction order
	held  bool      // a pending writes it, or it is being removed
}

const (
	partialDir    = "partial"
	partialMapExt = ".map"
)

func (s *Store) partialPath(i id) string {
	return filepath.Join(s.dir, tmpDir, partialDir, i.hash().Hex)
}

// Resume continues the partial an earlier fill of d kept, with the size it
// was created with; ErrNotFound when there is none or another fill holds it.
func (s *Store) Resume(d v1.Hash, mediaType string) (Pending, error) {
	i, ok := idOf(d)
	if !ok || !s.holdPartial(i) {
		return nil, ErrNotFound
	}
	size, have, err := readPartialMap(s.partialPath(i) + partialMapExt)
	var f *os.File
	if err == nil {
		f, err = os.OpenFile(s.partialPath(i), os.O_RDWR, 0)
	}
	if err == nil {
		err = s.enter(i)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		s.unholdPartial(i)
		return nil, ErrNotFound
	}
	return s.newPending(i, mediaType, size, f, true, have), nil
}

// PartialBytes is the bytes partial fills hold on disk, by their maps.
func (s *Store) PartialBytes() int64 { return s.partialUsed.Load() }

// idlePartialBytes is the bytes of partial fills no fill holds.
func (s *Store) idlePartialBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n int64
	for _, p := range s.partials {
		if !p.held {
			n += p.bytes
		}
	}
	return n
}

// holdPartial takes an existing, unheld partial of i for a fill.
func (s *Store) holdPartial(i id) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.partials[i]
	if !ok || p.held {
		return false
	}
	p.held = true
	return true
}

// holdFreshPartial takes i's partial file for a new fill, forgetting what
// an earlier one kept; false when another fill holds it.
func (s *Store) holdFreshPartial(i id, size int64) bool {
	s.mu.Lock()
	p, ok := s.partials[i]
	if ok && p.held {
		s.mu.Unlock()
		return false
	}
	if ok {
		s.partialUsed.Add(-p.bytes)
	}
	s.partials[i] = &partialInfo{held: true, saved: time.Now()}
	s.mu.Unlock()
	os.Remove(s.partialPath(i) + partialMapExt)
	return true
}

func (s *Store) unholdPartial(i id) {
	s.mu.Lock()
	p, ok := s.partials[i]
	if ok && p.bytes > 0 {
		p.held = false
	}
	s.mu.Unlock()
	if ok && p.bytes > 0 {
		s.wakeIfOver() // shelved: its bytes count against the cap now
	}
	if !ok || p.bytes > 0 {
		return
	}
	// Nothing kept (committed, aborted, or never checkpointed): remove the
	// file while still holding it, so no new fill opens it meanwhile.
	os.Remove(s.partialPath(i))
	s.mu.Lock()
	delete(s.partials, i)
	s.mu.Unlock()
}

// savePartial replaces i's map and accounts for the bytes it names.
func (s *Store) savePartial(i id, size int64, have spans) error {
	path := s.partialPath(i) + partialMapExt
	if err := writePartialMap(path, size, have); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.partials[i]
	if !ok {
		p = &partialInfo{held: true}
		s.partials[i] = p
	}
	s.partialUsed.Add(have.total() - p.bytes)
	p.bytes, p.saved = have.total(), time.Now()
	return nil
}

// forgetPartial drops the map of a partial whose file became a blob.
func (s *Store) forgetPartial(i id) {
	os.Remove(s.partialPath(i) + partialMapExt)
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.partials[i]; ok {
		s.partialUsed.Add(-p.bytes)
		p.bytes = 0
	}
}

// dropPartialFiles removes a partial's map, then its file.
func (s *Store) dropPartialFiles(i id) {
	s.forgetPartial(i)
	os.Remove(s.partialPath(i))
}

// dropIdlePartials removes partials no fill holds: every one saved before
// cutoff, then the oldest others until free bytes are freed. It returns the
// bytes it removed.
func (s *Store) dropIdlePartials(cutoff time.Time, free int64) int64 {
	var freed int64
	for _, i := range s.idlePartialsOldestFirst() {
		s.mu.Lock()
		p, ok := s.partials[i]
		drop := ok && !p.held && (p.saved.Before(cutoff) || freed < free)
		if drop {
			p.held = true // being removed: no fill may take it now
		}
		s.mu.Unlock()
		if !drop {
			continue
		}
		n := p.bytes
		s.dropPartialFiles(i)
		s.mu.Lock()
		delete(s.partials, i)
		s.mu.Unlock()
		freed += n
	}
	return freed
}

func (s *Store) idlePartialsOldestFirst() []id {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]id, 0, len(s.partials))
	for i, p := range s.partials {
		if !p.held {
			ids = append(ids, i)
		}
	}
	slices.SortFunc(ids, func(a, b id) int { return s.partials[a].saved.Compare(s.partials[b].saved) })
	return ids
}

// loadPartials runs at start-up: partials whose map reads and whose file
// is long enough are kept for the next fill; anything else in the partial
// area is removed.
func (s *Store) loadPartials() error {
	dir := filepath.Join(s.dir, tmpDir, partialDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, e := range entries {
		hexName, isMap := strings.CutSuffix(e.Name(), partialMapExt)
		if i, ok := s.validPartial(dir, hexName); isMap && ok {
			keep[hexName], keep[e.Name()] = true, true
			s.partials[i.id] = &partialInfo{bytes: i.bytes, saved: notAfterNow(i.saved)}
			s.partialUsed.Add(i.bytes)
		}
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			os.Remove(filepath.Join(dir, e.Name()))
			s.log.Info("removed a partial download that cannot be continued", "file", e.Name())
		}
	}
	return nil
}

// notAfterNow clamps a time read from disk (a map's mtime, wall clock
// only) to now: one in the future, the clock having been set back, would
// otherwise keep its partial past the age limit by as much. From then on
// the partial ages on the monotonic clock.
func notAfterNow(t time.Time) time.Time {
	if now := time.Now(); t.After(now) {
		return now
	}
	return t
}

type loadedPartial struct {
	id    id
	bytes int64
	saved time.Time
}

func (s *Store) validPartial(dir, hexName string) (loadedPartial, bool) {
	i, ok := idOf(v1.Hash{Algorithm: algorithm, Hex: hexName})
	if !ok {
		return loadedPartial{}, false
	}
	mapInfo, err := os.Stat(filepath.Join(dir, hexName+partialMapExt))
	if err != nil {
		return loadedPartial{}, false
	}
	size, have, err := readPartialMap(filepath.Join(dir, hexName+partialMapExt))
	data, derr := os.Stat(filepath.Join(dir, hexName))
	if err != nil || derr != nil || len(have) == 0 || data.Size() < have[len(have)-1].To || have[len(have)-1].To > size {
		return loadedPartial{}, false
	}
	return loadedPartial{id: i, bytes: have.total(), saved: mapInfo.ModTime()}, true
}

// writePartialMap writes the map beside its final name, syncs it and
// renames it into place: a crash leaves the old map or the new one.
func writePartialMap(path string, size int64, have spans) error {
	var b strings.Builder
	fmt.Fprintf(&b, "size %d\n", size)
	for _, sp := range have {
		fmt.Fprintf(&b, "%d %d\n", sp.From, sp.To)
	}
	tmp := path + ".new"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.WriteString(b.String())
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}

var errBadPartialMap = errors.New("unreadable partial map")

func readPartialMap(path string) (int64, spans, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var size int64
	if !sc.Scan() {
		return 0, nil, errBadPartialMap
	}
	if _, err := fmt.Sscanf(sc.Text(), "size %d", &size); err != nil || size < 0 {
		return 0, nil, errBadPartialMap
	}
	var have spans
	for sc.Scan() {
		var sp Span
		if _, err := fmt.Sscanf(sc.Text(), "%d %d", &sp.From, &sp.To); err != nil || sp.From < 0 || sp.To <= sp.From || sp.To > size {
			return 0, nil, errBadPartialMap
		}
		have = have.add(sp.From, sp.To)
	}
	if err := sc.Err(); err != nil && !errors.Is(err, fs.ErrClosed) {
		return 0, nil, err
	}
	return size, have, nil
}
