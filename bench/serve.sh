#!/usr/bin/env bash
# `loghub send` → `loghub serve` → embedded store: records/s with gzip on and
# full-text indexing included, then the latency of representative
# `GET /api/v1/logs?…&limit=100` searches (p50/p99 over repeated requests on
# one keep-alive connection, with the store's share from the `Server-Timing`
# header), and the server's peak RSS over the whole run.
#
# usage: bench/serve.sh [LINES] [REQUESTS]   (default 1,000,000 records, 50 requests per search)
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-1000000}
REQUESTS=${2:-50}
OUT=bench/out
mkdir -p "$OUT"
command -v curl >/dev/null || apt-get install -y curl >/dev/null
cargo build --release --locked -q
BIN=$PWD/target/release/loghub
CORPUS=$OUT/corpus-$LINES.log
[ -s "$CORPUS" ] || python3 bench/gen_corpus.py "$LINES" > "$CORPUS"
# Warm the page cache: `app | loghub send` reads a pipe, so the input's disk
# is not part of the figure (a cold 2.5 GB corpus alone takes 16 s to read
# on this machine's disk, more than the whole run's budget allows).
cat "$CORPUS" > /dev/null
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

python3 - "$BASE" "$REQUESTS" <<'PY'
import http.client, sys, time, urllib.parse
base, n = urllib.parse.urlparse(sys.argv[1]), int(sys.argv[2])
searches = ["q=payment%20timeout", "q=leader%20election", "level=error", "service=billing",
            "q=refund&level=error&service=cart", ""]
conn = http.client.HTTPConnection(base.hostname, base.port)
def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, int(len(xs) * p + 0.999999) - 1))]
for s in searches:
    path = "/api/v1/logs?" + (s + "&" if s else "") + "limit=100"
    wall, store, shown = [], [], 0
    for _ in range(n):
        t = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        wall.append((time.perf_counter() - t) * 1000)
        assert r.status == 200, (r.status, body[:200])
        timing = dict(part.strip().split(";dur=") for part in r.getheader("server-timing", "").split(",") if ";dur=" in part)
        store.append(float(timing.get("store", "nan")))
        shown = body.count(b'"id":')
    print(f"GET {path}: p50 {pct(wall, .5):.1f} ms, p99 {pct(wall, .99):.1f} ms "
          f"(store p50 {pct(store, .5):.1f} ms, p99 {pct(store, .99):.1f} ms; {shown} records, {n} requests)")
PY
echo "server peak RSS: $(awk '/VmHWM/ {printf "%.0f MiB", $2/1024}' /proc/$SPID/status)"
kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=
