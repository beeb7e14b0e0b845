package proctest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// Proc is one background process whose stdout and stderr go to a log file,
// so that a failure can show what the process said.
type Proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed once Wait has returned
	err  error         // Wait's result; read only after done is closed
}

// Start runs bin with args and env (nil: the caller's environment) and logs
// its output to dir/name.log.
func Start(dir, name string, env []string, bin string, args ...string) (*Proc, error) {
	p := &Proc{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		return nil, fmt.Errorf("create %s log: %w", name, err)
	}
	defer f.Close() // the child holds its own descriptor
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr, p.cmd.Env = f, f, env
	p.cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // so a hung daemon's children can be killed with it
		Pdeathsig: syscall.SIGKILL, // so a crashed or killed caller leaks no daemon
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	return p, nil
}

// Name is the name the process was started under.
func (p *Proc) Name() string { return p.name }

// LogPath is the file that holds the process's output.
func (p *Proc) LogPath() string { return p.log }

// Pid is the process id, which is also its process group id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is how the process ended (nil for status 0); valid once Done is closed.
func (p *Proc) Err() error { return p.err }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process alone, as a test of its shutdown would.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }
