#!/usr/bin/env bash
# Installs what the test suite needs beyond the Rust toolchain. Idempotent:
# developers run it once too (`bash .ci/setup.sh`).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-nextest >/dev/null || cargo install --locked cargo-nextest
# A ClickHouse server on loopback for tests/clickhouse.rs (Debian's package).
bash .ci/clickhouse.sh
# The LogTide, TraceHub and Loggier Python SDKs for tests/sdk_compat.rs.
bash .ci/sdk-venv.sh
