#!/usr/bin/env bash
# The server's own cost of ingest, without the sender on the same 2 cores:
# the gzip bodies `loghub send` makes for LINES generated lines are captured
# once, then posted ROUNDS times to `loghub serve` (embedded store) over 4
# keep-alive connections by a small Python client. Prints records/s, the
# server's CPU seconds per 1M records (user + system, from /proc) and its
# peak RSS. CPU per record is the steadier figure on a shared machine.
#
# usage: bench/serve_cpu.sh [LINES] [ROUNDS]   (default 200,000 lines, 5 rounds)
# LOGHUB_BIN=path runs another build (e.g. to compare two commits in one
# sitting; with NO_BUILD=1 nothing is built).
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${1:-200000}
ROUNDS=${2:-5}
OUT=bench/out
mkdir -p "$OUT"
[ -n "${NO_BUILD:-}" ] || cargo build --release --locked -q
BIN=${LOGHUB_BIN:-$PWD/target/release/loghub}
CORPUS=$OUT/corpus-$LINES.log
[ -s "$CORPUS" ] || python3 bench/gen_corpus.py "$LINES" > "$CORPUS"
TMP=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

# 1. Capture what `loghub send` posts (answering as a server would).
mkdir "$TMP/bodies"
python3 - "$TMP/bodies" "$TMP/capture.port" <<'PY' &
import http.server, json, os, sys
out, port_file = sys.argv[1], sys.argv[2]
seen = set()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers.get("Idempotency-Key") or str(len(seen))
        if key not in seen:  # a retried batch is kept once
            seen.add(key)
            with open(os.path.join(out, f"{len(seen):06d}.gz"), "wb") as f:
                f.write(body)
        resp = json.dumps({"received": 0, "rejected": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(resp)))
        self.end_headers()
        self.wfile.write(resp)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(port_file, "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY
PIDS+=($!)
for _ in $(seq 200); do [ -s "$TMP/capture.port" ] && break; sleep 0.05; done
XDG_DATA_HOME=$TMP "$BIN" send -q --to "http://127.0.0.1:$(cat "$TMP/capture.port")" \
    --compression gzip --timezone UTC --concurrency 1 < "$CORPUS"
kill "${PIDS[0]}"; PIDS=()

# 2. Replay them into `loghub serve`.
"$BIN" serve --listen 127.0.0.1:0 --store "$TMP/store.db" 2> "$TMP/serve.err" &
SPID=$!
PIDS+=($SPID)
for _ in $(seq 200); do grep -q 'listening on' "$TMP/serve.err" 2>/dev/null && break; sleep 0.05; done
BASE=$(sed -n 's/^loghub: listening on //p' "$TMP/serve.err")
cpu() { awk '{print $14 + $15}' "/proc/$SPID/stat"; }
c0=$(cpu)
python3 - "$BASE" "$TMP/bodies" "$ROUNDS" "$TMP/replay.json" <<'PY'
import http.client, json, os, sys, threading, time, urllib.parse
base, d, rounds = urllib.parse.urlparse(sys.argv[1]), sys.argv[2], int(sys.argv[3])
bodies = [open(os.path.join(d, f), "rb").read() for f in sorted(os.listdir(d))]
jobs = [b for _ in range(rounds) for b in bodies]
lock, nxt, received = threading.Lock(), [0], [0]
def work():
    c = http.client.HTTPConnection(base.hostname, base.port)
    while True:
        with lock:
            if nxt[0] >= len(jobs):
                return
            b = jobs[nxt[0]]
            nxt[0] += 1
        c.request("POST", "/api/v1/ingest", b,
                  {"Content-Type": "application/json", "Content-Encoding": "gzip"})
        r = c.getresponse()
        answer = json.loads(r.read())
        assert r.status == 200 and not answer["rejected"], (r.status, answer)
        with lock:
            received[0] += answer["received"]
threads = [threading.Thread(target=work) for _ in range(4)]
t = time.perf_counter()
for th in threads:
    th.start()
for th in threads:
    th.join()
json.dump({"secs": time.perf_counter() - t, "records": received[0], "bodies": len(jobs)},
          open(sys.argv[4], "w"))
PY
c1=$(cpu)
RSS=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$SPID/status")
python3 - "$TMP/replay.json" "$c0" "$c1" "$RSS" "$(getconf CLK_TCK)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
cpu = (float(sys.argv[3]) - float(sys.argv[2])) / float(sys.argv[5])
n = r["records"]
print(f"serve ingest: {n} records ({r['bodies']} gzip bodies) in {r['secs']:.2f} s = "
      f"{n / r['secs']:,.0f} records/s; server CPU {cpu:.2f} s = "
      f"{cpu / n * 1e6:.2f} s per 1M records; server peak RSS {sys.argv[4]} MiB")
PY
