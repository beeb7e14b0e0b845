// Package metrics defines hubmirror's Prometheus collectors, built from a
// registerer that main passes in, and reads them back as values for the
// status page; labels come from small fixed sets only.
package metrics
