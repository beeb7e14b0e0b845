#!/usr/bin/env bash
# bench/run.sh — issue 7's side-by-side benchmarks: hubmirror against nginx
# (the physical limit) and the distribution registry in proxy mode, all in
# front of the same fake Docker Hub, on 127.0.0.1, in one run. Regenerates
# bench/RESULTS.md.
#
#   bench/run.sh                      # everything (about 5 minutes here)
#   bench/run.sh --docker=false       # skip scenario 6 (no root / no dockerd)
#   BENCH_KEEP=1 bench/run.sh         # keep the work dir (logs, caches)
#
# Extra arguments go to bench/cmd/benchrun (see its flags: --big, --cold,
# --bandwidth, --runs, --wrk-duration, ...).
#
# On a fresh Debian machine it installs what is missing: nginx-light, wrk,
# curl, docker.io (dockerd, containerd, runc) with apt-get, and the reference
# registry with `go install` at a pinned release. Every process it starts
# is killed on exit, whatever the exit.
set -euo pipefail

REGISTRY_MODULE=github.com/distribution/distribution/v3/cmd/registry
# v3.0.0, not the newer v3.1.x: from 3.1 the proxy ignores a Bearer realm on
# another host when either host is an IP literal or "localhost"
# (realmAllowed in registry/proxy/proxyauth.go). The fake hub's realm is
# localhost:<port> beside a registry on 127.0.0.1:<port>, so 3.1 never asks
# for a token and answers every proxied request 401. Real Docker Hub passes
# the check (registry-1.docker.io and auth.docker.io share docker.io), and
# the proxy's data path is the same in both releases.
REGISTRY_VERSION=v3.0.0
# crane is scenario 8c's client and drives scenario 9's pushes, pinned like the registry.
CRANE_MODULE=github.com/google/go-containerregistry/cmd/crane
CRANE_VERSION=v0.22.1
RUN_LIMIT=1800 # seconds for the whole benchmark driver

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
work="$(mktemp -d /tmp/hubmirror-bench.XXXXXX)"
chmod 755 "$work" # nginx's workers run as nobody and read the blob from here
bin="$work/bin"
pids="$work/pids"
tools="${XDG_CACHE_HOME:-$HOME/.cache}/hubmirror-bench"
mkdir -p "$bin" "$tools"
driver=""

# cleanup stops the driver (which stops its children), then kills the
# process group of everything it recorded starting, in case it could not.
cleanup() {
	trap - EXIT INT TERM
	if [[ -n "$driver" ]] && kill -0 "$driver" 2>/dev/null; then
		kill -TERM "$driver" 2>/dev/null || true
		for _ in $(seq 1 150); do kill -0 "$driver" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$driver" 2>/dev/null || true
	fi
	if [[ -f "$pids" ]]; then
		while read -r p; do kill -KILL -- "-$p" 2>/dev/null || true; done <"$pids"
	fi
	if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
		echo "bench: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s  %s\n' "$(date +%H:%M:%S)" "$*"; }

as_root() {
	if [[ $EUID -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		echo "bench: need root to run: $*" >&2
		return 1
	fi
}

# install_debs installs the Debian packages whose commands are missing.
install_debs() {
	local missing=()
	command -v nginx >/dev/null || missing+=(nginx-light)
	command -v wrk >/dev/null || missing+=(wrk)
	command -v curl >/dev/null || missing+=(curl)
	command -v haproxy >/dev/null || missing+=(haproxy) # scenario 13's balancer
	if [[ " $* " != *" --docker=false "* ]]; then
		command -v dockerd >/dev/null || missing+=(docker.io)
		command -v containerd >/dev/null || missing+=(containerd)
		command -v runc >/dev/null || missing+=(runc)
	fi
	((${#missing[@]} == 0)) && return 0
	log "installing ${missing[*]}"
	as_root timeout 300 apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# install_tool MODULE VERSION NAME builds a pinned Go program once per
# version (the reference registry, crane); later runs reuse the binary.
install_tool() {
	local module="$1" version="$2" name="$3"
	local want="$tools/$name-$version"
	if [[ ! -x "$want" ]]; then
		log "go install $module@$version"
		(cd "$work" && GOBIN="$tools/gobin" GOFLAGS=-mod=mod timeout 900 go install "$module@$version")
		mv "$tools/gobin/$name" "$want"
	fi
	cp "$want" "$bin/$name"
}

build() {
	log "building hubmirror, fakehub, gofloor, benchrun"
	cd "$root"
	CGO_ENABLED=0 timeout 600 go build -trimpath -o "$bin/hubmirror" .
	timeout 600 go build -o "$bin/fakehub" ./bench/cmd/fakehub
	timeout 600 go build -o "$bin/gofloor" ./bench/cmd/gofloor
	timeout 600 go build -o "$bin/benchrun" ./bench/cmd/benchrun
}

# micro runs the Go micro-benchmarks; a failure there is reported in the
# results, not fatal to the scenarios.
micro() {
	log "Go micro-benchmarks"
	(cd "$root" && timeout 300 go test -run '^$' -bench . -benchmem ./mirror ./upstream) >"$work/micro.txt" 2>&1 ||
		log "micro-benchmarks failed; see the results"
	grep '^Benchmark' "$work/micro.txt" || true
}

install_debs "$@"
install_tool "$REGISTRY_MODULE" "$REGISTRY_VERSION" registry
install_tool "$CRANE_MODULE" "$CRANE_VERSION" crane
build
micro
log "running the scenarios (work dir $work)"
"$bin/benchrun" --bin-dir "$bin" --work "$work" --out "$root/bench/RESULTS.md" \
	--pid-file "$pids" --micro "$work/micro.txt" --timeout "${RUN_LIMIT}s" \
	--haproxy-cfg "$root/deploy/haproxy/haproxy.cfg" "$@" &
driver=$!
wait "$driver"
driver=""
log "wrote $root/bench/RESULTS.md"
