package cache

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// syncFiles makes the files named (in dir; "" entries are skipped)
// durable with one syncfs of dir's file system: one journal commit and
// one device flush for all of them.
func syncFiles(dir string, _ []string) error { return syncFS(dir) }

// syncDirs makes renames into dirs durable: one syncfs covers them all.
func syncDirs(root string, _ []string) error { return syncFS(root) }

func syncFS(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(unix.Syncfs(int(d.Fd())), d.Close())
}
