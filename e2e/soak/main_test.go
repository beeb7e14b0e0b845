package soak

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// hubmirrorBin is the binary every mirror of the run is started from, built
// once in TestMain so a restart takes milliseconds, and so editing the tree
// during a long run does not change what is running.
var hubmirrorBin string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

// runMain builds the binary only when a soak was asked for, so `go test
// ./...` pays nothing for this package.
func runMain(m *testing.M) int {
	if os.Getenv("SOAK") == "" {
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "soak-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if hubmirrorBin, err = build(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// build compiles the main package at the repository root; under -race the
// binary is race-enabled too.
func build(dir string) (string, error) {
	bin := filepath.Join(dir, "hubmirror")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append(args, ".")...)
	cmd.Dir = "../.." // go test runs in e2e/soak
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

// settings are what the environment asks of one run.
type settings struct {
	duration time.Duration
	seed     uint64
	report   string
}

// soakSettings reads SOAK, SOAK_SEED and SOAK_REPORT, skipping the test
// when SOAK is unset: a soak is asked for, never run by `go test ./...`.
func soakSettings(t *testing.T) settings {
	v := os.Getenv("SOAK")
	if v == "" {
		t.Skip("SOAK is not set (make soak, or SOAK=2m go test -run TestSoak ./e2e/soak/)")
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 30*time.Second {
		t.Fatalf("SOAK=%q: want a duration of at least 30s", v)
	}
	s := settings{duration: d, seed: uint64(time.Now().UnixNano()), report: os.Getenv("SOAK_REPORT")}
	if v := os.Getenv("SOAK_SEED"); v != "" {
		if s.seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("SOAK_SEED=%q: %v", v, err)
		}
	}
	return s
}
