package cache

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// markerCounts is what the clean marker holds: the index's totals at the
// Close that wrote it. Every transaction that adds or removes a record
// moves the in-memory totals, so at a clean Close they are exact, and the
// next Open can take them instead of reading every record: counting a
// million records was most of a clean start and touched every page of
// the index's tables, which then stayed resident.
type markerCounts struct {
	Used    int64 `json:"used"`
	Entries int64 `json:"entries"`
}

// takeCleanMarker reports whether the last run closed cleanly, with the
// totals it left (nil from a marker without them: count the index), and
// removes the marker durably first: from here on a crash must mean
// "reconcile".
func takeCleanMarker(dir string) (bool, *markerCounts, error) {
	path := filepath.Join(dir, cleanMarker)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	var c *markerCounts
	if json.Unmarshal(b, &c) != nil || c == nil || c.Used < 0 || c.Entries < 0 {
		c = nil
	}
	if err := os.Remove(path); err != nil {
		return false, nil, err
	}
	return true, c, syncDir(dir)
}

func putCleanMarker(dir string, c markerCounts) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, cleanMarker))
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err := errors.Join(err, f.Sync(), f.Close()); err != nil {
		return err
	}
	return syncDir(dir)
}
