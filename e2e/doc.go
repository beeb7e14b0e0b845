// Package e2e drives real registry clients (dockerd, containerd's ctr, skopeo) against hubmirror.
package e2e
