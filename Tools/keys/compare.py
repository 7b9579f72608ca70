#!/usr/bin/env python3
"""Compare badkeys JSON lines (-j -a) with `sleutel keys check --json` lines on the same corpus.

Usage: compare.py BADKEYS.jsonl SLEUTEL.jsonl  → prints Markdown tables: per-check agreement, then each
tool's verdicts per labelled kind of key (the kind is in the file name, NNNNN-KIND.pem, from gen_corpus.py).
Checks both tools have: badkeys fermat/roca/smallfactors/smalld ↔ sleutel rsa.fermat/rsa.roca/
rsa.smallFactors/rsa.wiener, and badkeys rsainvalid (e < 3 or e ≥ n) ↔ sleutel rsa.exponent restricted
to those two conditions.
"""
import json, os, re, sys

# What a correct checker says of each kind under the NIST profile in 2026: "ok", "weak" (refused) or
# "unsuitable" (not a signature key at all).
LABELS = {"rsa2048": "ok", "rsa3072": "ok", "p256": "ok", "p384": "ok", "ed25519": "ok", "ed448": "ok",
          "brainpool": "ok", "rsa1024": "weak", "fermat": "weak", "fermat520": "weak", "smallfactor": "weak",
          "roca": "weak", "e3": "weak", "e1": "weak", "even": "weak", "wiener": "weak", "secp256k1": "weak",
          "ed25519-torsion": "weak", "ed25519-noncanonical": "weak", "x25519": "unsuitable"}

PAIRS = [("fermat", "rsa.fermat"), ("roca", "rsa.roca"), ("smallfactors", "rsa.smallFactors"),
         ("smalld", "rsa.wiener"), ("rsainvalid", "rsa.exponent[e<3 or e>=n]")]

bad = {}
bad_any = {}  # every key badkeys read: file → flagged by any check
for line in open(sys.argv[1]):
    j = json.loads(line)
    bad_any[os.path.basename(j["where"])] = bool(j.get("results"))
    if j.get("type") != "rsa":
        continue
    bad[os.path.basename(j["where"])] = set(j.get("results", {}))

ours = {}
ours_any = {}  # every key sleutel read: file → (acceptable, failed check ids)
for line in open(sys.argv[2]):
    j = json.loads(line)
    if "verdict" in j:
        ours_any[os.path.basename(j["file"])] = (j["verdict"]["isAcceptable"],
                                                 {c["id"] for c in j["verdict"]["checks"] if not c["passed"]})
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


def kind(name):
    m = re.match(r"(?:c\d+-)?\d+-(.+)\.pem$", name)
    return m.group(1) if m else None


print("\n| kind | label | keys | sleutel right | sleutel's failed checks | badkeys flagged | badkeys right |")
print("|---|---|---|---|---|---|---|")
right_ours = right_bad = labelled = 0
for k in sorted({kind(f) for f in ours_any} - {None}, key=lambda k: (LABELS.get(k, "?"), k)):
    label = LABELS.get(k, "?")
    names = [f for f in ours_any if kind(f) == k]
    ok_ours = sum(1 for f in names if ours_any[f][0] == (label == "ok")
                  and (label != "unsuitable" or "key.purpose" in ours_any[f][1]))
    ids = sorted(set().union(*(ours_any[f][1] for f in names)))
    flagged = [f for f in names if bad_any.get(f)]
    read = [f for f in names if f in bad_any]
    ok_bad = sum(1 for f in read if bad_any[f] == (label != "ok"))
    right_ours += ok_ours
    right_bad += ok_bad
    labelled += len(names)
    print(f"| {k} | {label} | {len(names)} | {ok_ours}/{len(names)} | {', '.join(ids) or '—'} | "
          f"{len(flagged)}/{len(read)} read | {ok_bad}/{len(names)} |")
print(f"\nLabelled verdicts right: sleutel {right_ours}/{labelled}, badkeys {right_bad}/{labelled} "
      "(badkeys: flagged or not, with the checks it was given; a key it did not read counts as wrong)")
