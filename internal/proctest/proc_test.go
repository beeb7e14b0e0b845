package proctest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStopKillsAProcessThatIgnoresSIGTERM(t *testing.T) {
	p, err := Start(t.TempDir(), "stubborn", nil, "sh", "-c", `trap "" TERM; echo ready; while :; do sleep 1; done`)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitReady(10*time.Second, func() error {
		if !p.LogContains("ready") {
			return errors.New("no trap yet")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	err = p.Stop(200 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "ignored SIGTERM") {
		t.Errorf("Stop = %v, want it to say SIGTERM was ignored", err)
	}
	if !p.Exited() {
		t.Error("still running after Stop")
	}
	if err := p.Stop(time.Second); err != nil {
		t.Errorf("second Stop = %v, want nil", err)
	}
}

func TestWaitReadyEndsWhenTheProcessDies(t *testing.T) {
	p, err := Start(t.TempDir(), "dies", nil, "sh", "-c", "echo bye; exit 3")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.WaitReady(time.Minute, func() error { return errors.New("never") })
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Errorf("WaitReady = %v, want the exit reported", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("WaitReady took %s after the process died", time.Since(start))
	}
	if lines, err := p.LogTail(5); err != nil || !slices.Equal(lines, []string{"bye"}) {
		t.Errorf("LogTail = %q, %v; want [bye]", lines, err)
	}
}

func TestDropEnvDropsEveryPrefix(t *testing.T) {
	got := DropEnv([]string{"A_X=1", "B_Y=2", "C=3"}, "A_", "B_")
	if !slices.Equal(got, []string{"C=3"}) {
		t.Errorf("DropEnv = %q", got)
	}
}
