package e2e

import (
	"os"
	"sync"
)

// builtOnce is a program built or installed once per test binary, into a
// temp dir of its own that outlives any single test; TestMain removes it.
type builtOnce struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// get runs build into the dir on first use and returns its result, the
// same for every later caller.
func (b *builtOnce) get(build func(dir string) (string, error)) (string, error) {
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "e2e-bin-"); b.err == nil {
			b.bin, b.err = build(b.dir)
		}
	})
	return b.bin, b.err
}

// remove deletes the build, if there was one.
func (b *builtOnce) remove() {
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}
