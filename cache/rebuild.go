package cache

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Rebuild sets a damaged index aside (as index.damaged-<time>, for
// inspection) and opens dir with a new one built from blobs/: every file is
// re-hashed, adopted if it matches its name and removed if not. Hosted
// repositories, tags and links were only in the old index and are not
// rebuilt: their content stays, as ordinary cached content, until pushed
// again. It returns the open store and where the old index went.
func Rebuild(dir string, o Options) (*Store, string, error) {
	lock, err := lockDir(dir)
	if err != nil {
		return nil, "", err
	}
	aside := filepath.Join(dir, fmt.Sprintf("%s.damaged-%s", indexDir, time.Now().UTC().Format("20060102T150405Z")))
	err = os.Rename(filepath.Join(dir, indexDir), aside)
	if os.IsNotExist(err) {
		aside, err = "", nil
	}
	if err == nil {
		err = os.Remove(filepath.Join(dir, cleanMarker))
		if os.IsNotExist(err) {
			err = nil
		}
	}
	lock.Close()
	if err != nil {
		return nil, "", err
	}
	o.rebuilding = true
	s, err := OpenWithOptions(dir, o)
	return s, aside, err
}
