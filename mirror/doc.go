// Package mirror serves the read side of the OCI distribution API from the
// cache, filling it from the upstream registry on a miss.
package mirror
