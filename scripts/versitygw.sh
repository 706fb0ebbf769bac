#!/usr/bin/env bash
# Builds versitygw (an S3-compatible server on a folder) once into a cache
# folder and prints its path: the S3 tests' real S3 server
# (internal/s3test). About 1.5 minutes on a fresh 2-core machine; .ci/run
# starts it in the background while other tests run, and the S3 tests wait
# for the binary. The path is the one internal/s3test looks at.
set -euo pipefail
version=v1.8.0
cache=${IMWASM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/imwasm}
bin=$cache/versitygw-$version
if [[ ! -x $bin ]]; then
	mkdir -p "$cache"
	rm -f "$bin.failed"
	tmp=$(mktemp -d "$cache/versitygw-build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	if ! GOBIN=$tmp go install "github.com/versity/versitygw/cmd/versitygw@$version" >"$tmp/log" 2>&1; then
		cat "$tmp/log" >&2
		cp "$tmp/log" "$bin.failed" # the waiting tests fail with it instead of waiting on
		exit 1
	fi
	mv "$tmp/versitygw" "$bin"
fi
echo "$bin"
