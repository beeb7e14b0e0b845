package cache

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// pin is an image kept out of eviction, in the terms the tag index uses.
type pin struct {
	Upstream string  // "docker.io", "ghcr.io", …
	Repo     string  // "library/alpine"
	Tag      string  // set unless pinned by digest
	Digest   v1.Hash // set when pinned by digest
}

func (p pin) String() string {
	if p.Tag != "" {
		return p.Upstream + "/" + p.Repo + ":" + p.Tag
	}
	return p.Upstream + "/" + p.Repo + "@" + p.Digest.String()
}

// parsePin reads an image reference the way docker does: no registry means
// docker.io, a one-part Hub name gets library/, no tag means latest.
func parsePin(s string) (pin, error) {
	ref, err := name.ParseReference(strings.TrimSpace(s))
	if err != nil {
		return pin{}, fmt.Errorf("pin %q: %w", s, err)
	}
	p := pin{Upstream: ref.Context().RegistryStr(), Repo: ref.Context().RepositoryStr()}
	// go-containerregistry spells Docker Hub index.docker.io; the mirror
	// keys Hub's tags under the name users write.
	if p.Upstream == name.DefaultRegistry {
		p.Upstream = "docker.io"
	}
	switch r := ref.(type) {
	case name.Tag:
		p.Tag = r.TagStr()
	case name.Digest:
		if p.Digest, err = v1.NewHash(r.DigestStr()); err != nil {
			return pin{}, fmt.Errorf("pin %q: %w", s, err)
		}
	}
	return p, nil
}

// ReadPinFile reads one image reference per line; blank lines and text
// after # are ignored.
func ReadPinFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var pins []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			pins = append(pins, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading pin file %s: %w", path, err)
	}
	return pins, nil
}
