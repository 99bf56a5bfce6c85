#!/usr/bin/env bash
# ClickHouse target: records/s of `loghub send --to clickhouse://…` on the
# generated corpus, then the same into the embedded store, then the time of
# the same search and stats commands on both, side by side. Starts the loopback server with .ci/clickhouse.sh if needed.
#
# usage: bench/clickhouse.sh [RECORDS]   (default 10,000,000; smaller is fine)
#   LOGHUB_BENCH_CLICKHOUSE  base URL (default clickhouse://default@127.0.0.1:8123/loghub_bench)
#   CH_START                 script that starts the server (default .ci/clickhouse.sh;
#                            .ci/chdb.sh with a :8124 URL for ClickHouse 26.9's engine)
#   LOGHUB_BENCH_LOCAL=0     skip the embedded store (ClickHouse figures only)
#   LOGHUB_BIN               a loghub binary to use instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000000}
URL=${LOGHUB_BENCH_CLICKHOUSE:-clickhouse://default@127.0.0.1:8123/loghub_bench}_$N
OUT=bench/out
mkdir -p "$OUT"
HOSTPORT=${URL#clickhouse://}; HOSTPORT=${HOSTPORT%%/*}; HOSTPORT=${HOSTPORT##*@}
HTTP="http://$HOSTPORT/"
CH_HTTP_PORT=${HOSTPORT##*:} bash "${CH_START:-.ci/clickhouse.sh}" >/dev/null
if [ -z "${LOGHUB_BIN:-}" ]; then cargo build --release --locked -q; fi
BIN=${LOGHUB_BIN:-target/release/loghub}
CORPUS=$OUT/corpus-$N.log
[ -s "$CORPUS" ] || python3 bench/gen_corpus.py "$N" > "$CORPUS"
DB=${URL##*/}
curl -sS "$HTTP" --data-binary "DROP DATABASE IF EXISTS $DB" >/dev/null
$BIN clickhouse init --to "$URL" >/dev/null 2>&1

secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$@"; }
t0=$(date +%s.%N)
$BIN send -q --to "$URL" --timezone UTC --stats-json "$OUT/ch-send.json" < "$CORPUS"
t1=$(date +%s.%N)
S=$(secs "$t0" "$t1")
ROWS=$(curl -sS "$HTTP" --data-binary "SELECT count() FROM $DB.logs")
echo "send: $ROWS records in $S s = $(python3 -c "print(round($ROWS/$S))") records/s ($(curl -sS "$HTTP" --data-binary 'SELECT version()'))"

# The same corpus into the embedded store, for the side-by-side figures.
LOCAL="local:$OUT/side-$N.db"
TARGETS=("$URL" "$LOCAL")
if [ "${LOGHUB_BENCH_LOCAL:-1}" = 0 ]; then
  TARGETS=("$URL")
else
rm -f "$OUT/side-$N.db"*
t0=$(date +%s.%N)
$BIN send -q --to "$LOCAL" --timezone UTC < "$CORPUS"
t1=$(date +%s.%N)
S=$(secs "$t0" "$t1")
echo "send: $N records into the embedded store in $S s = $(python3 -c "print(round($N/$S))") records/s"
fi

run() { # label, args...
  local label=$1; shift
  for target in "${TARGETS[@]}"; do
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
