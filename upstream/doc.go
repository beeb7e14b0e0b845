// Package upstream fetches manifests, blobs and tag lists from one remote
// registry, doing the bearer-token dance and following its CDN redirects
// without ever leaking credentials to another host.
package upstream
