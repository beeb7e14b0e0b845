package logbuf

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is a concurrency-safe stand-in for stderr that counts writes.
type sink struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *sink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// never is an interval no test waits for: what reaches the sink got there
// by something other than the timer.
const never = time.Hour

// Many lines cost one write, and Close writes them all.
func TestLinesWaitForOneWriteAndCloseWritesThem(t *testing.T) {
	var s sink
	w := New(&s, never)
	for i := range 100 {
		fmt.Fprintf(w, "line %d\n", i)
	}
	if s.count() != 0 {
		t.Fatalf("%d writes before any flush; want the lines held", s.count())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if s.count() != 1 || strings.Count(s.String(), "\n") != 100 {
		t.Fatalf("after Close: %d writes, %d lines; want 1 write of 100 lines", s.count(), strings.Count(s.String(), "\n"))
	}
	fmt.Fprintln(w, "after close")
	if !strings.HasSuffix(s.String(), "after close\n") {
		t.Fatal("a line written after Close was held back")
	}
}

// A quiet server's line reaches the sink by itself, one interval later.
func TestTimerWritesAHeldLine(t *testing.T) {
	var s sink
	w := New(&s, 5*time.Millisecond)
	defer w.Close()
	fmt.Fprintln(w, "quiet")
	deadline := time.Now().Add(10 * time.Second)
	for s.String() != "quiet\n" {
		if time.Now().After(deadline) {
			t.Fatalf("the line never reached the sink (have %q)", s.String())
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Fprintln(w, "again") // the timer re-arms after it fired
	for s.String() != "quiet\nagain\n" {
		if time.Now().After(deadline) {
			t.Fatalf("the second line never reached the sink (have %q)", s.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// A full buffer is written at once, whatever the interval.
func TestFullBufferIsWritten(t *testing.T) {
	var s sink
	w := New(&s, never)
	defer w.Close()
	line := strings.Repeat("x", 1023) + "\n"
	for range 2 * bufferSize / len(line) {
		w.Write([]byte(line))
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(s.String()) < bufferSize {
		if time.Now().After(deadline) {
			t.Fatalf("%d bytes reached the sink after writing twice the buffer; want ≥ %d", len(s.String()), bufferSize)
		}
		time.Sleep(time.Millisecond)
	}
}

// stuckSink is a sink whose writes wait until it is released, like a log
// on a disk that has stalled.
type stuckSink struct {
	sink
	release chan struct{}
}

func (s *stuckSink) Write(p []byte) (int, error) {
	<-s.release
	return s.sink.Write(p)
}

// A writer that fills the buffer does not wait for the sink: a request
// logging its line is never held up by a write(2) to the log, until two
// full batches are already waiting for the sink.
func TestWritersDoNotWaitForTheSink(t *testing.T) {
	s := &stuckSink{release: make(chan struct{})}
	w := New(s, never)
	line := strings.Repeat("z", 999) + "\n"
	lines := bufferSize/len(line)*3/2 + 1 // one full batch handed off, half of the next
	wrote := make(chan struct{})
	go func() {
		for range lines {
			w.Write([]byte(line))
		}
		close(wrote)
	}()
	select {
	case <-wrote:
	case <-time.After(10 * time.Second):
		close(s.release)
		t.Fatal("writes waited for a stuck sink")
	}
	close(s.release)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(s.String(), "\n"); got != lines {
		t.Errorf("%d lines reached the sink, want %d", got, lines)
	}
}

// Concurrent lines stay whole: none is lost or interleaved.
func TestConcurrentLinesStayWhole(t *testing.T) {
	var s sink
	w := New(&s, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				fmt.Fprintf(w, "g%d-%d %s\n", g, i, strings.Repeat("y", 200))
			}
		})
	}
	wg.Wait()
	w.Close()
	lines := strings.Split(strings.TrimSuffix(s.String(), "\n"), "\n")
	if len(lines) != 8*500 {
		t.Fatalf("%d lines, want %d", len(lines), 8*500)
	}
	for _, l := range lines {
		if !strings.HasSuffix(l, strings.Repeat("y", 200)) || strings.Count(l, " ") != 1 {
			t.Fatalf("mangled line %q", l)
		}
	}
}

// A warning is written at once, with the info lines before it, so the line
// that says why a server died is not lost with it.
func TestWarningsAreWrittenAtOnce(t *testing.T) {
	var s sink
	w := New(&s, never)
	log := slog.New(Urgent(slog.NewTextHandler(w, nil), w, slog.LevelWarn)).With("component", "test")
	log.Info("request")
	if s.count() != 0 {
		t.Fatal("an info line was written at once; want it held")
	}
	log.Warn("upstream down")
	out := s.String()
	if !strings.Contains(out, "msg=request") || !strings.Contains(out, `msg="upstream down"`) || !strings.Contains(out, "component=test") {
		t.Fatalf("after a warning the sink holds %q; want both lines", out)
	}
}
