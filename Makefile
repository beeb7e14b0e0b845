# The two set-up commands of the README: `make run` and `make test`.
GO ?= go
# How much `make test` fuzzes each parser: a smoke run that keeps the
# targets under ~30 s once built. `make test FUZZTIME=10m` digs deeper.
# A count, not a duration: with a duration, Go 1.26's fuzz coordinator can
# report "context deadline exceeded" as a failure when its clock runs out
# while a worker is mid-input (golang/go#75804, fixed in Go 1.27); it did
# so here once for FuzzHostedPatterns, with nothing found.
FUZZTIME ?= 10000x

.PHONY: run test build bench soak

run:
	$(GO) run . serve

test:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 15m ./...  # -count=1: e2e runs a binary built from the tree, which the test cache cannot see
	$(GO) test -run '^$$' -fuzz '^FuzzParseRoute$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzParseReference$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzAcceptedTypes$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzParseRange$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzParseChallenge$$' -fuzztime $(FUZZTIME) ./upstream
	$(GO) test -run '^$$' -fuzz '^FuzzNextLink$$' -fuzztime $(FUZZTIME) ./upstream
	$(GO) test -run '^$$' -fuzz '^FuzzContentRange$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzParseManifestPush$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzNextPageLink$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzTagPageSize$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzHostedPatterns$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzParseHostedDigest$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzAccessLineMatchesSlog$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzGrammarMatchesTheSpecRegexps$$' -fuzztime $(FUZZTIME) ./mirror
	$(GO) test -run '^$$' -fuzz '^FuzzParseSize$$' -fuzztime $(FUZZTIME) ./cache
	$(GO) test -run '^$$' -fuzz '^FuzzParsePin$$' -fuzztime $(FUZZTIME) ./cache
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeMeta$$' -fuzztime $(FUZZTIME) ./cache
	$(GO) test -run '^$$' -bench . -benchtime=1x ./mirror ./upstream ./cache
	SOAK=2m $(GO) test -count=1 -timeout 10m -run '^TestSoak$$' ./e2e/soak/  # the short soak; make soak runs the long one

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o hubmirror .

bench: ; bench/run.sh

# The soak (e2e/soak): faults, kills and a client population for $$SOAK
# (default 30m). SOAK_SEED=<n> replays a run's schedule; SOAK_REPORT=<file>
# also writes its summary there.
soak: ; SOAK=$${SOAK:-30m} $(GO) test -count=1 -timeout 0 -run '^TestSoak$$' -v ./e2e/soak/
