package cache

import (
	"encoding/binary"
	"errors"
	"time"
)

// Meta describes one stored digest.
type Meta struct {
	Size       int64     `json:"size"`
	MediaType  string    `json:"mediaType,omitempty"`
	Created    time.Time `json:"created"`
	LastAccess time.Time `json:"lastAccess"`
}

// metaVersion leads every encoded record so the format can change later
// without guessing.
const metaVersion = 1

// knownTypes turns the media types nearly every record carries into one
// byte. The numbers are on disk: append, never reorder or reuse.
var knownTypes = []string{
	"", // 0: the type follows as a literal string (empty for most blobs)
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v1+prettyjws",
	"application/vnd.oci.image.config.v1+json",
	"application/vnd.docker.container.image.v1+json",
	"application/vnd.oci.image.layer.v1.tar+gzip",
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/vnd.oci.image.layer.v1.tar+zstd",
}

var errBadMeta = errors.New("malformed index record")

// encodeMeta is the c/ value: version, uvarint size, varint created and last
// access in unix nanoseconds, a media type code and, for code 0, the type.
// A typical record is about 20 bytes where JSON took about 130, and it
// decodes without parsing timestamps (see BenchmarkMetaCodec).
func encodeMeta(m Meta) []byte {
	b := make([]byte, 0, 32+len(m.MediaType))
	b = append(b, metaVersion)
	b = binary.AppendUvarint(b, uint64(m.Size))
	b = binary.AppendVarint(b, m.Created.UnixNano())
	b = binary.AppendVarint(b, m.LastAccess.UnixNano())
	code := typeCode(m.MediaType)
	b = append(b, code)
	if code == 0 {
		b = append(b, m.MediaType...)
	}
	return b
}

func decodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) < 1 || b[0] != metaVersion {
		return m, errBadMeta
	}
	b = b[1:]
	size, n := binary.Uvarint(b)
	if n <= 0 || size > 1<<62 {
		return m, errBadMeta
	}
	b = b[n:]
	created, n := binary.Varint(b)
	if n <= 0 {
		return m, errBadMeta
	}
	b = b[n:]
	access, n := binary.Varint(b)
	if n <= 0 || len(b) == n || int(b[n]) >= len(knownTypes) {
		return m, errBadMeta
	}
	code, rest := b[n], b[n+1:]
	m.Size, m.Created, m.LastAccess = int64(size), time.Unix(0, created).UTC(), time.Unix(0, access).UTC()
	m.MediaType = knownTypes[code]
	if code == 0 {
		m.MediaType = string(rest)
	} else if len(rest) != 0 {
		return Meta{}, errBadMeta
	}
	return m, nil
}

func typeCode(mediaType string) byte {
	for i, t := range knownTypes[1:] {
		if t == mediaType {
			return byte(i + 1)
		}
	}
	return 0
}
