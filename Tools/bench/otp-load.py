#!/usr/bin/env python3
"""Closed-loop HTTP load generator for TOTP validation endpoints (asyncio + aiohttp).

It computes valid TOTP codes itself (RFC 6238, HMAC-SHA1, 6 digits, 30 s) for a set of tokens
with known seeds and sends them to a validation endpoint, C requests in flight at a time, N
requests in all. Every (token, time step) pair is used at most once, so replay protection never
rejects a request: a token is used for the current step and up to --ahead steps after it (the
next code, accepted by a +-1 step window), then rests until time moves on. Latency is measured
per request from send to full response.

The request is a form POST by default (privacyIDEA's /validate/check: serial=..&pass=..); the body
template and the "accepted" pattern are options, so the same tool drives other servers.

Usage:
  otp-load.py --url URL --tokens FILE --requests N --concurrency C [--ahead 1]
              [--body 'serial={serial}&pass={code}'] [--content-type application/x-www-form-urlencoded]
              [--header 'Authorization: Bearer KEY']
              [--accept-pattern '"value": ?true'] [--processes P] [--state FILE] [--json]
Tokens FILE: one token a line, "serial, hexkey[, ...]" (the OATH CSV import format).
Prints a JSON object: requests, seconds, per_second, p50_ms, p90_ms, p99_ms, max_ms, accepted,
rejected, errors, concurrency, tokens, waited_for_fresh_steps_s (time the generator waited because
every token had used its codes; nonzero means: give it more tokens).
"""
import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import re
import struct
import sys
import time

import aiohttp


def totp(key, step, digits=6):
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return str(value).zfill(digits)


class Scheduler:
    """Hands out (serial, code) pairs so that no (token, step) pair is used twice."""

    def __init__(self, tokens, ahead, period=30, last=None):
        self.tokens = tokens
        self.ahead = ahead
        self.period = period
        self.last = {serial: -1 for serial, _ in tokens}
        self.last.update({k: v for k, v in (last or {}).items() if k in self.last})
        self.index = 0
        self.waited = 0.0

    async def next(self):
        while True:
            now = int(time.time()) // self.period
            for _ in range(len(self.tokens)):
                serial, key = self.tokens[self.index]
                self.index = (self.index + 1) % len(self.tokens)
                step = max(now, self.last[serial] + 1)
                if step <= now + self.ahead:
                    self.last[serial] = step
                    return serial, totp(key, step)
            # Every token is used up to now+ahead: wait for the next time step.
            pause = self.period - time.time() % self.period + 0.01
            self.waited += pause
            await asyncio.sleep(pause)


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = max(0, min(len(sorted_values) - 1, int(round(p / 100.0 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[k]


async def run(args, tokens, last):
    scheduler = Scheduler(tokens, args.ahead, last=last)
    accept = re.compile(args.accept_pattern.encode())
    latencies = []
    counts = {"accepted": 0, "rejected": 0, "errors": 0}
    remaining = [args.requests]
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    connector = aiohttp.TCPConnector(limit=args.concurrency, force_close=False)
    headers = {"Content-Type": args.content_type}
    for header in args.header or []:
        name, _, value = header.partition(":")
        headers[name.strip()] = value.strip()

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        # Warm-up: open the connections and let the server's workers load their code (not counted).
        for _ in range(min(args.warmup, len(tokens))):
            serial, code = await scheduler.next()
            body = args.body.replace("{serial}", serial).replace("{code}", code)
            async with session.post(args.url, data=body.encode(), headers=headers) as response:
                await response.read()

        async def worker():
            while remaining[0] > 0:
                remaining[0] -= 1
                serial, code = await scheduler.next()
                body = args.body.replace("{serial}", serial).replace("{code}", code)
                start = time.perf_counter()
                try:
                    async with session.post(args.url, data=body.encode(), headers=headers) as response:
                        payload = await response.read()
                        status = response.status
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    counts["errors"] += 1
                    continue
                latencies.append((time.perf_counter() - start) * 1000.0)
                if status == 200 and accept.search(payload):
                    counts["accepted"] += 1
                else:
                    counts["rejected"] += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(args.concurrency)))
        seconds = time.perf_counter() - started

    return latencies, counts, seconds, scheduler


def summarize(args, tokens, latencies, counts, seconds, waited):
    latencies.sort()
    done = len(latencies)
    return {
        "requests": done,
        "seconds": round(seconds, 3),
        "per_second": round(done / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 50), 3),
        "p90_ms": round(percentile(latencies, 90), 3),
        "p99_ms": round(percentile(latencies, 99), 3),
        "max_ms": round(latencies[-1], 3) if latencies else 0.0,
        "concurrency": args.concurrency,
        "tokens": len(tokens),
        "processes": args.processes,
        "waited_for_fresh_steps_s": round(waited, 2),
        **counts,
    }


def run_slice(job):
    args, tokens, last = job
    latencies, counts, seconds, scheduler = asyncio.run(run(args, tokens, last))
    return latencies, counts, seconds, scheduler.waited, scheduler.last


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--ahead", type=int, default=1, help="also use the next AHEAD steps' codes (default 1)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--body", default="serial={serial}&pass={code}")
    parser.add_argument("--content-type", default="application/x-www-form-urlencoded")
    parser.add_argument("--header", action="append", help="extra request header 'Name: value' (repeatable)")
    parser.add_argument("--accept-pattern", default=r'"value":\s*true')
    parser.add_argument("--processes", type=int, default=1,
                        help="split tokens and requests over P client processes (for servers faster than one client core)")
    parser.add_argument("--state", help="JSON file of the last step used per token, read at start and written at the end, "
                                        "so consecutive runs against one server never replay a code")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--emit", help="send nothing: write the next REQUESTS request bodies, one a line, to this file (for "
                                       "Tools/bench/otp-wrk.lua) and record their steps in --state; fails when the tokens run short")
    args = parser.parse_args()

    tokens = []
    with open(args.tokens) as f:
        for line in f:
            fields = [x.strip() for x in line.split(",")]
            if len(fields) >= 2 and fields[0] and not fields[0].startswith("#"):
                tokens.append((fields[0], bytes.fromhex(fields[1])))
    if not tokens:
        sys.exit("otp-load: no tokens in %s" % args.tokens)
    last = {}
    if args.state and os.path.exists(args.state):
        with open(args.state) as f:
            last = json.load(f)
    if args.emit:
        scheduler = Scheduler(tokens, args.ahead, last=last)
        now = int(time.time()) // scheduler.period
        with open(args.emit, "w") as f:
            for _ in range(args.requests):
                for _ in range(len(tokens)):
                    serial, key = tokens[scheduler.index]
                    scheduler.index = (scheduler.index + 1) % len(tokens)
                    step = max(now, scheduler.last[serial] + 1)
                    if step <= now + args.ahead:
                        scheduler.last[serial] = step
                        f.write(args.body.replace("{serial}", serial).replace("{code}", totp(key, step)) + "\n")
                        break
                else:
                    sys.exit("otp-load: %d tokens give fewer than %d fresh codes now: use more tokens" % (len(tokens), args.requests))
        if args.state:
            with open(args.state, "w") as f:
                json.dump({**last, **{k: v for k, v in scheduler.last.items() if v >= 0}}, f)
        return
    processes = max(1, min(args.processes, len(tokens)))
    args.processes = processes
    if processes == 1:
        latencies, counts, seconds, scheduler = asyncio.run(run(args, tokens, last))
        waited, used = scheduler.waited, scheduler.last
    else:
        # Disjoint token slices and an even share of requests and concurrency per process.
        jobs = []
        for i in range(processes):
            share = argparse.Namespace(**vars(args))
            share.requests = args.requests // processes + (1 if i < args.requests % processes else 0)
            share.concurrency = max(1, args.concurrency // processes)
            jobs.append((share, tokens[i::processes], last))
        with multiprocessing.Pool(processes) as pool:
            parts = pool.map(run_slice, jobs)
        latencies = [x for part in parts for x in part[0]]
        counts = {k: sum(part[1][k] for part in parts) for k in ("accepted", "rejected", "errors")}
        seconds = max(part[2] for part in parts)
        waited = max(part[3] for part in parts)
        used = {k: v for part in parts for k, v in part[4].items()}
    if args.state:
        with open(args.state, "w") as f:
            json.dump({**last, **{k: v for k, v in used.items() if v >= 0}}, f)
    result = summarize(args, tokens, latencies, counts, seconds, waited)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print("%-12s %s" % (k, v))


if __name__ == "__main__":
    main()
