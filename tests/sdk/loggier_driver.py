"""Drives the real Loggier Python SDK (loggier) against a loghub server.

Usage: python loggier_driver.py URL API_KEY SERVICE

Logs five records (DEBUG, INFO, WARNING, ERROR with a caught exception via
`exception()`, CRITICAL) with context and tags and flushes them: several
queued records go in one POST to /api/ingest/{key}/batch. Then one more
record is flushed alone, which the SDK sends to /api/ingest/{key}. Exits 1
if the SDK counts a failed send.
"""

import sys

from loggier.utils.network import NetworkMonitor


def loopback_only(self) -> bool:
    # The SDK's connectivity check asks the server's /health first and, when
    # that fails, opens sockets to public DNS servers and google.com. Tests
    # never reach beyond loopback, so only the /health check is kept; against
    # a healthy server the SDK behaves exactly as unpatched.
    return bool(self.api_handler and self.api_handler.check_connectivity())


NetworkMonitor._check_connectivity = loopback_only

from loggier import Loggier  # noqa: E402  (after the patch above)


def main() -> int:
    url, key, service = sys.argv[1], sys.argv[2], sys.argv[3]
    client = Loggier(
        api_key=key,
        api_url=url,
        service_name=service,
        environment="sdk-test",
        tags=["sdk", "compat"],
        # Sent by flush(); the worker's timer never fires first.
        flush_interval=3600,
        # No on-disk cache: a failed send must show as a failure here.
        enable_caching=False,
        capture_uncaught=False,
        enable_performance_monitoring=False,
    )

    client.debug("cache warmed", context={"entries": 12})
    client.info("user signed in", context={"user_id": 42, "plan": "pro"})
    client.warning("slow query", context={"duration_ms": 1234.5})
    try:
        {}["missing"]
    except KeyError:
        client.exception("lookup failed", context={"key": "missing"})
    client.critical("disk full", context={"mount": "/var"}, tags=["disk"])
    if not client.flush(timeout=15):
        print("flush timed out", file=sys.stderr)
        return 1

    client.info("single record", context={"route": "single"})
    if not client.flush(timeout=15):
        print("flush timed out", file=sys.stderr)
        return 1

    stats = client.get_stats()
    sent = client.api_handler.get_stats()
    if stats["async_failed"] or sent["logs_failed"] or stats["async_processed"] != 6:
        print(f"the SDK did not deliver everything: {stats} {sent}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
