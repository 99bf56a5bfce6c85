#!/usr/bin/env bash
# `loghub send` → `loghub serve` → embedded store: records/s with gzip on and
# full-text indexing included, server peak RSS, then the latency of
# `GET /api/v1/logs?q=…` (newest 100) over repeated requests.
#
# usage: bench/serve.sh [LINES]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
OUT=bench/out
mkdir -p "$OUT"
command -v curl >/dev/null || apt-get install -y curl >/dev/null
cargo build --release --locked -q
BIN=$PWD/target/release/loghub
CORPUS=$OUT/corpus-$LINES.log
[ -s "$CORPUS" ] || python3 bench/gen_corpus.py "$LINES" > "$CORPUS"
TMP=$(mktemp -d)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

"$BIN" serve --listen 127.0.0.1:0 --store "$TMP/store.db" 2> "$TMP/serve.err" &
SPID=$!
for _ in $(seq 200); do grep -q 'listening on' "$TMP/serve.err" 2>/dev/null && break; sleep 0.05; done
BASE=$(sed -n 's/^loghub: listening on //p' "$TMP/serve.err")

t0=$(date +%s.%N)
XDG_DATA_HOME=$TMP "$BIN" send -q --to "$BASE" --compression gzip --timezone UTC --stats-json "$TMP/send.json" < "$CORPUS"
t1=$(date +%s.%N)
python3 - "$t0" "$t1" "$LINES" "$TMP/send.json" <<'PY'
import json, sys
t0, t1, n = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
s = json.load(open(sys.argv[4]))
print(f"send → serve → store: {n} records in {t1-t0:.1f} s = {n/(t1-t0):,.0f} records/s "
      f"(delivered {s['delivered']}, spooled {s['spooled']}, latency p50 {s['latency_p50_ms']} ms p99 {s['latency_p99_ms']} ms)")
PY

for q in "payment%20timeout" "connection%20reset" "leader"; do
  for i in $(seq 30); do
    curl -s -o /dev/null -w '%{time_total}\n' "$BASE/api/v1/logs?q=$q&limit=100"
  done | sort -n | awk -v q="$q" '{a[NR]=$1} END {printf "GET /api/v1/logs?q=%s&limit=100: p50 %.1f ms, p99 %.1f ms (%d requests)\n", q, a[int(NR*0.5)+1]*1000, a[NR]*1000, NR}'
done
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$SPID/status)"
kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
