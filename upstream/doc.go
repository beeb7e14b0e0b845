// Package upstream fetches manifests, blobs, tag lists and referrers from
// one remote registry, doing the bearer-token dance and following its CDN
// redirects without ever leaking credentials to another host.
package upstream
