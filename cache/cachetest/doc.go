// Package cachetest is the conformance suite every cache.Store
// configuration must pass: storage, tags, LRU order, the byte cap, pins,
// in-flight fills and exact accounting.
package cachetest
