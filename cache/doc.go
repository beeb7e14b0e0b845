// Package cache keeps verified registry content on disk by digest, with a
// Badger index of sizes, last access and cached tags, and evicts the least
// recently used content to stay under a byte cap.
package cache
