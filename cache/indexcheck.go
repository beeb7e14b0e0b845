package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2/z"
)

// ErrIndexDamaged says the index cannot be trusted; IndexDamagedError says
// why and what to run.
var ErrIndexDamaged = errors.New("index damaged")

// IndexDamagedError refuses a start on a damaged index. The store does not
// rebuild it by itself: hosted tags and links live only in the index, so
// a rebuild from blobs/ loses them, and that is the operator's call.
type IndexDamagedError struct {
	Dir    string // the data dir
	Reason string
}

func (e *IndexDamagedError) Error() string {
	return fmt.Sprintf("the index in %s is damaged (%s): run `hubmirror cache rebuild --data-dir %s` to rebuild it from the files "+
		"under blobs/, each re-hashed (hosted tags and repositories are only in the index: the rebuild lists what is lost, and keeps the damaged index aside)",
		filepath.Join(e.Dir, indexDir), e.Reason, e.Dir)
}

func (e *IndexDamagedError) Unwrap() error { return ErrIndexDamaged }

// checkIndex looks at Badger's files before Badger does, because Badger
// opens a damaged index in ways that lose it silently (a missing or
// truncated MANIFEST: it starts empty and forgets every table) or kill the
// process (a truncated table panics in a goroutine of Badger's own).
func (s *Store) checkIndex(o badger.Options) error {
	dir := filepath.Join(s.dir, indexDir)
	manifest := filepath.Join(dir, "MANIFEST")
	fi, err := os.Stat(manifest)
	if errors.Is(err, fs.ErrNotExist) {
		if s.opts.rebuilding {
			return nil
		}
		if what := indexLeftovers(dir, filepath.Join(s.dir, blobsDir)); what != "" {
			return &IndexDamagedError{Dir: s.dir, Reason: "MANIFEST is missing, but " + what}
		}
		return nil // a new data dir
	}
	if err != nil {
		return err
	}
	fp, err := os.Open(manifest)
	if err != nil {
		return err
	}
	m, valid, err := badger.ReplayManifestFile(fp, o.ExternalMagicVersion, o)
	fp.Close()
	switch {
	case err != nil:
		return &IndexDamagedError{Dir: s.dir, Reason: "MANIFEST unreadable: " + err.Error()}
	case valid < fi.Size():
		return &IndexDamagedError{Dir: s.dir, Reason: fmt.Sprintf("MANIFEST is cut short: %d of its %d bytes are whole", valid, fi.Size())}
	}
	for tid := range m.Tables {
		if err := checkTable(table.NewFilename(tid, dir), o); err != nil {
			return &IndexDamagedError{Dir: s.dir, Reason: err.Error()}
		}
	}
	return nil
}

// indexLeftovers names what shows that an index existed: Badger's files,
// or content under blobs/ that no index describes.
func indexLeftovers(indexDir, blobs string) string {
	entries, _ := os.ReadDir(indexDir)
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); ext == ".sst" || ext == ".vlog" {
			return "Badger's files remain (" + e.Name() + ")"
		}
	}
	found := false
	filepath.WalkDir(blobs, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			found = true
			return fs.SkipAll
		}
		return nil
	})
	if found {
		return "blobs/ holds content"
	}
	return ""
}

// checkTable opens one table as Badger would, checksum verified, catching
// the panic a damaged one causes.
func checkTable(path string, o badger.Options) (err error) {
	name := filepath.Base(path)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("table %s is unreadable: %s", name, firstLine(fmt.Sprint(r)))
		}
	}()
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("table %s named by MANIFEST: %w", name, err)
	}
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("table %s cannot be opened: %v", name, err)
	}
	defer mf.Close(-1)
	if _, err := table.OpenTable(mf, table.Options{ReadOnly: true, ChkMode: options.OnTableRead,
		BlockSize: o.BlockSize, Compression: o.Compression}); err != nil {
		return fmt.Errorf("table %s is unreadable: %w", name, err)
	}
	return nil
}

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			return l
		}
	}
	return "damaged"
}
