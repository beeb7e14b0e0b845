package cache

import "sync"

// hashPrefix feeds the hash the bytes that joined the contiguous prefix,
// so the digest is computed in one pass however the pieces arrive. One
// writer at a time holds the turn and hashes until the prefix stops
// growing, picking up what other writers added meanwhile; the others
// return at once. b, written at off, is hashed from memory where it is
// the next part of the prefix; bytes other writers wrote are read back
// from the file (the page cache, just written). A writer's WriteAt returns
// only after its bytes were hashed or handed to the turn's holder, so once
// every writer has returned the hash has caught up.
func (p *pending) hashPrefix(b []byte, off int64) {
	p.mu.Lock()
	if p.hashing {
		p.mu.Unlock()
		return
	}
	p.hashing = true
	for p.hashErr == nil && p.hashed < p.have.prefix() {
		from, to := p.hashed, p.have.prefix()
		p.mu.Unlock()
		err := p.hashSpan(from, to, b, off)
		p.mu.Lock()
		p.hashed, p.hashErr = to, err
	}
	p.hashing = false
	p.mu.Unlock()
}

func (p *pending) hashSpan(from, to int64, b []byte, off int64) error {
	if off <= from && from < off+int64(len(b)) {
		mem := b[from-off : min(to, off+int64(len(b)))-off]
		p.hash.Write(mem)
		from += int64(len(mem))
	}
	if from >= to {
		return nil
	}
	bp := hashBuffers.Get().(*[]byte)
	defer hashBuffers.Put(bp)
	for from < to {
		n, err := p.file.ReadAt((*bp)[:min(int64(len(*bp)), to-from)], from)
		p.hash.Write((*bp)[:n])
		from += int64(n)
		if err != nil && from < to {
			return err
		}
	}
	return nil
}

var hashBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
