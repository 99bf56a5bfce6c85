#!/usr/bin/env python3
"""Writes a corpus of mixed JSON / logfmt / text log lines (~250 bytes each).

usage: gen_corpus.py LINES > corpus.log
"""
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


def line(i):
    t = 1_700_000_000 + i // 50
    ms = i % 1000
    kind = i % 3
    lvl = random.choice(LEVELS)
    svc = random.choice(SERVICES)
    if kind == 0:
        d = {"time": f"2023-11-14T22:{(t // 60) % 60:02d}:{t % 60:02d}.{ms:03d}Z", "level": lvl.lower(),
             "service": svc, "msg": msg(12), "user_id": random.randint(1, 100000),
             "request_id": f"{random.getrandbits(64):016x}", "duration_ms": random.randint(1, 5000)}
        s = json.dumps(d, separators=(",", ":"))
        if len(s) < 250:
            d["pad"] = "x" * max(0, 250 - len(s) - 9)
            s = json.dumps(d, separators=(",", ":"))
        return s
    elif kind == 1:
        s = (f'ts=2023-11-14T22:{(t // 60) % 60:02d}:{t % 60:02d}.{ms:03d}Z level={lvl.lower()} service={svc} '
             f'msg="{msg(12)}" user_id={random.randint(1, 100000)} request_id={random.getrandbits(64):016x} '
             f'duration_ms={random.randint(1, 5000)}')
        return s + (" pad=" + "x" * (245 - len(s)) if len(s) < 245 else "")
    else:
        s = (f"2023-11-14 22:{(t // 60) % 60:02d}:{t % 60:02d},{ms:03d} {lvl} [{svc}-{random.randint(1, 9)}] "
             f"{msg(16)} id={random.getrandbits(64):016x}")
    return (s + " " + "x" * max(0, 240 - len(s)))[:250]


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
