#!/usr/bin/env bash
# Pattern mining (SPEC §10), in one run (the machine is shared: read ratios):
# 1. `send` into the embedded store with mining on, and with it off
#    (LOGHUB_PATTERNS=off), on the generated mixed corpus: records/s and
#    the ratio (target ≥ 0.85);
# 2. `loghub patterns --since 24h` and `loghub query pattern=ID` (newest
#    100) on that store: best of 5, ms;
# 3. peak RSS of `send` on 100,000 lines of 100,000 distinct templates
#    (target ≤ 64 MiB).
#
# usage: bench/patterns.sh [LINES]   (default 500,000)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-500000}
OUT=bench/out
mkdir -p "$OUT"
command -v /usr/bin/time >/dev/null || { apt-get install -y time >/dev/null 2>&1 || true; }
[ -n "${NO_BUILD:-}" ] || cargo build --release --locked -q
BIN=${LOGHUB_BIN:-target/release/loghub}
CORPUS=$OUT/corpus-$LINES.log
[ -s "$CORPUS" ] || python3 bench/gen_corpus.py "$LINES" > "$CORPUS"
cat "$CORPUS" > /dev/null

# The corpus's times are fixed; shift them to the last hours so --since 24h covers them.
RECENT=$OUT/recent-$LINES.log
[ -s "$RECENT" ] || python3 - "$CORPUS" "$RECENT" <<'PY'
import re, sys, time, datetime
src, dst = sys.argv[1], sys.argv[2]
lines = open(src, encoding="utf-8", errors="replace").read().splitlines()
end = time.time() - 60
start = end - 20 * 3600
out = open(dst, "w")
pat = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
for i, l in enumerate(lines):
    t = datetime.datetime.fromtimestamp(start + (end - start) * i / len(lines), datetime.timezone.utc)
    out.write(pat.sub(t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"), l) + "\n")
PY

rate() { # label, env, store
  local t0 t1
  rm -f "$3"*
  t0=$(date +%s.%N)
  env $2 /usr/bin/time -f '%M' -o "$OUT/rss" "$BIN" send -q --to "local:$3" --timezone UTC < "$RECENT"
  t1=$(date +%s.%N)
  python3 -c "import sys; s=$t1-$t0; print(f'{\"$1\":<34} {s:6.2f} s {$LINES/s:10.0f} records/s  peak RSS {$(cat $OUT/rss)/1024:5.1f} MiB'); open('$OUT/last','w').write(str($LINES/s))"
}
rate "send into the store, mining off" "LOGHUB_PATTERNS=off" "$OUT/pat-off.db"; OFF=$(cat $OUT/last)
rate "send into the store, mining on" "LOGHUB_PATTERNS=on" "$OUT/pat-on.db"; ON=$(cat $OUT/last)
python3 -c "print(f'ratio on / off: {$ON/$OFF:.3f}')"

best_ms() { # command...
  local best=999999 t0 t1 ms
  for _ in 1 2 3 4 5; do
    t0=$(date +%s%N); "$@" > /dev/null; t1=$(date +%s%N)
    ms=$(( (t1 - t0) / 1000000 )); [ "$ms" -lt "$best" ] && best=$ms
  done
  echo "$best"
}
DB="local:$OUT/pat-on.db"
ID=$("$BIN" --to "$DB" patterns --since 24h --limit 1 -o ndjson | python3 -c "import json,sys; print(json.loads(sys.stdin.readline())['id'])")
echo "templates: $("$BIN" --to "$DB" patterns --since 24h --limit 0 -o ndjson | wc -l)"
echo "loghub patterns --since 24h:         $(best_ms "$BIN" --to "$DB" patterns --since 24h -o json) ms"
echo "loghub query pattern=$ID (100): $(best_ms "$BIN" --to "$DB" query "pattern=$ID" --limit 100 -o ndjson) ms"

# 100,000 distinct templates: every line has its own words.
python3 - > "$OUT/distinct.log" <<'PY'
import random
random.seed(7)
A = "abcdefghijklmnopqrstuvwxyz"
def w(): return "".join(random.choice(A) for _ in range(random.randint(4, 9)))
for i in range(100000):
    print(f"2026-01-02 03:04:05,678 INFO [main] {w()}.{w()}: {w()} {w()} {w()} took {i} ms for {w()}")
PY
rm -f "$OUT/distinct.db"*
/usr/bin/time -f '%M' -o "$OUT/rss" "$BIN" send -q --to "local:$OUT/distinct.db" --timezone UTC < "$OUT/distinct.log"
echo "send, 100,000 distinct templates: peak RSS $(( $(cat $OUT/rss) / 1024 )) MiB"
