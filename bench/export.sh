#!/usr/bin/env bash
# Reading everything back: `query --limit 0` against the time `send` took to
# write the same records, on a corpus whose times follow the write order and
# on one whose times go round one hour again and again (several shippers, a
# file read from its start, a late DLQ replay). For each: the embedded store,
# the same over HTTP from `loghub serve`, peak RSS of the reader, and the
# store time of the newest 100 matches (Server-Timing of /api/v1/logs);
# then ClickHouse against curl running the same SELECT … FORMAT JSONEachRow.
# Targets (issue 13): store ≤ 0.5 × send, level=error ≤ 0.25, HTTP ≤ 1.0,
# ClickHouse ≤ 1.5 × curl, reader RSS ≤ 64 MiB, newest 100 ≤ 50 ms.
#
# usage: bench/export.sh [RECORDS]   (default 1,000,000)
#   LOGHUB_BENCH_CLICKHOUSE  base URL (default clickhouse://default@127.0.0.1:8123/loghub_export)
#   LOGHUB_BENCH_CH=0        skip ClickHouse
#   LOGHUB_BIN               a loghub binary to use instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
OUT=bench/out
mkdir -p "$OUT"
if [ -z "${LOGHUB_BIN:-}" ]; then cargo build --release --locked -q; fi
BIN=${LOGHUB_BIN:-target/release/loghub}

# timed LABEL BASE_SECONDS TARGET_RATIO CMD...: wall time, ratio to BASE, peak RSS.
timed() {
  local label=$1 base=$2 target=$3; shift 3
  local a b
  a=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$OUT/rss" "$@"
  b=$(date +%s.%N)
  python3 - "$label" "$a" "$b" "$base" "$target" "$(cat "$OUT/rss")" <<'PY'
import sys
label, a, b, base, target, rss = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], int(sys.argv[6])
s = b - a
ratio = f"ratio {s / base:5.2f} (target ≤ {target})" if base > 0 else ""
print(f"  {label:<44} {s:7.2f} s  {ratio:<26} peak RSS {rss / 1024:6.1f} MiB")
open("bench/out/last", "w").write(f"{s}\n")
PY
}

# newest100 BASE TERMS: median store time of 5 searches for the newest 100.
newest100() {
  local base=$1 terms=$2
  for _ in 1 2 3 4 5; do
    curl -sS -D - -o /dev/null "$base/api/v1/logs?limit=100&$terms" |
      sed -n 's/^server-timing: store;dur=\([0-9.]*\).*/\1/Ip'
  done | sort -n | sed -n 3p
}

for order in in-order cycling; do
  CORPUS=$OUT/export-$order-$N.log
  if [ ! -s "$CORPUS" ]; then
    if [ $order = in-order ]; then python3 bench/gen_corpus.py "$N" > "$CORPUS"
    else python3 bench/gen_corpus.py "$N" 3600 > "$CORPUS"; fi
  fi
  cat "$CORPUS" > /dev/null
  STORE=$OUT/export-$order-$N.db
  rm -f "$STORE"*
  echo "$order: $N records"
  timed "send --to local: (the write)" 0 - sh -c "$BIN send -q --to local:$STORE --timezone UTC < $CORPUS"
  SEND=$(cat $OUT/last)
  timed "query --limit 0 --output ndjson" "$SEND" 0.5 \
    sh -c "$BIN query --to local:$STORE --limit 0 --output ndjson > /dev/null"
  timed "query level=error --limit 0" "$SEND" 0.25 \
    sh -c "$BIN query --to local:$STORE level=error --limit 0 --output ndjson > /dev/null"
  $BIN serve --listen 127.0.0.1:0 --store "$STORE" 2> "$OUT/serve.log" &
  SERVE=$!
  for _ in $(seq 100); do grep -q 'listening on' "$OUT/serve.log" && break; sleep 0.1; done
  BASE=$(sed -n 's/.*listening on //p' "$OUT/serve.log")
  timed "query --to http (serve) --limit 0" "$SEND" 1.0 \
    sh -c "$BIN query --to $BASE --limit 0 --output ndjson > /dev/null"
  timed "query --to http (serve) level=error --limit 0" "$SEND" 1.0 \
    sh -c "$BIN query --to $BASE level=error --limit 0 --output ndjson > /dev/null"
  printf '  newest 100 (store ms, median of 5): q=timeout %s  level=error %s  user_id=42 %s (target ≤ 50)\n' \
    "$(newest100 "$BASE" q=timeout)" "$(newest100 "$BASE" level=error)" \
    "$(newest100 "$BASE" 'metadata_filters=%7B%22user_id%22%3A%2242%22%7D')"
  kill "$SERVE"; wait "$SERVE" 2>/dev/null || true
done

if [ "${LOGHUB_BENCH_CH:-1}" != 0 ]; then
  URL=${LOGHUB_BENCH_CLICKHOUSE:-clickhouse://default@127.0.0.1:8123/loghub_export}_$N
  HOSTPORT=${URL#clickhouse://}; HOSTPORT=${HOSTPORT%%/*}; HOSTPORT=${HOSTPORT##*@}
  HTTP="http://$HOSTPORT/"
  DB=${URL##*/}
  curl -sS "$HTTP" --data-binary "DROP DATABASE IF EXISTS $DB" > /dev/null
  $BIN clickhouse init --to "$URL" > /dev/null 2>&1
  CORPUS=$OUT/export-cycling-$N.log
  echo "ClickHouse ($(curl -sS "$HTTP" --data-binary 'SELECT version()')): $N records, times not in write order"
  timed "send --to clickhouse:" 0 - sh -c "$BIN send -q --to $URL --timezone UTC < $CORPUS"
  COLS="id, time_us, level, service, host, message, trace_id, span_id, metadata, batch_id"
  for where in "1" "level = 'error'"; do
    SQL="SELECT $COLS FROM $DB.logs WHERE $where ORDER BY time_us DESC, id DESC FORMAT JSONEachRow"
    timed "curl SELECT … WHERE $where" 0 - \
      sh -c "curl -sS '$HTTP?output_format_json_quote_64bit_integers=0' --data-binary \"$SQL\" > /dev/null"
    CURL=$(cat $OUT/last)
    TERMS=""; [ "$where" = 1 ] || TERMS="level=error"
    timed "query --to clickhouse $TERMS --limit 0" "$CURL" 1.5 \
      sh -c "$BIN query --to $URL $TERMS --limit 0 --output ndjson > /dev/null"
  done
  curl -sS "$HTTP" --data-binary "DROP DATABASE IF EXISTS $DB" > /dev/null
fi
