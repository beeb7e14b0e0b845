//go:build !unix

package cache

import "os"

// lockDir has no portable flock here; Badger's lock on index/ still keeps
// two processes apart, though only after start-up has touched tmp/.
func lockDir(string) (*os.File, error) { return nil, nil }
