#!/usr/bin/env bash
# Follow benchmark (SPEC §9, issue 12). Prints, from one run:
#   1. one file appended at full speed (here: written before, then followed):
#      `send --follow FILE --to -` throughput as a ratio to
#      `send FILE --to -` on the same bytes;
#   2. FILES files (default 1000) each appended slowly (1 line/s each):
#      the follower's CPU seconds and peak RSS;
#   3. an idle follower (10 files, no writes) over IDLE_SECS (default 60):
#      CPU time, as a share of one core;
#   4. rotation torture: a writer at RATE lines/s (default 20000) renaming
#      (then copytruncating) the file every second, into `loghub serve`:
#      lines lost and duplicated (distinct sequence numbers stored).
#
# Usage: bench/follow.sh [lines for 1, default 500000]
# Env: FILES, IDLE_SECS, RATE, TORTURE_SECS (default 10); LOGHUB_BIN=path
# runs another build; NO_BUILD=1 skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${1:-500000}
FILES=${FILES:-1000}
IDLE_SECS=${IDLE_SECS:-60}
RATE=${RATE:-20000}
TORTURE_SECS=${TORTURE_SECS:-10}
WRITER=tests/fixtures/follow_writer.py

[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet --bin loghub
BIN=$(realpath "${LOGHUB_BIN:-target/release/loghub}")

TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT

now() { date +%s.%N; }
lh() {
    env -i PATH="$PATH" HOME="$TMP" XDG_DATA_HOME="$TMP/data" XDG_CONFIG_HOME="$TMP/cfg" "$BIN" "$@"
}
# CPU seconds (user+system) of a live process.
cpu() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / t }' "/proc/$1/stat"; }
rss_mib() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
wait_for() { # wait_for SECONDS COMMAND…
    local until=$(($(date +%s) + $1)); shift
    until "$@"; do
        [ "$(date +%s)" -lt "$until" ] || { echo "timed out: $*" >&2; return 1; }
        sleep 0.05
    done
}
stop() { kill -TERM "$1"; wait "$1" 2>/dev/null || true; }

# 1. Throughput of one file.
python3 - "$LINES" > "$TMP/one.log" <<'EOF'
import sys, random
random.seed(7)
levels = ["INFO", "INFO", "INFO", "WARN", "ERROR", "DEBUG"]
w = sys.stdout.write
for i in range(int(sys.argv[1])):
    w(f"2026-12-07T10:{i // 60000 % 60:02d}:{i // 1000 % 60:02d}.{i % 1000:03d}Z {random.choice(levels)} "
      f"request id={i} user={random.randint(1, 5000)} path=/api/v1/items/{random.randint(1, 99999)} took {random.randint(1, 900)}ms\n")
w("bench-end-marker\n")
EOF
BYTES=$(stat -c %s "$TMP/one.log")
echo "1. one file: $LINES lines, $((BYTES / 1048576)) MiB"
t0=$(now)
lh send "$TMP/one.log" --to - -q > "$TMP/once.out"
t1=$(now)
ONCE=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
t0=$(now)
lh send --follow "$TMP/one.log" --to - -q > "$TMP/follow.out" &
FP=$!; PIDS+=("$FP")
wait_for 300 sh -c "tail -c 4096 '$TMP/follow.out' | grep -q bench-end-marker"
t1=$(now)
FOLLOW=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
stop "$FP"
awk -v o="$ONCE" -v f="$FOLLOW" -v b="$BYTES" 'BEGIN {
    printf "   send FILE --to -:          %.2f s (%.1f MiB/s)\n", o, b / 1048576 / o
    printf "   send --follow FILE --to -: %.2f s (%.1f MiB/s)\n", f, b / 1048576 / f
    printf "   follow / once throughput:  %.2f\n", o / f }'
rm -f "$TMP/once.out" "$TMP/follow.out"

# 2. Many files, each appended slowly.
mkdir -p "$TMP/many"
python3 - "$TMP/many" "$FILES" <<'EOF'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    open(os.path.join(d, f"f{i:04d}.log"), "w").write(f"start of file {i}\n")
EOF
lh send --follow "$TMP/many/*.log" --to - -q > /dev/null &
FP=$!; PIDS+=("$FP")
sleep 2
C0=$(cpu "$FP")
python3 - "$TMP/many" "$FILES" 20 <<'EOF' &
import os, sys, time
d, n, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hs = [open(os.path.join(d, f"f{i:04d}.log"), "a", buffering=1) for i in range(n)]
t0 = time.time()
for s in range(secs):
    for i, h in enumerate(hs):
        h.write(f"2026-12-07T10:00:{s:02d}Z INFO file {i} tick {s} some payload here\n")
        # Spread each second's writes over the second.
        ahead = t0 + s + (i + 1) / n - time.time()
        if ahead > 0:
            time.sleep(ahead)
EOF
WP=$!; PIDS+=("$WP")
wait "$WP"
sleep 1
C1=$(cpu "$FP")
echo "2. $FILES files, 1 line/s each for 20 s: follower CPU $(awk -v a="$C0" -v b="$C1" 'BEGIN { printf "%.2f s (%.1f%% of a core)", b - a, (b - a) / 21 * 100 }'), peak RSS $(rss_mib "$FP") MiB"
stop "$FP"

# 3. Idle.
mkdir -p "$TMP/idle"
for i in $(seq 10); do echo "line" > "$TMP/idle/i$i.log"; done
lh send --follow "$TMP/idle/*.log" --to - -q > /dev/null &
FP=$!; PIDS+=("$FP")
sleep 2
C0=$(cpu "$FP")
sleep "$IDLE_SECS"
C1=$(cpu "$FP")
echo "3. idle over $IDLE_SECS s: CPU $(awk -v a="$C0" -v b="$C1" -v s="$IDLE_SECS" 'BEGIN { printf "%.3f s (%.4f%% of a core)", b - a, (b - a) / s * 100 }')"
stop "$FP"

# 4. Rotation torture into loghub serve (de-duplicating by Idempotency-Key).
torture() { # torture MODE
    local mode=$1 dir="$TMP/t-$mode" n=$((RATE * TORTURE_SECS))
    mkdir -p "$dir"; : > "$dir/app.log"
    rm -f "$TMP/port.log"
    lh serve --listen 127.0.0.1:0 --store "$dir/srv.db" 2> "$TMP/serve.log" &
    local sp=$!; PIDS+=("$sp")
    wait_for 30 grep -q "listening on" "$TMP/serve.log"
    local url
    url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$TMP/serve.log" | head -1)
    lh send --follow "$dir/app.log*" --to "$url" -q --flush-interval 200ms &
    local fp=$!; PIDS+=("$fp")
    sleep 1
    python3 "$WRITER" "$dir/app.log" 1 "$n" "$RATE" "$RATE" "$mode" > /dev/null
    count() {
        lh query --to "$url" --limit 0 --output ndjson | python3 -c '
import json, sys
seen = {}
for l in sys.stdin:
    m = json.loads(l)["message"]
    if m.startswith("hello-"):
        k = int(m[6:]); seen[k] = seen.get(k, 0) + 1
n = int(sys.argv[1])
print(len(seen), n - len([k for k in range(1, n + 1) if k in seen]), sum(seen.values()) - len(seen))
' "$n"
    }
    local until=$(($(date +%s) + 60)) got
    while :; do
        got=$(count)
        [ "${got%% *}" -ge "$n" ] || [ "$(date +%s)" -ge "$until" ] && break
        sleep 1
    done
    stop "$fp"
    got=$(count)
    read -r distinct lost dup <<< "$got"
    echo "4. rotation torture ($mode every second, $RATE lines/s, $n lines): lost $lost, duplicated $dup"
    stop "$sp"
}
torture rename
torture copytruncate
