package upstream

import (
	"errors"
	"net/url"
	"testing"
)

func TestHostPolicy(t *testing.T) {
	safe := hostPolicy{registryHost: "10.0.0.5:5000"}
	lan := hostPolicy{registryHost: "10.0.0.5:5000", allowPrivate: true}
	cases := []struct {
		url         string
		safe, onLAN bool
	}{
		{"https://production.cloudflare.docker.com/x", true, true},
		{"http://localhost:9000/blob", true, true}, // a name, not a literal
		{"http://10.0.0.5:5000/token", true, true}, // the registry itself
		{"http://10.0.0.6:9000/blob", false, true},
		{"http://169.254.169.254/latest/meta-data", false, true},
		{"http://127.0.0.2:80/", false, true},
		{"http://[::1]:80/", false, true},
		{"http://[::ffff:10.0.0.6]/", false, true},
		{"http://127.1/", false, true},
		{"http://0x7f000001/", false, true},
		{"https://8.8.8.8/", true, true},
	}
	for _, tc := range cases {
		u, _ := url.Parse(tc.url)
		if err := safe.check(u); (err == nil) != tc.safe {
			t.Errorf("default policy on %s: %v", tc.url, err)
		} else if err != nil && !errors.Is(err, ErrRefusedHost) {
			t.Errorf("refusal must be ErrRefusedHost, got %v", err)
		}
		if err := lan.check(u); (err == nil) != tc.onLAN {
			t.Errorf("LAN policy on %s: %v", tc.url, err)
		}
	}
}

func TestCredentialsGoOnlyToTheRegistrysDomain(t *testing.T) {
	hub := hostPolicy{registryHost: "registry-1.docker.io"}
	lan := hostPolicy{registryHost: "127.0.0.1:5000", realmHosts: []string{"localhost"}}
	cases := []struct {
		p    hostPolicy
		url  string
		want bool
	}{
		{hub, "https://auth.docker.io/token", true},
		{hub, "https://registry-1.docker.io/token", true},
		{hub, "https://auth.evil.example/token", false},
		{hub, "https://docker.io.evil.example/token", false},
		{lan, "http://localhost:9000/token", true},
		{lan, "http://127.0.0.1:5000/token", true},
		{lan, "http://127.0.0.2:5000/token", false},
	}
	for _, tc := range cases {
		u, _ := url.Parse(tc.url)
		if got := tc.p.mayReceiveCredentials(u); got != tc.want {
			t.Errorf("%s from %s: %v, want %v", tc.url, tc.p.registryHost, got, tc.want)
		}
	}
}
