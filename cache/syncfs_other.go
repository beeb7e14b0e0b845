//go:build !linux

package cache

import (
	"errors"
	"os"
)

// syncFiles makes the files named (in dir; "" entries are skipped)
// durable one by one: without syncfs there is no cheaper way.
func syncFiles(_ string, names []string) error {
	for _, n := range names {
		if n == "" {
			continue
		}
		f, err := os.OpenFile(n, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		if err := errors.Join(f.Sync(), f.Close()); err != nil {
			return err
		}
	}
	return nil
}

// syncDirs makes renames into dirs durable.
func syncDirs(_ string, dirs []string) error {
	for _, d := range dirs {
		if err := syncDir(d); err != nil {
			return err
		}
	}
	return nil
}
