#!/usr/bin/env bash
# Creates the Python venv that tests/sdk_compat.rs drives the real LogTide,
# TraceHub and Loggier SDKs from (SPEC §4 "Also accepted at ingest").
#
#   LOGHUB_SDK_VENV  where the venv goes (default: target/sdk-venv)
#
# Idempotent and quick when the pinned versions are already installed. The
# versions are the ones the drivers under tests/sdk/ were written against:
# a new SDK release is taken on purpose, by changing a pin here.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${LOGHUB_SDK_VENV:-target/sdk-venv}"
PINS=(
    "logtide-sdk==0.10.0"
    "tracehub-logger==1.2.0"
    "loggier==0.1.9"
)
STAMP="$VENV/.loghub-sdk-pins"
WANT="$(printf '%s\n' "${PINS[@]}")"

if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then
    echo "sdk-venv: $VENV is up to date"
    exit 0
fi

if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    # Debian splits venv/ensurepip out of python3.
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y python3-venv; then
        apt-get update
        apt-get install -y python3-venv
    fi
fi

python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
printf '%s\n' "$WANT" >"$STAMP"
echo "sdk-venv: installed ${PINS[*]} into $VENV"
