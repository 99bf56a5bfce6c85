"""Drives the real TraceHub Python SDK (tracehub-logger) against a loghub server.

Usage: python tracehub_driver.py URL API_KEY SERVICE DLQ_DIR

Logs five records (DEBUG, INFO, WARN, ERROR with a caught exception, FATAL)
with `extra` metadata, a module and a thread trace id, then closes the logger,
which drains its buffer in one gzip-compressed bare-array POST to
/api/v1/ingest. The SDK never raises: a refused batch lands in its
dead-letter queue (DLQ_DIR), so the driver exits 1 if any file is there.
"""

import os
import sys

from tracehub import TraceHubLogger
from tracehub.enricher import clear_trace_id, set_trace_id


def main() -> int:
    url, key, service, dlq = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    logger = TraceHubLogger(
        api_key=key,
        service=service,
        environment="sdk-test",
        endpoint=url,
        # Sent by close(); the worker's timer never fires first.
        flush_interval=3600,
        max_retries=1,
        dlq_path=dlq,
    )

    logger.debug("cache warmed", extra={"entries": 12})
    set_trace_id("4bf92f3577b34da6a3ce929d0e0e4736")
    logger.info("user signed in", module="auth", extra={"user_id": 42, "plan": "pro"})
    clear_trace_id()
    logger.warn("slow query", module="db", extra={"duration_ms": 1234.5})
    try:
        {}["missing"]
    except KeyError:
        logger.error("lookup failed", exc_info=True, module="cache")
    logger.fatal("disk full", extra={"mount": "/var"})

    logger.close()
    failed = [f for f in os.listdir(dlq) if f.startswith("failed_")]
    if failed:
        print(f"the SDK dead-lettered batches: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
