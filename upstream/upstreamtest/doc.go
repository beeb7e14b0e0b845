// Package upstreamtest runs a fake Docker Hub (registry, token service and
// blob CDN as three real loopback HTTP servers) with counters, gates and fault
// knobs, so tests of the mirror can prove what it asks of upstream.
package upstreamtest
