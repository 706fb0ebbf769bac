# imwasm — build, test and run. GNU make.
#
#   make run    build and start a dev server on the embedded default (SQLite in ./data)
#   make test   everything CI checks
#
# Recipes use bash so that pipelines fail as a whole.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO     ?= go
PROTOC ?= protoc
MODULE := github.com/imwasm/imwasm

PROTOC_GEN_GO := bin/protoc-gen-go
PROTOC_GEN_LITE := bin/protoc-gen-litepb
PROTO_SRC     := proto/imwasm.proto

WASM_OUT       := npm/dist/imwasm.wasm
WASM_GZIP_MAX  ?= 2000000

# Fuzz targets run by `make test`, as package:FuzzName pairs (package as a
# path relative to the repository root). FUZZTIME is per target, as a count of
# executions: a duration races Go's fuzz coordinator at the deadline and fails
# with "context deadline exceeded" and no input (golang/go#75804, fixed in Go 1.27).
FUZZ_TARGETS ?= client:FuzzStringFields server/auth:FuzzVerify server:FuzzFrame server:FuzzSendQueue internal/wsconn:FuzzReadMessage internal/wsconn:FuzzClose proto/litepb:FuzzUnmarshal jsbridge/jsonenc:FuzzValid
FUZZTIME     ?= 100000x

# Dev server defaults for `make run` (never use these secrets anywhere real).
DEV_DATA       ?= ./data
DEV_APP_KEY    ?= dev-app-key
DEV_APP_SECRET ?= dev-app-secret-change-me
RUN_FLAGS      ?=

.PHONY: all build generate check-generate protoc-gen-go wasm wasm-size relay demo cluster run \
	test test-short stress fmt-check vet test-go test-wasm test-js test-relay test-demo relay-deps npm-deps fuzz bench clean

all: build

## build: the imwasm command in bin/
build:
	$(GO) build -o bin/imwasm ./cmd/imwasm

## generate: regenerate proto/pb (protoc-gen-go, pinned by go.mod) and proto/litepb
## (our protoc-gen-litepb: the same types on protowire alone, for the wasm)
protoc-gen-go:
	$(GO) build -o $(PROTOC_GEN_GO) google.golang.org/protobuf/cmd/protoc-gen-go
	$(GO) build -o $(PROTOC_GEN_LITE) ./proto/protoc-gen-litepb

# protoc-gen $(1): output root.
protoc-gen = $(PROTOC) --plugin=protoc-gen-go=$(PROTOC_GEN_GO) --plugin=protoc-gen-litepb=$(PROTOC_GEN_LITE) \
	--go_out=$(1) --go_opt=module=$(MODULE) \
	--litepb_out=$(1) --litepb_opt=module=$(MODULE),out=$(MODULE)/proto/litepb $(PROTO_SRC)

generate: protoc-gen-go
	$(call protoc-gen,.)

## check-generate: fail if the committed generated code is not what generate produces
# Generates into a scratch directory and compares with the working tree, so
# it neither modifies the tree nor trips over uncommitted-but-regenerated work.
check-generate: protoc-gen-go
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(call protoc-gen,"$$tmp"); \
	for d in proto/pb proto/litepb; do \
		if ! diff -ru --exclude='*_test.go' --exclude=testdata --exclude=codec.go "$$tmp/$$d" $$d; then \
			echo >&2; \
			echo "error: generated code in $$d is stale (it does not match $(PROTO_SRC))." >&2; \
			echo "       Run 'make generate' and commit the result." >&2; \
			exit 1; \
		fi; \
	done; \
	echo "check-generate: proto/pb and proto/litepb are up to date"

## wasm: the browser SDK binary and Go's JS glue in npm/dist/
wasm:
	@mkdir -p $(dir $(WASM_OUT))
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(WASM_OUT) ./wasm
	cp "$$($(GO) env GOROOT)/lib/wasm/wasm_exec.js" $(dir $(WASM_OUT))
	@echo "$(WASM_OUT): $$(wc -c < $(WASM_OUT)) bytes, $$(gzip -9 -c $(WASM_OUT) | wc -c) gzip -9 (budget $(WASM_GZIP_MAX), checked by make wasm-size)"

## relay: the edge relay Worker (examples/edge-relay/build: worker.mjs, app.wasm)
RELAY_DIR := examples/edge-relay
relay:
	cd $(RELAY_DIR) && $(GO) run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o build
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(RELAY_DIR)/build/app.wasm ./$(RELAY_DIR)
	@echo "$(RELAY_DIR)/build/app.wasm: $$(wc -c < $(RELAY_DIR)/build/app.wasm) bytes, $$(gzip -9 -c $(RELAY_DIR)/build/app.wasm | wc -c) gzip -9 (Workers free plan: 3 MB)"

## demo: the server, demo users and a group, and the web chat; prints a link per user
demo: build wasm
	node examples/web-chat/demo.mjs

## cluster: the demo on two nodes sharing PostgreSQL, NATS and an S3-compatible store (versitygw), all on this machine
cluster: build wasm
	node examples/web-chat/cluster.mjs

## wasm-size: print the wasm's raw and gzip -9 sizes; fail above the budget
wasm-size: wasm
	scripts/wasm-size.sh $(WASM_OUT) $(WASM_GZIP_MAX)

## run: build, then start a dev server
run: build
	@echo "Mint a token for the dev server (in another terminal):"
	@echo "  ./bin/imwasm token --app-secret $(DEV_APP_SECRET) --user alice"
	@echo
	./bin/imwasm serve --data $(DEV_DATA) --app-key $(DEV_APP_KEY) --app-secret $(DEV_APP_SECRET) $(RUN_FLAGS)

## test: the full CI test
test: check-generate fmt-check vet test-go test-wasm wasm-size test-js test-relay test-demo fuzz

## test-short: the Go tests without the slow ones (load generator, kill -9, big transfers): for day-to-day runs
test-short:
	$(GO) test -short ./...

## stress: the Go suite under -race three times while a CPU burner runs beside it (docs/testing.md)
stress:
	scripts/stress.sh

## test-wasm: the Go tests of jsbridge and its packages (the IndexedDB store's Store
## conformance suite among them), compiled to wasm and run in Node (with fake-indexeddb)
test-wasm: npm-deps
	GOOS=js GOARCH=wasm $(GO) test -exec="$(CURDIR)/scripts/wasm-test-exec.sh" ./jsbridge/...

## npm-deps: the npm package's dev dependencies (npm ci, from package-lock.json)
npm-deps: npm/node_modules/.package-lock.json
npm/node_modules/.package-lock.json: npm/package-lock.json
	cd npm && npm ci --no-audit --no-fund

## test-js: the npm package's tests (Node) against the built wasm and server
test-js: build wasm npm-deps
	cd npm && npm test

## test-demo: the web chat demo driven in Chromium, Firefox and WebKit as its users (screenshots in examples/web-chat/test/artifacts)
test-demo: build wasm npm-deps
	cd examples/web-chat && node --test test/
	node --check examples/electron/main.js && node --check examples/electron/preload.js

## test-relay: the edge relay under workerd (wrangler dev --local) in front of a real server
relay-deps: $(RELAY_DIR)/node_modules/.package-lock.json
$(RELAY_DIR)/node_modules/.package-lock.json: $(RELAY_DIR)/package-lock.json
	cd $(RELAY_DIR) && npm ci --no-audit --no-fund
test-relay: build wasm relay npm-deps relay-deps
	cd $(RELAY_DIR) && CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false node --test test/

fmt-check:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then \
		echo "error: these files are not gofmt-ed (run 'gofmt -w .'):" >&2; echo "$$out" >&2; exit 1; \
	fi; echo "gofmt: ok"

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./jsbridge/... ./wasm ./examples/edge-relay

test-go:
	$(GO) test -race -timeout 15m ./...
	# imwasm import at full size (100,000 messages): the race detector
	# makes SQLite ten times slower, so under it the test imports 10,000.
	$(GO) test -count=1 -run TestImportCommand ./cmd/imwasm
	# The server's whole suite again with its state in PostgreSQL (a
	# throwaway cluster, internal/pgtest): both stores behave alike.
	IMWASM_TEST_STORE=postgres $(GO) test -count=1 ./server/

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t#*:}; \
		echo "fuzz: $$name in ./$$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$${name}\$$" -fuzztime $(FUZZTIME) "./$$pkg"; \
	done

## bench: the scenarios of BENCHMARKS.md with imwasm bench (numbers go to BENCHMARKS.md)
bench: build
	./bin/imwasm bench --scenario p2p --json
	./bin/imwasm bench --scenario group --json
	./bin/imwasm bench --scenario idle --clients 5000 --json
	./bin/imwasm bench --scenario receipts --rounds 10 --json
	./bin/imwasm bench --scenario presence --json
	$(GO) test -run '^$$' -bench . -benchtime 20000x ./server/store/sqlite/

clean:
	rm -rf bin npm/dist examples/edge-relay/build
