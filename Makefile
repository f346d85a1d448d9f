# Targets named in the README. `make test` is what CI runs.
GO ?= go
FUZZTIME ?= 30s

.PHONY: test build lint fuzz js-deps bench

build:
	CGO_ENABLED=0 $(GO) build -o connectfed ./cmd/connectfed

test: js-deps lint
	CGO_ENABLED=0 $(GO) build ./cmd/connectfed
	$(GO) test -race -count=1 ./...
	# The end-to-end suite again, every server on PostgreSQL (skipped
	# without CONNECTFED_TEST_POSTGRES outside CI).
	CONNECTFED_E2E_STORE=postgres $(GO) test -count=1 ./cmd/connectfed/
	@test -z "$$(git status --porcelain 2>/dev/null)" || { echo "tests left the tree dirty:"; git status --porcelain; exit 1; }

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt would change: $$out"; exit 1; }
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

# The JavaScript SDK tests' dependencies, pinned by e2e/js/package-lock.json.
js-deps:
	@if [ -f e2e/js/package-lock.json ]; then npm ci --prefix e2e/js --no-audit --no-fund --loglevel=error; fi

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzVerify -fuzztime=$(FUZZTIME) ./sigv4/
	$(GO) test -run='^$$' -fuzz=FuzzParsePolicy -fuzztime=$(FUZZTIME) ./iam/
	$(GO) test -run='^$$' -fuzz=FuzzDecodeJSON -fuzztime=$(FUZZTIME) ./awsapi/
	$(GO) test -run='^$$' -fuzz=FuzzQueryParams -fuzztime=$(FUZZTIME) ./awsapi/
	$(GO) test -run='^$$' -fuzz=FuzzMatchRest -fuzztime=$(FUZZTIME) ./awsapi/
	$(GO) test -run='^$$' -fuzz=FuzzTokenDecode -fuzztime=$(FUZZTIME) ./federation/
