package deploy

import (
	"bufio"
	"os"
	"strings"
	"testing"
	"time"
)

// unit reads a systemd unit file into key → values, in order.
func unit(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("%s: %q is not key=value", path, line)
			continue
		}
		keys[k] = append(keys[k], v)
	}
	return keys
}

// The service runs as a transient user whose only writable place is its
// state directory, which is where --data-dir points.
func TestSystemdUnitKeepsTheCacheInItsStateDirectory(t *testing.T) {
	u := unit(t, "hubmirror.service")
	exec := strings.Fields(strings.Join(u["ExecStart"], " "))
	if len(exec) < 2 || exec[1] != "serve" {
		t.Fatalf("ExecStart %q does not run `hubmirror serve`", exec)
	}
	state := strings.Join(u["StateDirectory"], " ")
	if state == "" {
		t.Fatal("no StateDirectory: under DynamicUser the cache would have nowhere to live")
	}
	if got, want := flagValue(t, exec, "--data-dir"), "/var/lib/"+state; got != want {
		t.Errorf("--data-dir %s, want the state directory %s", got, want)
	}
}

// The hardening the issue names is present, and systemd waits longer than
// hubmirror's own shutdown grace before it kills the process.
func TestSystemdUnitIsHardened(t *testing.T) {
	u := unit(t, "hubmirror.service")
	for key, want := range map[string]string{
		"DynamicUser":           "yes",
		"NoNewPrivileges":       "yes",
		"ProtectSystem":         "strict",
		"ProtectHome":           "yes",
		"PrivateTmp":            "yes",
		"PrivateDevices":        "yes",
		"CapabilityBoundingSet": "",
	} {
		if got, ok := u[key]; !ok || got[len(got)-1] != want {
			t.Errorf("%s=%q, want %q", key, got, want)
		}
	}
	stop, err := time.ParseDuration(strings.Join(u["TimeoutStopSec"], ""))
	if err != nil || stop <= serverGrace*time.Second {
		t.Errorf("TimeoutStopSec %q: systemd would SIGKILL streams hubmirror is still finishing (it allows %d s)", u["TimeoutStopSec"], serverGrace)
	}
	if len(u["EnvironmentFile"]) == 0 {
		t.Error("no EnvironmentFile: settings and credentials would have to go on the command line")
	}
}

// The environment file example sets only hubmirror's own variables, so a
// typo cannot hide in a comment-free KEY=value line.
func TestSystemdEnvironmentFile(t *testing.T) {
	for _, kv := range envFileVars(t, "hubmirror.env") {
		if !strings.HasPrefix(kv, "HUBMIRROR_") {
			t.Errorf("hubmirror.env sets %s, which hubmirror does not read", kv)
		}
	}
}

// envFileVars returns the KEY=value lines of an environment file,
// commented-out examples included (uncommented).
func envFileVars(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var vars []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimPrefix(strings.TrimSpace(line), "#")
		if k, _, ok := strings.Cut(line, "="); ok && !strings.ContainsAny(k, " \t") && k != "" {
			vars = append(vars, line)
		}
	}
	if len(vars) == 0 {
		t.Fatalf("%s sets nothing", path)
	}
	return vars
}
