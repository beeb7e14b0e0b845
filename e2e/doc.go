// Package e2e drives real registry clients (dockerd, skopeo) against hubmirror.
package e2e
