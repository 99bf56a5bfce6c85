#!/usr/bin/env bash
# 500 concurrent live-tail SSE streams against `loghub serve` while ingesting
# 10,000 records/s (issue 4): every stream must get every matching record;
# prints the ack → SSE frame latency (p50, p99, max; target p99 ≤ 250 ms)
# and the server's peak RSS. The load generator is examples/sse_load.rs.
#
# usage: bench/streams.sh [STREAMS] [RATE] [SECONDS]   (default 500 10000 20)
#        PROFILE=debug bench/streams.sh …               (skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
STREAMS=${1:-500}
RATE=${2:-10000}
SECONDS_=${3:-20}
PROFILE=${PROFILE:-release}
# Each stream is one connection on both sides of loopback.
ulimit -n "$(( STREAMS * 2 + 256 > 4096 ? STREAMS * 2 + 256 : 4096 ))" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$PROFILE" = release ]; then
  cargo build --release --locked -q --bin loghub --example sse_load
else
  cargo build --locked -q --bin loghub --example sse_load
fi
BIN=$PWD/target/$PROFILE/loghub
LOAD=$PWD/target/$PROFILE/examples/sse_load
TMP=$(mktemp -d)
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

"$BIN" serve --listen 127.0.0.1:0 --store "$TMP/store.db" --max-streams "$(( STREAMS + 100 ))" 2> "$TMP/serve.err" &
SPID=$!
for _ in $(seq 200); do grep -q 'listening on' "$TMP/serve.err" 2>/dev/null && break; sleep 0.05; done
BASE=$(sed -n 's/^loghub: listening on //p' "$TMP/serve.err")
[ -n "$BASE" ] || { cat "$TMP/serve.err"; exit 1; }

echo "loghub serve ($PROFILE) at $BASE: $STREAMS streams, $RATE records/s for $SECONDS_ s (load $(cut -d' ' -f1 /proc/loadavg))"
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
c0=$(cpu $SPID)
set +e
"$LOAD" --url "$BASE" --streams "$STREAMS" --rate "$RATE" --seconds "$SECONDS_"
rc=$?
set -e
echo "server CPU during the run: $(( ($(cpu $SPID) - c0) / $(getconf CLK_TCK) )) s"
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$SPID/status)"
echo "server metrics: $(curl -s "$BASE/metrics" | grep -E '^loghub_sse_' | tr '\n' ' ')"
kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
exit $rc
