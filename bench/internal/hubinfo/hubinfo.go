// Package hubinfo is what the fakehub binary tells the benchmark driver:
// where the fake Docker Hub listens and what content it holds.
package hubinfo

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Info is written by fakehub as JSON once the hub is seeded and listening.
type Info struct {
	URL     string // registry base, http://127.0.0.1:PORT
	Realm   string // token endpoint advertised in challenges
	CDNURL  string // base of blob redirects
	Control string // base of fakehub's own /_counts and /_reset
	Blobs   []Blob
	Images  []Image // SeedStandard's set, for docker pull
	// Tagged is one repository whose tags all name small images; the
	// scenarios that pull by tag use it.
	Tagged TagSet
	// FarImages are images of many small layers (--far-images), one
	// repository each, for the far-link image pull.
	FarImages []Image
	// ClusterImages share one base layer (--cluster-images), one
	// repository each, for the cluster pull; Blobs are config and layers.
	ClusterImages []Image
}

// Blob is one large random blob from --blob-size.
type Blob struct {
	Repo   string
	Digest string // sha256:…
	Size   int64
	File   string // where --export wrote the bytes; "" when not exported
}

// Image is one image of the standard set.
type Image struct {
	Repo, Tag string
	Digest    string
	Blobs     []string
}

// TagSet is a repository and its tags.
type TagSet struct {
	Repo string
	Tags []string
}

// Counts is fakehub's /_counts answer: the hub's counters and the CDN GETs
// of each blob asked about.
type Counts struct {
	ManifestGets  int64
	ManifestHeads int64
	BlobGets      int64
	CDNGets       int64
	CDNBytes      int64
	Tokens        int64
	Pings         int64
	BlobHeads     int64
	// TCP connections each of the hub's listeners accepted, and the round
	// trips the emulated link charged (one a request, one a new connection).
	RegistryConns, TokenConns, CDNConns int64
	RoundTrips                          int64
	PerBlob                             map[string]int64 // CDN GETs by digest
	BlobStats                           map[string]BlobStats
}

// BlobStats is the CDN's view of one seeded blob.
type BlobStats struct {
	RangedGets int64 // CDN GETs with a Range header
	Bytes      int64 // body bytes sent for it
	MaxActive  int64 // most of its GETs answered at once
}

// Link is the far link fakehub emulates (PUT /_link, and its flags); zero
// fields are unlimited or instant.
type Link struct {
	Bandwidth     int64         // bytes per second per CDN connection
	LinkBandwidth int64         // bytes per second over all CDN connections
	RTT           time.Duration // before every response, again per new connection
}

// ParseSize reads "512MiB", "1GiB", "200MB", "4096": binary suffixes are
// powers of 1024, decimal ones of 1000, as bandwidths are usually quoted.
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	for _, u := range sizeUnits {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("size %q: want a number and a unit such as 512MiB or 200MB", s)
		}
		return int64(n * float64(u.mult)), nil
	}
	return 0, fmt.Errorf("size %q: unknown unit", s)
}

// sizeUnits is checked in order, so "MiB" is tried before "B".
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}, {"", 1},
}

// ParseSizes reads a comma-separated list of sizes.
func ParseSizes(list string) ([]int64, error) {
	var out []int64
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := ParseSize(s)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}
