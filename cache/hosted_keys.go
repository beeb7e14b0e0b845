package cache

import (
	"bytes"
	"encoding/binary"
	"time"
)

// The Badger keys of hosted repositories (drawn with the rest in
// layout.go). A repository name never contains a NUL byte, so "\x00" ends
// it inside a key and a prefix scan of one repository never strays into
// another whose name merely starts the same ("team/app" and "team/app2").
const (
	holdPrefix     = "h/"  // h/<id> → uvarint unix ns of the latest link
	linkPrefix     = "hl/" // hl/<repo>\0<id> → uvarint unix ns the blob was linked
	manifestPrefix = "hm/" // hm/<repo>\0<id> → media type
	hostedTagPref  = "ht/" // ht/<repo>\0<tag> → JSON HostedTag
	hostedRepoPref = "hr/" // hr/<repo> → empty
	aliasPrefix    = "hs/" // hs/<sha512: 64 raw bytes> → sha256 id
	referrerPrefix = "hx/" // hx/<repo>\0<subject digest>\0<id> → JSON Descriptor
)

func holdKey(i id) []byte { return append([]byte(holdPrefix), i[:]...) }

func repoScoped(prefix, repo string) []byte {
	return append([]byte(prefix+repo), 0)
}

func linkKey(repo string, i id) []byte { return append(repoScoped(linkPrefix, repo), i[:]...) }

func manifestKey(repo string, i id) []byte {
	return append(repoScoped(manifestPrefix, repo), i[:]...)
}

func hostedTagKey(repo, tag string) []byte { return append(repoScoped(hostedTagPref, repo), tag...) }

func hostedRepoKey(repo string) []byte { return []byte(hostedRepoPref + repo) }

func aliasKey(sum []byte) []byte { return append([]byte(aliasPrefix), sum...) }

func referrerScope(repo, subject string) []byte {
	return append(append(repoScoped(referrerPrefix, repo), subject...), 0)
}

func referrerKey(repo, subject string, i id) []byte {
	return append(referrerScope(repo, subject), i[:]...)
}

// splitScoped reads <prefix><repo>\0<rest> back into repo and rest.
func splitScoped(prefix string, k []byte) (repo string, rest []byte, ok bool) {
	body, found := bytes.CutPrefix(k, []byte(prefix))
	if !found {
		return "", nil, false
	}
	r, rest, found := bytes.Cut(body, []byte{0})
	return string(r), rest, found
}

// scopedID reads the id that ends an hl/ or hm/ key.
func scopedID(prefix string, k []byte) (string, id, bool) {
	var i id
	repo, rest, ok := splitScoped(prefix, k)
	if !ok || len(rest) != len(i) {
		return "", i, false
	}
	copy(i[:], rest)
	return repo, i, true
}

func timeValue(t time.Time) []byte { return binary.AppendUvarint(nil, uint64(t.UnixNano())) }

func readTime(v []byte) time.Time {
	ns, _ := binary.Uvarint(v)
	return unixTime(int64(ns))
}
