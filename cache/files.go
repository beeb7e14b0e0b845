package cache

import (
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
)

// fileCursor lists blobs/sha256/<xx>/<hex> in digest order, one prefix
// directory in memory at a time. Anything else it meets under blobs/sha256
// (a stray file, a name that is not a digest, a file in the wrong prefix
// directory) could never be served, so it is removed.
type fileCursor struct {
	root     string
	log      *slog.Logger
	prefixes []string // prefix directories not yet read
	dir      string
	names    []string // entries of dir not yet returned
	cur      id
	ok       bool // cur holds a file; false once the walk is over
	started  bool
}

func newFileCursor(dataDir string, log *slog.Logger) *fileCursor {
	return &fileCursor{root: filepath.Join(dataDir, blobsDir, algorithm), log: log}
}

// advance moves to the next blob file.
func (c *fileCursor) advance() error {
	if !c.started {
		c.started = true
		names, err := readNames(c.root)
		if err != nil {
			return err
		}
		c.prefixes = names
	}
	for {
		for len(c.names) > 0 {
			name := c.names[0]
			c.names = c.names[1:]
			if i, ok := c.blob(name); ok {
				c.cur, c.ok = i, true
				return nil
			}
		}
		if len(c.prefixes) == 0 {
			c.ok = false
			return nil
		}
		if err := c.enter(c.prefixes[0]); err != nil {
			return err
		}
		c.prefixes = c.prefixes[1:]
	}
}

// enter reads one prefix directory.
func (c *fileCursor) enter(prefix string) error {
	dir := filepath.Join(c.root, prefix)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || !isHex(prefix, 2) {
		c.discard(dir)
		return nil
	}
	names, err := readNames(dir)
	c.dir, c.names = dir, names
	return err
}

// blob parses name as a blob file in the current directory.
func (c *fileCursor) blob(name string) (id, bool) {
	var i id
	if !isHex(name, 64) || name[:2] != filepath.Base(c.dir) {
		c.discard(filepath.Join(c.dir, name))
		return i, false
	}
	hex.Decode(i[:], []byte(name))
	return i, true
}

func (c *fileCursor) discard(path string) {
	if err := os.Remove(path); err == nil {
		c.log.Warn("cache: removed a file that is not a blob", "path", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		c.log.Warn("cache: ignoring an entry that is not a blob", "path", path, "error", err)
	}
}

// readNames lists a directory sorted by name (an absent one is empty).
func readNames(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	names := make([]string, len(entries))
	for n, e := range entries {
		names[n] = e.Name()
	}
	return names, err
}

// isHex reports whether s is n lowercase hex digits, the only form the
// store writes.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
