package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// memoryAfterFanout reads each system's peak resident set at once, then,
// after one shared pause of cfg.idle, the resident sets at rest (Go gives
// freed memory back to the kernel over minutes, so this is "a little
// after", not "settled").
func (b *bench) memoryAfterFanout() {
	for _, s := range b.systems {
		peak, err := procStatus(s.proc.Pid(), "VmHWM")
		if err != nil {
			b.res.problem("scenario 5: %s: %v", s.name, err)
			continue
		}
		b.res.mem[s.name] = memory{peak: peak}
	}
	select {
	case <-time.After(b.cfg.idle):
	case <-b.ctx.Done():
	}
	for _, s := range b.systems {
		m, ok := b.res.mem[s.name]
		idle, err := procStatus(s.proc.Pid(), "VmRSS")
		if !ok || err != nil {
			continue
		}
		m.idle = idle
		b.res.mem[s.name] = m
		logf("scenario 5: %-10s peak RSS %d MiB, idle RSS %d MiB", s.name, m.peak>>20, m.idle>>20)
	}
}

// procStatus reads one "Key:  N kB" line of /proc/PID/status, in bytes.
func procStatus(pid int, key string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), key+":")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		return kb << 10, err
	}
	return 0, fmt.Errorf("/proc/%d/status has no %s", pid, key)
}

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc on every
// architecture Go supports.
const clockTicks = 100

// cpuSeconds is the CPU time (user + system) pid and its direct children
// have used so far: nginx serves from worker processes under its master.
func cpuSeconds(pid int) (float64, error) {
	total, err := ownCPU(pid)
	if err != nil {
		return 0, err
	}
	for _, child := range children(pid) {
		if t, err := ownCPU(child); err == nil {
			total += t
		}
	}
	return total, nil
}

func ownCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after its
	// closing parenthesis are plain. utime and stime are fields 14 and 15.
	i := strings.LastIndexByte(string(b), ')')
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too short", pid)
	}
	ut, err1 := strconv.ParseInt(fields[11], 10, 64)
	st, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %v %v", pid, err1, err2)
	}
	return float64(ut+st) / clockTicks, nil
}

// children lists pid's child processes, from every thread's children file.
func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}
