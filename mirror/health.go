package mirror

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/hubmirror/hubmirror/upstream"
)

// Healthz answers 200 while the process can serve HTTP at all.
func Healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
}

// readyChecker is what the cache offers to say it can take writes.
type readyChecker interface{ Ready() error }

// healthReporter is what an upstream client offers about its registry.
type healthReporter interface{ Health() upstream.Health }

type readiness struct {
	Ready bool `json:"ready"`
	// Draining says why a healthy mirror is unready: it is shutting down.
	Draining  bool                      `json:"draining,omitempty"`
	Cache     string                    `json:"cache"`
	Upstreams map[string]upstreamStatus `json:"upstreams"`
}

type upstreamStatus struct {
	Reachable bool      `json:"reachable"`
	LastOK    time.Time `json:"last_ok,omitzero"`
	LastError string    `json:"last_error,omitempty"`
	// TokenError says the realm refuses the mirror's credentials or fails:
	// every uncached pull fails while it lasts, though the registry answers.
	TokenError string `json:"token_error,omitempty"`
}

// Drain makes /readyz answer 503 from now on while every other request is
// still served: a balancer polling it stops sending new requests before
// the process stops taking them, so no client meets a closed port.
func (m *Mirror) Drain() { m.draining.Store(true) }

// Readyz is ready when the cache can serve and store (data dir writable,
// index open) and the mirror is not draining. Upstream reachability is
// reported but not required: a mirror that serves its cache while Docker
// Hub is down is still useful, and a load balancer must keep sending it
// traffic.
func (m *Mirror) Readyz(w http.ResponseWriter, _ *http.Request) {
	rd := readiness{Ready: true, Cache: "ok", Upstreams: m.upstreamStatus()}
	if m.draining.Load() {
		rd.Ready, rd.Draining = false, true
	}
	if rc, ok := m.opts.Store.(readyChecker); ok {
		if err := rc.Ready(); err != nil {
			rd.Ready, rd.Cache = false, err.Error()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if !rd.Ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(rd)
}

func (m *Mirror) upstreamStatus() map[string]upstreamStatus {
	out := map[string]upstreamStatus{}
	for host, reg := range m.regs.byHost {
		hr, ok := reg.Upstream.(healthReporter)
		if !ok {
			continue
		}
		h := hr.Health()
		st := upstreamStatus{Reachable: h.Reachable(), LastOK: h.LastOK, TokenError: h.TokenError}
		if !st.Reachable {
			st.LastError = h.LastError
		}
		out[host] = st
	}
	return out
}
