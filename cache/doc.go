// Package cache keeps verified registry content on disk by digest, with a
// Badger index of what is stored and which digest each cached tag points at.
package cache
