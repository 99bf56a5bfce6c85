#!/usr/bin/env bash
# Shipping benchmark (SPEC §3): `loghub send` to a local receiver that
# decompresses and discards. Prints, from one run:
#   - throughput in MiB/s of input, and its ratio to `gzip -1 > /dev/null`
#     on the same input (the cost floor of compressing it at all);
#   - peak RSS (/usr/bin/time -v);
#   - throughput with 30% of requests failing (503), as a ratio to fault-free;
#   - peak RSS while every request gets 503 for a while and input keeps coming
#     (the breaker opens, batches spill to the spool, memory stays bounded).
#
# Usage: bench/ship.sh [MiB of input, default 256]
# LOGHUB_BIN=path runs another build (e.g. to compare two commits in one
# sitting); NO_BUILD=1 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."

MIB=${1:-256}
command -v /usr/bin/time >/dev/null || { echo "install GNU time: apt-get install time" >&2; exit 1; }

[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet --bin loghub --example ship_receiver
BIN=${LOGHUB_BIN:-target/release/loghub}
RCV=target/release/examples/ship_receiver

TMP=$(mktemp -d)
RPID=
cleanup() {
    if [ -n "$RPID" ]; then kill "$RPID" 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT

"$RCV" gen $((MIB * 1024 * 1024)) > "$TMP/corpus.log"
BYTES=$(stat -c %s "$TMP/corpus.log")
LINES=$(wc -l < "$TMP/corpus.log")
echo "corpus: $LINES lines, $((BYTES / 1048576)) MiB, $((BYTES / LINES)) bytes/line"

now() { date +%s.%N; }
mibs() { awk -v b="$BYTES" -v s="$1" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }

start_receiver() {
    if [ -n "$RPID" ]; then kill "$RPID" 2>/dev/null || true; wait "$RPID" 2>/dev/null || true; fi
    rm -f "$TMP/port"
    "$RCV" serve "$TMP/port" "$@" &
    RPID=$!
    for _ in $(seq 100); do [ -s "$TMP/port" ] && break; sleep 0.05; done
    PORT=$(cat "$TMP/port")
}

# run NAME EXTRA-ARGS…: one send of the corpus; sets SECS and RSS_MB.
run() {
    local name=$1; shift
    rm -rf "$TMP/data"; mkdir -p "$TMP/data"
    local t0 t1 rc=0
    t0=$(now)
    env -i PATH="$PATH" HOME="$TMP" XDG_DATA_HOME="$TMP/data" XDG_CONFIG_HOME="$TMP/cfg" \
        /usr/bin/time -v -o "$TMP/time.$name" \
        "$BIN" send --to "http://127.0.0.1:$PORT" --compression gzip -q \
        --stats-json "$TMP/stats.$name.json" "$@" < "$TMP/corpus.log" || rc=$?
    t1=$(now)
    SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    RSS_MB=$(awk '/Maximum resident/ { printf "%.0f", $6 / 1024 }' "$TMP/time.$name")
    # CPU time (user + sys) of loghub alone: steadier than wall time on a
    # shared machine.
    CPU=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$TMP/time.$name")
    echo "$name: exit $rc, $(printf %.2f "$SECS") s, $(mibs "$SECS") MiB/s, cpu ${CPU} s, peak RSS ${RSS_MB} MiB; $(tr -d ' \n' < "$TMP/stats.$name.json" | grep -o '"delivered":[0-9]*,"batches":[0-9]*\|"requests":[0-9]*,"retries":[0-9]*,"spooled":[0-9]*' | tr '\n' ' ')"
}

t0=$(now); gzip -1 < "$TMP/corpus.log" > /dev/null; t1=$(now)
GZ_SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
echo "gzip -1 > /dev/null: $(printf %.2f "$GZ_SECS") s, $(mibs "$GZ_SECS") MiB/s"

start_receiver
run fault-free
OK_SECS=$SECS
OK_RSS=$RSS_MB
OK_CPU=$CPU

start_receiver --fail-percent 30
run fail-30pct
FAIL_SECS=$SECS

start_receiver --fail-for 4
run 503-for-4s --breaker-reset 1s
PHASE_RSS=$RSS_MB

echo
echo "== summary =="
echo "throughput fault-free:      $(mibs "$OK_SECS") MiB/s  (gzip -1 alone: $(mibs "$GZ_SECS") MiB/s; ratio $(awk -v a="$GZ_SECS" -v b="$OK_SECS" 'BEGIN { printf "%.2f", a / b }'))"
echo "cpu fault-free:             ${OK_CPU} s of loghub for $((BYTES / 1048576)) MiB (gzip -1: $(printf %.2f "$GZ_SECS") s wall)"
echo "peak RSS fault-free:        ${OK_RSS} MiB"
echo "30% of requests failing:    $(mibs "$FAIL_SECS") MiB/s  (ratio to fault-free $(awk -v a="$OK_SECS" -v b="$FAIL_SECS" 'BEGIN { printf "%.2f", a / b }'))"
echo "peak RSS with a 503 phase:  ${PHASE_RSS} MiB"
