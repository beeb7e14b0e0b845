# The two set-up commands of the README: `make run` and `make test`.
GO ?= go

.PHONY: run test build bench

run:
	$(GO) run . serve

test:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) test -race -timeout 15m ./...

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o hubmirror .
