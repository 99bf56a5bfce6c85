#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain. Idempotent:
# developers run it once too (`bash .ci/setup.sh`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
# tmux and less for tests/terminal.rs: what a person sees, on a real terminal.
for tool in tmux less; do
    if ! command -v "$tool" >/dev/null; then
        apt-get install -y "$tool" || { apt-get update && apt-get install -y "$tool"; }
    fi
done
# A ClickHouse server on loopback for tests/clickhouse.rs (Debian's package).
bash .ci/clickhouse.sh
# ClickHouse 26.9's engine (chdb-core from PyPI) behind an HTTP-interface shim
# on 127.0.0.1:8124, for the same suite against a current version
# (tests/ch_current/).
bash .ci/chdb.sh
# The LogTide, TraceHub and Loggier Python SDKs for tests/sdk_compat.rs.
bash .ci/sdk-venv.sh
