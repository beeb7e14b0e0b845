package proctest

import (
	"errors"
	"fmt"
	"syscall"
	"time"
)

// Stop sends SIGTERM to the process and, if it outlives grace, SIGKILL to
// its whole process group. The error says that it had to be killed, or that
// even SIGKILL did not end it within grace. Safe to call more than once.
func (p *Proc) Stop(grace time.Duration) error { return p.stop(p.Pid(), grace) }

// StopGroup is Stop with the SIGTERM sent to the whole process group, so
// that the process's children hear it at the same time as the process.
func (p *Proc) StopGroup(grace time.Duration) error { return p.stop(-p.Pid(), grace) }

// stop sends SIGTERM to term (a pid, or a negated process group id).
func (p *Proc) stop(term int, grace time.Duration) error {
	if p.Exited() {
		return nil
	}
	_ = syscall.Kill(term, syscall.SIGTERM)
	if p.endsWithin(grace) {
		return nil
	}
	ignored := fmt.Errorf("%s ignored SIGTERM for %s; killed its process group", p.name, grace)
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	if p.endsWithin(grace) {
		return ignored
	}
	return errors.Join(ignored, fmt.Errorf("%s (pid %d) survived SIGKILL", p.name, p.Pid()))
}

func (p *Proc) endsWithin(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(d):
		return false
	}
}
