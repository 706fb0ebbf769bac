#!/usr/bin/env bash
# Benchmarks a cluster on this machine: a throwaway PostgreSQL, a NATS
# server and two `imwasm serve` nodes (bin/imwasm), driven by `imwasm bench
# --url nodeA,nodeB` (users spread over both). Prints the bench's summary,
# then the CPU each component used during the whole run (bench included)
# per message. Arguments go to `imwasm bench` (e.g. --scenario group).
# Needs Debian's postgresql and nats-server; runs as root (PostgreSQL runs
# as its postgres user).
#
#   scripts/bench-cluster.sh --scenario p2p --rate 5000
set -euo pipefail
cd "$(dirname "$0")/.."
bin=bin/imwasm
dir=$(mktemp -d /tmp/imwasm-bench-cluster.XXXXXX)
chmod 711 "$dir"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	[[ -n ${pg_bin:-} ]] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$dir/pg/data" -m fast stop >/dev/null 2>&1 || true
	wait 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# The CPU (user + system, in clock ticks) of the processes whose pids are given.
ticks() { local t=0; for p in "$@"; do read -r -a f <<<"$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null)" && t=$((t + f[11] + f[12])); done; echo "$t"; }

pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
mkdir -p "$dir/pg" "$dir/pgsock" && chown postgres "$dir/pg" "$dir/pgsock"
runuser -u postgres -- "$pg_bin/initdb" -D "$dir/pg/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
pg_port=$(free_port)
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/log" -w \
	-o "-p $pg_port -h 127.0.0.1 -k $dir/pgsock -c max_connections=200 -c shared_buffers=256MB" start >/dev/null
nats_port=$(free_port)
nats-server -a 127.0.0.1 -p "$nats_port" >"$dir/nats.log" 2>&1 &
nats_pid=$!
pids+=("$nats_pid")
key=bench-cluster secret=bench-cluster-secret-0123456789
urls=() node_pids=()
for n in a b; do
	port=$(free_port)
	"$bin" serve --addr "127.0.0.1:$port" --data "$dir/node-$n" --app-key "$key" --app-secret "$secret" --log-level warn \
		--store "postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable" --bus "nats://127.0.0.1:$nats_port" >"$dir/node-$n.log" 2>&1 &
	node_pids+=("$!")
	pids+=("$!")
	urls+=("http://127.0.0.1:$port")
done
for u in "${urls[@]}"; do
	for _ in $(seq 100); do curl -fs "$u/healthz" >/dev/null && break; sleep 0.1; done
done
pg_pids() { pgrep -u postgres -f "$dir/pg" | tr '\n' ' '; pgrep -u postgres -P "$(head -1 "$dir/pg/data/postmaster.pid")" | tr '\n' ' '; }
pg0=$(ticks $(pg_pids)) nats0=$(ticks "$nats_pid") nodes0=$(ticks "${node_pids[@]}")
out=$("$bin" bench --url "$(IFS=,; echo "${urls[*]}")" --app-key "$key" --app-secret "$secret" \
	--server-pid "$(IFS=,; echo "${node_pids[*]}")" --json "$@")
pg1=$(ticks $(pg_pids)) nats1=$(ticks "$nats_pid") nodes1=$(ticks "${node_pids[@]}")
echo "$out"
python3 - "$out" $((pg1 - pg0)) $((nats1 - nats0)) $((nodes1 - nodes0)) <<'PY'
import json, sys
r = json.loads(sys.argv[1]); pg, nats, nodes = (int(x) * 10_000 for x in sys.argv[2:5])  # ticks -> µs
sent = r.get("sent") or r.get("messages_sent") or 0
print(f"whole run (warm-up and setup included): nodes {nodes/1e6:.1f} s, PostgreSQL {pg/1e6:.1f} s, NATS {nats/1e6:.1f} s of CPU"
      + (f"; per message sent: nodes {nodes/sent:.0f} µs, PostgreSQL {pg/sent:.0f} µs, NATS {nats/sent:.0f} µs" if sent else ""))
PY
