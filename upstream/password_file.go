package upstream

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
)

// passwordFile is an upstream account whose secret lives in a file that a
// secret manager rewrites: ECR tokens last 12 h, GAR ones 1 h. The upstream
// client asks for it at every token exchange, and the file is read again
// whenever it changed since the last read, so a rotation takes effect at the
// next exchange without a restart. A stat per exchange (a few a minute at
// most) is the whole cost.
type passwordFile struct {
	username, path string
	log            *slog.Logger

	mu       sync.Mutex // never held across the file's I/O
	password string
	read     os.FileInfo // what was read: an unchanged file is not read again
}

// PasswordFile is the account username with the secret in the file at
// path, followed as it changes. It reads the file once now, so a missing
// or unreadable secret stops the start rather than the first pull.
func PasswordFile(username, path string, log *slog.Logger) (Credentials, error) {
	pass, fi, err := readPassword(path)
	if err != nil {
		return nil, err
	}
	return &passwordFile{username: username, path: path, log: log, password: pass, read: fi}, nil
}

// Credentials returns the account with the file's current secret. A file
// that cannot be read (mid-rotation by a tool that deletes first) leaves
// the last secret in use, logged, rather than sending none.
func (p *passwordFile) Credentials() (string, string, error) {
	p.mu.Lock()
	pass, read := p.password, p.read
	p.mu.Unlock()
	if fi, err := os.Stat(p.path); err == nil && unchanged(read, fi) {
		return p.username, pass, nil
	}
	newPass, fi, err := readPassword(p.path)
	if err != nil {
		p.log.Warn("upstream password file unreadable; keeping the secret read before", "path", p.path, "error", err)
		return p.username, pass, nil
	}
	p.mu.Lock()
	p.password, p.read = newPass, fi
	p.mu.Unlock()
	if newPass != pass {
		p.log.Info("upstream password file changed; token exchanges use its new secret", "path", p.path)
	}
	return p.username, newPass, nil
}

// unchanged compares the file now with the one read: the same inode (a
// Kubernetes secret volume swaps a symlink, so a rotation is a new one),
// size and modification time.
func unchanged(read, now os.FileInfo) bool {
	return os.SameFile(read, now) && read.Size() == now.Size() && read.ModTime().Equal(now.ModTime())
}

// readPassword returns the file's content without surrounding whitespace
// (echo and editors add a newline) and the file it read it from.
func readPassword(path string) (string, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, 64<<10))
	if err != nil {
		return "", nil, err
	}
	return strings.TrimSpace(string(b)), fi, nil
}
