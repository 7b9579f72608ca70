#!/usr/bin/env python3
"""Compare badkeys JSON lines (-j -a) with `sleutel keys check --json` lines on the same corpus.

Usage: compare.py BADKEYS.jsonl SLEUTEL.jsonl  → prints a Markdown table of per-check agreement.
Checks both tools have: badkeys fermat/roca/smallfactors/smalld ↔ sleutel rsa.fermat/rsa.roca/
rsa.smallFactors/rsa.wiener, and badkeys rsainvalid (e < 3 or e ≥ n) ↔ sleutel rsa.exponent restricted
to those two conditions.
"""
import json, os, sys

PAIRS = [("fermat", "rsa.fermat"), ("roca", "rsa.roca"), ("smallfactors", "rsa.smallFactors"),
         ("smalld", "rsa.wiener"), ("rsainvalid", "rsa.exponent[e<3 or e>=n]")]

bad = {}
for line in open(sys.argv[1]):
    j = json.loads(line)
    if j.get("type") != "rsa":
        continue
    bad[os.path.basename(j["where"])] = set(j.get("results", {}))

ours = {}
for line in open(sys.argv[2]):
    j = json.loads(line)
    if "verdict" not in j or not j["verdict"]["key"].startswith("RSA"):
        continue
    failed = {c["id"] for c in j["verdict"]["checks"] if not c["passed"]}
    exp = next(c for c in j["verdict"]["checks"] if c["id"] == "rsa.exponent")
    # e < 3 or e >= n, from the detail text ("below 65537" alone is not rsainvalid).
    e_small = j["verdict"]["key"].endswith(" e=1") or j["verdict"]["key"].endswith(" e=2")
    if e_small or "not below n" in exp["detail"]:
        failed.add("rsa.exponent[e<3 or e>=n]")
    ours[os.path.basename(j["file"])] = failed

files = sorted(set(bad) & set(ours))
print(f"RSA keys compared: {len(files)} (badkeys read {len(bad)}, sleutel read {len(ours)})\n")
print("| check (badkeys ↔ sleutel) | flagged by badkeys | flagged by sleutel | agreement |")
print("|---|---|---|---|")
total_agree = total = 0
for b, s in PAIRS:
    fb = {f for f in files if b in bad[f]}
    fs = {f for f in files if s in ours[f]}
    agree = sum(1 for f in files if (f in fb) == (f in fs))
    total_agree += agree
    total += len(files)
    print(f"| {b} ↔ {s} | {len(fb)} | {len(fs)} | {agree}/{len(files)} |")
    for f in sorted(fb ^ fs)[:5]:
        print(f"|   differs: {f} | {'yes' if f in fb else 'no'} | {'yes' if f in fs else 'no'} | |")
print(f"\nOverall verdict agreement on shared checks: {total_agree}/{total} ({100.0 * total_agree / max(1, total):.2f} %)")
