package upstreamtest

import "sync/atomic"

// FaultCounts says how many armed faults actually hit a request. A soak
// arms faults on content the mirror may already hold, so what was armed
// says little; what fired is the load the mirror really had to survive.
type FaultCounts struct {
	Failures    int64 // error answers from FailNext (429, 5xx, token failures)
	Resets      int64 // CDN bodies cut by ResetAfter
	Corruptions int64 // CDN bodies sent with a flipped byte (CorruptNext)
	Holds       int64 // CDN bodies stopped at a Gate (Hold)
}

type firedCounts struct {
	failures, resets, corruptions, holds atomic.Int64
}

// FaultsFired returns how many armed faults have fired since Start. Reset
// does not zero it: faults are not load of one phase.
func (h *Hub) FaultsFired() FaultCounts {
	f := &h.faults.fired
	return FaultCounts{Failures: f.failures.Load(), Resets: f.resets.Load(),
		Corruptions: f.corruptions.Load(), Holds: f.holds.Load()}
}

// DisarmFaults drops every armed one-shot fault that has not fired yet
// (FailNext, ResetAfter, CorruptNext, Hold), so a test can end a period of
// faults and check that the mirror recovers by itself. A gate already
// holding a body is its owner's to release; one never reached is dropped.
func (h *Hub) DisarmFaults() {
	h.faults.mu.Lock()
	defer h.faults.mu.Unlock()
	h.faults.init() // fresh queues; the fired counts live beside them
}

// CorruptedForm is the body CorruptNext sends instead of content, so a
// test can tell the Hub's corruption passed through from bytes a mirror
// mangled itself.
func CorruptedForm(content []byte) []byte { return flipped(content) }

// DropIdleConnections closes every idle keep-alive connection to the
// Hub's listeners, as a real registry's idle timeout does, so a test can
// tell the connections (and goroutines) a mirror keeps for reuse from the
// ones it leaks.
func (h *Hub) DropIdleConnections() { h.idle.drop() }
