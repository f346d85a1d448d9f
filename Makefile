# Targets named in the README. `make test` is what CI runs.
GO ?= go
FUZZTIME ?= 30s

.PHONY: test test-deps build image lint fuzz js-deps bench

build:
	CGO_ENABLED=0 $(GO) build -o connectfed ./cmd/connectfed

# The container image (Dockerfile): a static binary on an empty image, so
# nothing is pulled. IMAGE names it.
IMAGE ?= connectfed:latest
image:
	rm -rf artifacts/image && mkdir -p artifacts/image/data
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o artifacts/image/connectfed ./cmd/connectfed
	cp Dockerfile artifacts/image/
	docker build -q -t $(IMAGE) artifacts/image

# scripts/test-deps prints one line per suite this machine cannot run (and
# fails in CI, where every suite is required); those suites skip.
test: test-deps js-deps lint
	CGO_ENABLED=0 $(GO) build ./cmd/connectfed
	$(GO) test $$(GO=$(GO) scripts/test-deps has race && echo -race) -count=1 ./...
	@# The end-to-end suite again, every server on PostgreSQL.
	@if scripts/test-deps has postgres; then \
		echo 'CONNECTFED_E2E_STORE=postgres $(GO) test -count=1 ./cmd/connectfed/'; \
		CONNECTFED_E2E_STORE=postgres $(GO) test -count=1 ./cmd/connectfed/; \
	fi
	@test -z "$$(git status --porcelain 2>/dev/null)" || { echo "tests left the tree dirty:"; git status --porcelain; exit 1; }

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); test -z "$$out" || { echo "gofmt would change: $$out"; exit 1; }
	$(GO) vet ./...
	@$(GO) mod tidy -diff >/dev/null || { echo "go.mod/go.sum are not tidy: run go mod tidy"; exit 1; }

test-deps:
	@GO=$(GO) scripts/test-deps

# The JavaScript SDK tests' dependencies, pinned by e2e/js/package-lock.json,
# and amazon-connect-streams for the CCP browser tests and the agent desktop
# example, pinned by e2e/ccp/ and examples/agent-desktop/package-lock.json (nothing to do without npm: those tests then
# skip, see test-deps).
js-deps:
	@if [ -f e2e/js/package-lock.json ] && scripts/test-deps has npm; then npm ci --prefix e2e/js --no-audit --no-fund --loglevel=error; fi
	@if [ -f e2e/ccp/package-lock.json ] && scripts/test-deps has npm; then npm ci --prefix e2e/ccp --no-audit --no-fund --loglevel=error; fi
	@if [ -f examples/agent-desktop/package-lock.json ] && scripts/test-deps has npm; then npm ci --prefix examples/agent-desktop --no-audit --no-fund --loglevel=error; fi

fuzz:
	$(GO) test -run='^$$' -fuzz=FuzzVerify -fuzztime=$(FUZZTIME) ./sigv4/
	$(GO) test -run='^$$' -fuzz=FuzzParsePolicy -fuzztime=$(FUZZTIME) ./iam/
	$(GO) test -run='^$$' -fuzz=FuzzDecodeJSON -fuzztime=$(FUZZTIME) ./awsapi/
	$(GO) test -run='^$$' -fuzz=FuzzQueryParams -fuzztime=$(FUZZTIME) ./awsapi/
	$(GO) test -run='^$$' -fuzz=FuzzMatchRest -fuzztime=$(FUZZTIME) ./awsapi/
	$(GO) test -run='^$$' -fuzz=FuzzTokenDecode -fuzztime=$(FUZZTIME) ./federation/
