#!/usr/bin/env bash
# Throughput and memory of `loghub send` on a generated corpus of ~250-byte
# mixed JSON/logfmt/text lines, compared with `gzip -1` on the same input in
# the same run (this machine is shared and noisy: read the ratios).
#
# usage: bench/send.sh [LINES]   (default 2,000,000 ≈ 500 MB)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-2000000}
OUT=bench/out
mkdir -p "$OUT"
command -v /usr/bin/time >/dev/null || { apt-get install -y time >/dev/null 2>&1 || true; }
cargo build --release --locked -q
BIN=target/release/loghub
CORPUS=$OUT/corpus-$LINES.log
[ -s "$CORPUS" ] || python3 bench/gen_corpus.py "$LINES" > "$CORPUS"
BYTES=$(stat -c %s "$CORPUS")
MB=$(python3 -c "print($BYTES/1e6)")
cat "$CORPUS" > /dev/null   # warm the page cache

timed() { # label, command...
  local label=$1; shift
  local t0 t1 rss
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$OUT/rss" "$@"
  t1=$(date +%s.%N)
  rss=$(cat "$OUT/rss")
  python3 - "$label" "$t0" "$t1" "$MB" "$rss" "$LINES" <<'PY'
import sys
label, t0, t1, mb, rss, lines = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
secs = t1 - t0
print(f"{label:<42} {secs:7.2f} s  {mb/secs:8.1f} MB/s  {lines/secs:10.0f} lines/s  peak RSS {rss/1024:6.1f} MiB")
open("bench/out/last", "w").write(f"{mb/secs}\n")
PY
}

echo "corpus: $LINES lines, $MB MB"
timed "gzip -1 > /dev/null" sh -c "gzip -1 < $CORPUS > /dev/null"; GZ=$(cat $OUT/last)
timed "loghub send --to - > /dev/null" sh -c "$BIN send -q --to - --timezone UTC < $CORPUS > /dev/null"; DRY=$(cat $OUT/last)
rm -f "$OUT/store.db"*
timed "loghub send --to local:store.db" sh -c "$BIN send -q --to local:$OUT/store.db --timezone UTC < $CORPUS"; LOCAL=$(cat $OUT/last)
python3 -c "print(f'ratio dry-run / gzip -1: {$DRY/$GZ:.2f}   ratio store / gzip -1: {$LOCAL/$GZ:.2f}')"
