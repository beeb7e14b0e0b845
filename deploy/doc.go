// Package deploy holds the files that run hubmirror (systemd unit,
// Kubernetes manifests, containerd hosts.toml, Grafana dashboard, and for
// replicas behind HAProxy its config, k8s/cluster and compose.yaml); its
// tests check them against what hubmirror really serves and exports.
package deploy
