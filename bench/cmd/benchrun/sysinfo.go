package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// sysinfo is the header of RESULTS.md: what machine and which builds.
type sysinfo struct {
	date      string
	cpu       string
	cores     int
	memory    string
	kernel    string
	goVersion string
	tools     []string // "name: version" lines
}

func gatherSysinfo(binDir string) sysinfo {
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return sysinfo{
		date:      time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		cpu:       procField("/proc/cpuinfo", "model name"),
		cores:     runtime.NumCPU(),
		memory:    memTotal(),
		kernel:    strings.TrimSpace(string(kernel)),
		goVersion: runtime.Version(),
		tools: []string{
			"registry: " + lastField(firstLine(filepath.Join(binDir, "registry"), "--version"), 2),
			"nginx: " + firstLine("nginx", "-v"),
			"curl: " + firstLine("curl", "--version"),
			"wrk: " + firstLine("wrk", "-v"),
			"dockerd: " + firstLine("dockerd", "--version"),
			"crane: " + firstLine(filepath.Join(binDir, "crane"), "version"),
		},
	}
}

// procField returns the value of the first "key: value" line of a /proc file.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// firstLine runs a version command; several print to stderr or exit
// non-zero (wrk -v), so both streams are read and the status ignored.
func firstLine(bin string, args ...string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "PATH="+os.Getenv("PATH")+":/usr/local/sbin:/usr/sbin:/sbin")
	out, _ := cmd.CombinedOutput()
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if line == "" {
		return "not found"
	}
	return line
}

// lastField drops the first fields of a version line ("/path/registry
// github.com/… v3.0.0" keeps the module and version).
func lastField(line string, n int) string {
	f := strings.Fields(line)
	if len(f) > n {
		f = f[len(f)-n:]
	}
	return strings.Join(f, " ")
}

// memTotal is MemTotal, for people.
func memTotal() string {
	kb, err := strconv.ParseInt(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 10, 64)
	if err != nil {
		return "unknown"
	}
	return humanize.IBytes(uint64(kb) << 10)
}

// loadAverage is the 1-minute load average from /proc/loadavg.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "unknown"
	}
	return f[0]
}
