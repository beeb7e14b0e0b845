package main

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hubmirror/hubmirror/mirror"
)

// opsHandler serves what operators and orchestrators poll. It never asks
// for client credentials, so probes and Prometheus need none.
func opsHandler(m *mirror.Mirror, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", mirror.Healthz)
	mux.HandleFunc("GET /readyz", m.Readyz)
	return mux
}

// routes puts the registry API, the ops endpoints and the status page on
// one listener. Everything under /v2 goes to the API untouched: ServeMux
// would clean "/v2/a/../b" and redirect, where a registry client must get
// an OCI error.
func routes(api, ops http.Handler, m *mirror.Mirror, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", ops)
	mux.Handle("/healthz", ops)
	mux.Handle("/readyz", ops)
	mux.Handle("GET /{$}", m.StatusPage())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2" || strings.HasPrefix(r.URL.Path, "/v2/") {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
