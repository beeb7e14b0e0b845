package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const (
	// pullTimeout bounds one docker pull. dockerd retries a failed layer
	// download 5 times with growing back-off (about 50s), so a broken mirror
	// still fails within this bound rather than hanging the test binary.
	pullTimeout = 2 * time.Minute
	// cliTimeout bounds quick CLI calls such as inspect and rmi.
	cliTimeout = 30 * time.Second
)

// Pull runs `docker pull ref` and returns its combined output. The error is
// returned, not fatal, so tests can assert on failing pulls too.
func (d *dockerd) Pull(t *testing.T, ref string) (string, error) {
	t.Helper()
	return d.docker(t, pullTimeout, "pull", ref)
}

// Rmi removes the images, failing the test if dockerd refuses.
func (d *dockerd) Rmi(t *testing.T, refs ...string) {
	t.Helper()
	if _, err := d.docker(t, cliTimeout, append([]string{"rmi"}, refs...)...); err != nil {
		t.Fatal(err)
	}
}

// ImageID returns the local image ID ("sha256:…", the config digest).
func (d *dockerd) ImageID(t *testing.T, ref string) string {
	t.Helper()
	return d.inspect(t, ref, "{{.Id}}")
}

// RepoDigests returns the "name@sha256:…" manifest digests dockerd recorded
// when it pulled ref.
func (d *dockerd) RepoDigests(t *testing.T, ref string) []string {
	t.Helper()
	var digests []string
	out := d.inspect(t, ref, "{{json .RepoDigests}}")
	if err := json.Unmarshal([]byte(out), &digests); err != nil {
		t.Fatalf("parse RepoDigests of %s: %v in %q", ref, err, out)
	}
	return digests
}

// inspect runs `docker image inspect` with a Go template, failing the test
// if the image is absent.
func (d *dockerd) inspect(t *testing.T, ref, format string) string {
	t.Helper()
	out, err := d.docker(t, cliTimeout, "image", "inspect", "--format", format, ref)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// docker runs the docker CLI against this daemon only. The error carries the
// output, which is where the CLI explains itself.
func (d *dockerd) docker(t *testing.T, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	return d.cli.Run(context.Background(), timeout, args...)
}
