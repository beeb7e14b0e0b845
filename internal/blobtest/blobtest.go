// Package blobtest names test content by its digest, for the tests of
// every package — cache's own in-package tests included, which cannot
// import cachetest.
package blobtest

import (
	"crypto/sha256"
	"encoding/hex"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Digest is the sha256 digest of b.
func Digest(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}
