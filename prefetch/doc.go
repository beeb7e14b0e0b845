// Package prefetch warms a running mirror's cache by pulling images'
// manifests and blobs through it as a registry client would.
package prefetch
