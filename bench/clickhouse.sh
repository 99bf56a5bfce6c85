#!/usr/bin/env bash
# ClickHouse target: records/s of `loghub send --to clickhouse://…` on the
# generated corpus, then the same into the embedded store, then the time of
# the same search and stats commands on both, side by side. Starts the loopback server with .ci/clickhouse.sh if needed.
#
# usage: bench/clickhouse.sh [RECORDS]   (default 10,000,000; smaller is fine)
#   LOGHUB_BENCH_CLICKHOUSE  base URL (default clickhouse://default@127.0.0.1:8123/loghub_bench)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
URL=${LOGHUB_BENCH_CLICKHOUSE:-clickhouse://default@127.0.0.1:8123/loghub_bench}_$N
OUT=bench/out
mkdir -p "$OUT"
bash .ci/clickhouse.sh >/dev/null
cargo build --release --locked -q
BIN=target/release/loghub
CORPUS=$OUT/corpus-$N.log
[ -s "$CORPUS" ] || python3 bench/gen_corpus.py "$N" > "$CORPUS"
DB=${URL##*/}
curl -sS "http://127.0.0.1:8123/" --data-binary "DROP DATABASE IF EXISTS $DB" >/dev/null
$BIN clickhouse init --to "$URL" >/dev/null 2>&1

secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$@"; }
t0=$(date +%s.%N)
$BIN send -q --to "$URL" --timezone UTC --stats-json "$OUT/ch-send.json" < "$CORPUS"
t1=$(date +%s.%N)
S=$(secs "$t0" "$t1")
ROWS=$(curl -sS "http://127.0.0.1:8123/" --data-binary "SELECT count() FROM $DB.logs")
echo "send: $ROWS records in $S s = $(python3 -c "print(round($ROWS/$S))") records/s ($(curl -sS http://127.0.0.1:8123/ --data-binary 'SELECT version()'))"

# The same corpus into the embedded store, for the side-by-side figures.
LOCAL="local:$OUT/side-$N.db"
rm -f "$OUT/side-$N.db"*
t0=$(date +%s.%N)
$BIN send -q --to "$LOCAL" --timezone UTC < "$CORPUS"
t1=$(date +%s.%N)
S=$(secs "$t0" "$t1")
echo "send: $N records into the embedded store in $S s = $(python3 -c "print(round($N/$S))") records/s"

run() { # label, args...
  local label=$1; shift
  for target in "$URL" "$LOCAL"; do
    local best=999
    for _ in 1 2 3; do
      local a b
      a=$(date +%s.%N); "$BIN" "$@" --to "$target" > /dev/null; b=$(date +%s.%N)
      best=$(python3 -c "print(min($best, $b - $a))")
    done
    printf '%-46s %-10s best of 3: %6.3f s\n' "$label" "${target%%:*}" "$best"
  done
}
run "query q=timeout (newest 100)"              query --output ndjson q=timeout since=2000-01-01
run "query level=error service=checkout (100)"  query --output ndjson level=error service=checkout since=2000-01-01
run "query q=timeout user_id=42 (metadata, 100)" query --output ndjson q=timeout user_id=42 since=2000-01-01
run "stats over the whole range, 1h buckets"     stats --output json --since 2000-01-01 --interval 1h
run "stats level>=error (top errors)"            stats --output json --since 2000-01-01 --interval 1h level=error
