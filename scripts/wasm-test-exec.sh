#!/bin/sh
# Runs a js/wasm Go test binary in Node, as Go's go_js_wasm_exec does, with
# fake-indexeddb loaded so that the IndexedDB store (jsbridge/idbstore) can
# be tested (make test-wasm; needs npm/node_modules from make npm-deps).
here=$(cd "$(dirname "$0")/.." && pwd)
exec node --stack-size=8192 --import "file://$here/npm/node_modules/fake-indexeddb/auto/index.mjs" \
	"$(go env GOROOT)/lib/wasm/wasm_exec_node.js" "$@"
