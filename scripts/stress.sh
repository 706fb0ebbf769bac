#!/usr/bin/env bash
# The stress pass (docs/testing.md): the Go suite under -race, COUNT times
# (default 3), while BURNERS processes (default 1) keep a core each busy,
# as on a CI machine running other jobs. A test that passes only on a quiet
# machine fails here.
set -euo pipefail
count=${COUNT:-3}
burners=${BURNERS:-1}
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for _ in $(seq 1 "$burners"); do
	sh -c 'while :; do :; done' &
	pids+=($!)
done
echo "stress: go test -race -count=$count with $burners CPU burner(s) beside it"
go test -race -count="$count" -timeout 45m "${@:-./...}"
