package logbuf

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// bufferSize holds a few hundred access lines: at tens of thousands of
// requests a second it fills (and is written) several times per interval,
// so the interval only bounds how stale a quiet server's log can be.
const bufferSize = 64 << 10

// DefaultInterval bounds how long a line waits in memory: short enough that
// someone tailing the log sees a request as it happens, long enough that a
// busy server writes a few hundred lines per write(2).
const DefaultInterval = 100 * time.Millisecond

// Writer is an io.Writer safe for concurrent use whose bytes reach the
// underlying writer within one interval of being written. The timer runs
// only while something is buffered, so an idle server never wakes for it.
type Writer struct {
	mu       sync.Mutex
	buf      *bufio.Writer
	interval time.Duration
	timer    *time.Timer
	armed    bool // the timer will flush what is buffered
	closed   bool
}

// New buffers w, flushing at most interval after the first unwritten byte.
func New(w io.Writer, interval time.Duration) *Writer {
	b := &Writer{buf: bufio.NewWriterSize(w, bufferSize), interval: interval}
	b.timer = time.AfterFunc(time.Hour, b.flushDue)
	b.timer.Stop()
	return b
}

// Write buffers p; a line larger than the buffer goes straight through.
// After Close every write goes straight through, so late lines (the error
// that ends the program) are not held back.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.buf.Write(p)
	switch {
	case err != nil:
	case b.closed:
		err = b.buf.Flush()
	case b.buf.Buffered() > 0 && !b.armed:
		b.armed = true
		b.timer.Reset(b.interval)
	}
	return n, err
}

// Flush writes what is buffered now.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Flush()
}

func (b *Writer) flushDue() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed = false
	b.buf.Flush() //nolint:errcheck // a log sink that fails has nowhere to report it
}

// Close writes what is buffered and makes later writes unbuffered. It does
// not close the underlying writer (usually stderr).
func (b *Writer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.timer.Stop()
	b.armed = false
	return b.buf.Flush()
}
