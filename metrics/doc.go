// Package metrics defines hubmirror's Prometheus collectors, built from a
// registerer that main passes in; labels come from small fixed sets only.
package metrics
