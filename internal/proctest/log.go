package proctest

import (
	"bytes"
	"os"
	"strings"
)

// LogContains reports whether the process's log holds s.
func (p *Proc) LogContains(s string) bool {
	b, _ := os.ReadFile(p.log)
	return bytes.Contains(b, []byte(s))
}

// LogTail returns the last n lines of the process's log.
func (p *Proc) LogTail(n int) ([]string, error) {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines, nil
}
