#!/usr/bin/env bash
# Usage: scripts/wasm-size.sh [WASM_FILE] [MAX_GZIP_BYTES]
# Prints the raw and gzip -9 sizes of the wasm binary and fails when the
# gzip size is over the budget (SPEC §5: 2.0 MB, stretch 1.5 MB).
set -euo pipefail

wasm=${1:-npm/dist/imwasm.wasm}
max=${2:-2000000}

if [[ ! -f $wasm ]]; then
	echo "wasm-size: $wasm not found (run 'make wasm')" >&2
	exit 1
fi

raw=$(wc -c <"$wasm")
gz=$(gzip -9 -c "$wasm" | wc -c)
raw=$((raw + 0)) gz=$((gz + 0)) # strip wc's padding

awk -v f="$wasm" -v r="$raw" -v g="$gz" -v m="$max" 'BEGIN {
	printf "wasm-size: %s\n  raw     %10d bytes (%.2f MB)\n  gzip -9 %10d bytes (%.2f MB), budget %d bytes\n", f, r, r / 1e6, g, g / 1e6, m
}'

if ((gz > max)); then
	echo "wasm-size: FAIL: gzip size $gz bytes is over the budget of $max bytes by $((gz - max))" >&2
	exit 1
fi
