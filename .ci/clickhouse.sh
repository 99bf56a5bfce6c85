#!/usr/bin/env bash
# Starts a ClickHouse server on loopback for tests/clickhouse.rs and the
# ClickHouse benchmark. Idempotent: if something already answers `SELECT 1`
# on the HTTP port it exits at once. Works as root on a fresh Debian machine
# without systemd: installs the packages (bookworm ships 18.16.1), writes a
# minimal config under $CH_DIR, starts the server binary in the background and
# waits until HTTP answers.
#
#   CH_HTTP_PORT  HTTP port (default 8123)
#   CH_TCP_PORT   native port (default 19000; 9000 is often taken)
#   CH_DIR        config, data and logs (default /var/lib/loghub-clickhouse-$CH_HTTP_PORT)
#
# The server's pid is in $CH_DIR/server.pid; `kill "$(cat $CH_DIR/server.pid)"`
# stops it (the restart test in tests/clickhouse.rs runs its own instance on
# another port this way, so the shared one is never disturbed).
set -euo pipefail

HTTP_PORT="${CH_HTTP_PORT:-8123}"
TCP_PORT="${CH_TCP_PORT:-19000}"
DIR="${CH_DIR:-/var/lib/loghub-clickhouse-$HTTP_PORT}"
URL="http://127.0.0.1:$HTTP_PORT/"

answers() {
    [ "$(curl -sS --max-time 2 "$URL?query=SELECT%201" 2>/dev/null)" = "1" ]
}

if answers; then
    echo "clickhouse: already answering on $URL"
    exit 0
fi

if ! command -v clickhouse-server >/dev/null && [ ! -x /usr/sbin/clickhouse-server ]; then
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y clickhouse-server clickhouse-client; then
        apt-get update
        apt-get install -y clickhouse-server clickhouse-client
    fi
fi
command -v curl >/dev/null || apt-get install -y curl
SERVER="$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)"

mkdir -p "$DIR/data" "$DIR/tmp" "$DIR/user_files" "$DIR/format_schemas" "$DIR/log"
cat >"$DIR/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$DIR/log/server.log</log>
        <errorlog>$DIR/log/server.err.log</errorlog>
        <size>100M</size>
        <count>2</count>
    </logger>
    <http_port>$HTTP_PORT</http_port>
    <tcp_port>$TCP_PORT</tcp_port>
    <listen_host>127.0.0.1</listen_host>
    <max_connections>1024</max_connections>
    <keep_alive_timeout>10</keep_alive_timeout>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$DIR/data/</path>
    <tmp_path>$DIR/tmp/</tmp_path>
    <user_files_path>$DIR/user_files/</user_files_path>
    <format_schema_path>$DIR/format_schemas/</format_schema_path>
    <users_config>$DIR/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
</yandex>
EOF
cat >"$DIR/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
        </default>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
EOF

# The server runs detached from this shell (setsid) so CI steps and test
# harnesses that wait for their children do not wait for it.
setsid "$SERVER" --config-file="$DIR/config.xml" >"$DIR/log/stdout.log" 2>&1 </dev/null &
echo $! >"$DIR/server.pid"

for _ in $(seq 1 120); do
    if answers; then
        echo "clickhouse: $(curl -sS "$URL?query=SELECT%20version()") answering on $URL (pid $(cat "$DIR/server.pid"), dir $DIR)"
        exit 0
    fi
    if ! kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; then
        echo "clickhouse: the server exited; its log:" >&2
        tail -n 30 "$DIR/log/stdout.log" "$DIR/log/server.err.log" >&2 || true
        exit 1
    fi
    sleep 0.5
done
echo "clickhouse: no answer on $URL after 60 s; see $DIR/log/" >&2
exit 1
