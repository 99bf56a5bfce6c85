"""Drives the real LogTide Python SDK (logtide-sdk) against a loghub server.

Usage: python logtide_driver.py URL API_KEY SERVICE

Opens the SDK's live stream (`stream()`, which passes the key as `?token=`)
filtered to SERVICE, waits for the server's `connected` frame, logs five
records through the client (one per level, with metadata, a trace id and an
exception) plus one through the stdlib `logging` handler, flushes, and waits
until the stream has delivered every record. Then reads them back with the
SDK's query(), get_by_trace_id() and get_aggregated_stats(), and prints one
JSON document on stdout: what the stream delivered and what each read gave.
Exits non-zero (with the reason on stderr) if anything fails or times out.
"""

import json
import logging
import sys
import threading
from datetime import datetime, timedelta, timezone

from logtide_sdk import ClientOptions, LogTideClient, LogTideHandler
from logtide_sdk.enums import LogLevel
from logtide_sdk.models import AggregatedStatsOptions, QueryOptions

DEADLINE = 15.0
EXPECTED = 6
TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


def main() -> int:
    url, key, service = sys.argv[1], sys.argv[2], sys.argv[3]
    client = LogTideClient(
        ClientOptions(
            api_url=url,
            api_key=key,
            service=service,
            # Flushed by close(); no timer thread racing the assertions.
            flush_interval=0,
            max_retries=0,
            global_metadata={"env": "sdk-test"},
        )
    )

    connected = threading.Event()
    done = threading.Event()
    seen: list[dict] = []
    errors: list[str] = []

    def on_log(frame: dict) -> None:
        if frame.get("type") == "connected":
            connected.set()
        elif frame.get("type") == "log":
            seen.append(frame["data"])
            if len(seen) >= EXPECTED:
                done.set()

    def on_error(e: Exception) -> None:
        errors.append(repr(e))
        connected.set()
        done.set()

    stop = client.stream(on_log=on_log, on_error=on_error, filters={"service": service})
    if not connected.wait(DEADLINE) or errors:
        print(f"stream did not connect: {errors}", file=sys.stderr)
        return 1

    client.debug("cache warmed", {"entries": 12})
    client.info(
        "user signed in",
        {"user_id": 42, "plan": "pro"},
        trace_id=TRACE,
        span_id="00f067aa0ba902b7",
    )
    client.warn("slow query", {"duration_ms": 1234.5})
    try:
        {}["missing"]
    except KeyError as e:
        client.error("lookup failed", e, trace_id=TRACE)
    client.critical("disk full", {"mount": "/var"})

    handler = LogTideHandler(client=client, service=service)
    log = logging.getLogger("sdk-driver")
    log.propagate = False
    log.addHandler(handler)
    log.warning("via logging handler")

    client.flush()
    metrics = client.get_metrics()
    if metrics.logs_sent != EXPECTED or metrics.errors:
        print(f"the SDK did not deliver everything: {metrics}", file=sys.stderr)
        return 1

    if not done.wait(DEADLINE) or errors:
        print(f"stream delivered {len(seen)}/{EXPECTED} records: {errors}", file=sys.stderr)
        return 1
    stop()

    # The SDK's read API on what it just sent.
    now = datetime.now(timezone.utc)
    everything = client.query(QueryOptions(service=service, limit=100))
    slow = client.query(
        QueryOptions(
            service=service,
            level=LogLevel.WARN,
            q="slow",
            from_time=now - timedelta(hours=1),
            to_time=now + timedelta(minutes=1),
        )
    )
    trace_logs = client.get_by_trace_id(TRACE)
    stats = client.get_aggregated_stats(
        AggregatedStatsOptions(
            from_time=now - timedelta(hours=1),
            to_time=now + timedelta(minutes=1),
            interval="1m",
            service=service,
        )
    )
    client.close()

    print(
        json.dumps(
            {
                "streamed": seen,
                "query": {"total": everything.total, "logs": everything.logs},
                "query_warn_slow": [r["message"] for r in slow.logs],
                "trace": trace_logs,
                "aggregated_total": sum(b["total"] for b in stats.timeseries),
                "top_services": stats.top_services,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
