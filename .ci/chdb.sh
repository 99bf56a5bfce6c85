#!/usr/bin/env bash
# Starts ClickHouse 26.9's engine behind ClickHouse's HTTP interface on
# loopback, for the second run of the ClickHouse suite
# (tests/ch_current/main.rs) and for bench/clickhouse.sh against a current
# version. Debian only ships clickhouse-server 18.16, and no internet but
# PyPI is reachable here, so the engine is the `chdb-core` wheel (ClickHouse
# as an in-process library, no pandas/pyarrow needed) in its own venv, and
# tests/ch_current/server.py speaks the HTTP interface in front of it.
# Same interface as .ci/clickhouse.sh; idempotent: exits at once if
# something already answers `SELECT 1` on the port.
#
#   CH_HTTP_PORT     HTTP port (default 8124)
#   CH_DIR           data and log (default /var/lib/loghub-chdb-$CH_HTTP_PORT)
#   LOGHUB_CHDB_VENV the venv (default target/chdb-venv)
#
# The shim's pid is in $CH_DIR/server.pid.
set -euo pipefail
cd "$(dirname "$0")/.."

HTTP_PORT="${CH_HTTP_PORT:-8124}"
DIR="${CH_DIR:-/var/lib/loghub-chdb-$HTTP_PORT}"
VENV="${LOGHUB_CHDB_VENV:-target/chdb-venv}"
PIN="chdb-core==26.9.0"
URL="http://127.0.0.1:$HTTP_PORT/"

answers() {
    [ "$(curl -sS --max-time 2 "$URL?query=SELECT%201" 2>/dev/null)" = "1" ]
}

if answers; then
    echo "chdb: already answering on $URL"
    exit 0
fi

if ! [ -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.loghub-chdb-pin" 2>/dev/null)" != "$PIN" ]; then
    if ! python3 -c 'import ensurepip' 2>/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y python3-venv || { apt-get update && apt-get install -y python3-venv; }
    fi
    python3 -m venv "$VENV"
    # --no-deps: the wheel declares pandas and pyarrow for its DataFrame
    # helpers; the SQL engine itself does not import them.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$PIN"
    echo "$PIN" >"$VENV/.loghub-chdb-pin"
fi

mkdir -p "$DIR/data" "$DIR/log"
# Detached from this shell (setsid), as .ci/clickhouse.sh does.
setsid "$VENV/bin/python" tests/ch_current/server.py --port "$HTTP_PORT" --path "$DIR/data" \
    >"$DIR/log/server.log" 2>&1 </dev/null &
echo $! >"$DIR/server.pid"

for _ in $(seq 1 120); do
    if answers; then
        echo "chdb: ClickHouse $(curl -sS "$URL?query=SELECT%20version()") answering on $URL (pid $(cat "$DIR/server.pid"), dir $DIR)"
        exit 0
    fi
    if ! kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; then
        echo "chdb: the shim exited; its log:" >&2
        tail -n 30 "$DIR/log/server.log" >&2 || true
        exit 1
    fi
    sleep 0.5
done
echo "chdb: no answer on $URL after 60 s; see $DIR/log/" >&2
exit 1
