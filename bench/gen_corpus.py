#!/usr/bin/env python3
"""Writes a corpus of mixed JSON / logfmt / text log lines (~250 bytes each).

usage: gen_corpus.py LINES [CYCLE_SECONDS] > corpus.log

With CYCLE_SECONDS, times go round that many seconds again and again instead
of growing: a corpus whose times are not in write order (bench/export.sh).
"""
import datetime
import json
import random
import sys

random.seed(42)
WORDS = ("payment timeout order checkout user session cache miss database query slow "
         "connection reset retry upstream gateway request response latency shard replica "
         "leader election snapshot commit token refresh login logout invoice refund").split()
SERVICES = ["api", "web", "worker", "billing", "auth", "search", "cart", "mailer"]
LEVELS = ["DEBUG", "INFO", "INFO", "INFO", "WARN", "ERROR"]


def msg(n):
    return " ".join(random.choice(WORDS) for _ in range(n))


_stamp = (None, "", "")


def stamp(t):
    """(date, time of day) of unix second t, UTC; cached, since 50 lines share a second."""
    global _stamp
    if _stamp[0] != t:
        d = datetime.datetime.fromtimestamp(t, datetime.timezone.utc)
        _stamp = (t, d.strftime("%Y-%m-%d"), d.strftime("%H:%M:%S"))
    return _stamp[1], _stamp[2]


def line(i):
    # 50 lines a second from 2023-11-14T22:13:20Z: times grow like a real stream's.
    day, hms = stamp(1_700_000_000 + (i // 50) % CYCLE if CYCLE else 1_700_000_000 + i // 50)
    ms = (i % 50) * 20
    kind = i % 3
    lvl = random.choice(LEVELS)
    svc = random.choice(SERVICES)
    if kind == 0:
        d = {"time": f"{day}T{hms}.{ms:03d}Z", "level": lvl.lower(),
             "service": svc, "msg": msg(12), "user_id": random.randint(1, 100000),
             "request_id": f"{random.getrandbits(64):016x}", "duration_ms": random.randint(1, 5000)}
        s = json.dumps(d, separators=(",", ":"))
        if len(s) < 250:
            d["pad"] = "x" * max(0, 250 - len(s) - 9)
            s = json.dumps(d, separators=(",", ":"))
        return s
    elif kind == 1:
        s = (f'ts={day}T{hms}.{ms:03d}Z level={lvl.lower()} service={svc} '
             f'msg="{msg(12)}" user_id={random.randint(1, 100000)} request_id={random.getrandbits(64):016x} '
             f'duration_ms={random.randint(1, 5000)}')
        return s + (" pad=" + "x" * (245 - len(s)) if len(s) < 245 else "")
    else:
        s = (f"{day} {hms},{ms:03d} {lvl} [{svc}-{random.randint(1, 9)}] "
             f"{msg(16)} id={random.getrandbits(64):016x}")
    return (s + " " + "x" * max(0, 240 - len(s)))[:250]


CYCLE = int(sys.argv[2]) if len(sys.argv) > 2 else 0


def main():
    n = int(sys.argv[1])
    out = sys.stdout
    buf = []
    for i in range(n):
        buf.append(line(i))
        if len(buf) == 10000:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")


if __name__ == "__main__":
    main()
