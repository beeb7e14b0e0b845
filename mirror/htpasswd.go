package mirror

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Htpasswd holds the users allowed to pull, from an htpasswd file with
// bcrypt hashes (htpasswd -B), the form distribution's registry reads too.
type Htpasswd struct {
	hashes map[string][]byte

	// bcrypt costs tens of milliseconds on purpose, and one docker pull is
	// dozens of requests; a password that passed once is remembered by its
	// sha256 for the life of the process.
	mu     sync.Mutex
	passed map[string][32]byte
}

// LoadHtpasswd reads an htpasswd file. Only bcrypt entries are accepted:
// the older htpasswd hashes are too weak to guard a LAN service.
func LoadHtpasswd(path string) (*Htpasswd, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseHtpasswd(f)
}

func parseHtpasswd(r io.Reader) (*Htpasswd, error) {
	h := &Htpasswd{hashes: map[string][]byte{}, passed: map[string][32]byte{}}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		if !ok || !strings.HasPrefix(hash, "$2") {
			return nil, fmt.Errorf("htpasswd line %d: want user:bcrypt-hash (htpasswd -B)", n)
		}
		h.hashes[user] = []byte(hash)
	}
	return h, sc.Err()
}

func (h *Htpasswd) check(user, pass string) bool {
	hash, ok := h.hashes[user]
	if !ok {
		return false
	}
	sum := sha256.Sum256([]byte(pass))
	h.mu.Lock()
	known, seen := h.passed[user]
	h.mu.Unlock()
	if seen && subtle.ConstantTimeCompare(known[:], sum[:]) == 1 {
		return true
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(pass)) != nil {
		return false
	}
	h.mu.Lock()
	h.passed[user] = sum
	h.mu.Unlock()
	return true
}
