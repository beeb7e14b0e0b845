// Package deploy holds the files that run hubmirror (systemd unit,
// Kubernetes manifests, containerd hosts.toml, Grafana dashboard); its
// tests check them against what hubmirror really serves and exports.
package deploy
