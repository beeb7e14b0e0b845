package logbuf

import (
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
// underlying writer within one interval of being written. A full batch is
// written by the Writer's own goroutine, not by the request that filled
// it: the mutex-profile of bench scenario 4 showed requests queued behind
// the one holding the lock through a write(2) of 64 KiB, and a log on a
// slow disk would stall every request that way. Lines wait only when two
// batches are already on their way out, which bounds the memory. The
// timer runs only while something is buffered, so an idle server never
// wakes for it.
type Writer struct {
	out      io.Writer
	interval time.Duration

	mu     sync.Mutex
	buf    []byte // lines not yet handed to the writing goroutine
	timer  *time.Timer
	armed  bool // the timer will hand off what is buffered
	closed bool

	batches chan batch  // to the writing goroutine, in order
	free    chan []byte // written buffers, for reuse
	stopped chan struct{}
}

// batch is bytes for the writing goroutine; done, when set, hears once
// they and every batch before them were written.
type batch struct {
	p    []byte
	done chan error
}

// New buffers w, writing at most interval after the first unwritten byte.
func New(w io.Writer, interval time.Duration) *Writer {
	b := &Writer{
		out: w, interval: interval, buf: make([]byte, 0, bufferSize),
		batches: make(chan batch, 1), free: make(chan []byte, 2), stopped: make(chan struct{}),
	}
	b.timer = time.AfterFunc(time.Hour, b.flushDue)
	b.timer.Stop()
	go b.write()
	return b
}

// write is the goroutine that writes batches, in the order handed off.
func (b *Writer) write() {
	defer close(b.stopped)
	for bt := range b.batches {
		var err error
		if len(bt.p) > 0 {
			_, err = b.out.Write(bt.p)
		}
		if bt.done != nil {
			bt.done <- err
		}
		select {
		case b.free <- bt.p[:0]:
		default:
		}
	}
}

// handOff gives what is buffered to the writing goroutine; b.mu is held,
// so batches go in the order their lines were written.
func (b *Writer) handOff(done chan error) {
	if len(b.buf) == 0 && done == nil {
		return
	}
	p := b.buf
	select {
	case b.buf = <-b.free:
	default:
		b.buf = make([]byte, 0, bufferSize)
	}
	b.batches <- batch{p: p, done: done}
}

// Write buffers p. After Close every write goes straight through, so late
// lines (the error that ends the program) are not held back.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.out.Write(p)
	}
	b.buf = append(b.buf, p...)
	switch {
	case len(b.buf) >= bufferSize:
		b.handOff(nil)
	case !b.armed:
		b.armed = true
		b.timer.Reset(b.interval)
	}
	return len(p), nil
}

// Flush returns once everything written before it reached the underlying
// writer.
func (b *Writer) Flush() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	done := make(chan error, 1)
	b.handOff(done)
	b.mu.Unlock()
	return <-done
}

func (b *Writer) flushDue() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed = false
	if !b.closed {
		b.handOff(nil)
	}
}

// Close writes what is buffered, stops the writing goroutine and makes
// later writes unbuffered. It does not close the underlying writer
// (usually stderr).
func (b *Writer) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.timer.Stop()
	b.armed = false
	done := make(chan error, 1)
	b.handOff(done)
	err := <-done
	close(b.batches)
	<-b.stopped
	return err
}
