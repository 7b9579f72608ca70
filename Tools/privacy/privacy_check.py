#!/usr/bin/python3
"""Privacy check of the test suite's logs (issue 7): every national register number, PIN, code,
seed and password the suite used must appear in no log. Prints each hit as file:line and the kind
of secret (never the secret itself) and exits 1 when there is one.

Secrets come from:
  * the repository (--root): national numbers and PINs of the card profiles (Hardware/cards/*.json),
    the national numbers in the test PKI's authentication certificates (Hardware/test-pki/persons),
    11-digit numbers with a valid national-number checksum (plain or 85.07.30-033.28) and PIN and
    password literals in Tests/ and Sources/;
  * the manifest the tests append to while they run (--secrets, `kind<TAB>value` lines: seeds in
    base32 and hex, TOTP codes, passwords, PINs, national numbers made up at run time);
  * the delivered messages of the mail/SMS sinks (--deliveries): the codes they carry. Deliveries
    are messages, not logs: they are read for codes and never scanned.

Matching:
  * long secrets (national numbers, seeds of 16+ base32 / 20+ hex characters, passwords of 8+
    characters) match anywhere; a national number must not sit inside a longer digit run;
  * short ones (PINs, codes, shorter passwords) match only as a whole token - not inside a longer
    run of letters or digits, not part of a decimal, time or date ("12:34:56.123456") - and only on
    a line that talks about secrets (pin, puk, code, otp, passw, wachtwoord, secret, seed, sms,
    mail, verify); a PIN also matches as its PIN block (24 12 34 FF ...) anywhere.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

# Swift Testing announces each case of a parameterised test with its arguments ("◇ Test case passing
# 2 arguments pin → "1234" … started."): the test's own input data echoed by the runner, not a log
# line of the program under test. Those lines (and only those) are skipped and counted.
RUNNER_ARGUMENTS = re.compile(r"^\u25c7 Test case passing \d+ arguments? .* started\.\s*$")
KEYWORDS = re.compile(r"pin|puk|code|otp|passw|wachtwoord|secret|seed|sms|mail|verify", re.IGNORECASE)


def nrn_valid(digits):
    if len(digits) != 11 or not digits.isdigit():
        return False
    body, check = int(digits[:9]), int(digits[9:])
    return 97 - body % 97 == check or 97 - (2000000000 + body) % 97 == check


def dotted(nrn):
    return "%s.%s.%s-%s.%s" % (nrn[0:2], nrn[2:4], nrn[4:6], nrn[6:9], nrn[9:11])


def pin_block(pin):
    nibbles = "2" + "%X" % len(pin) + pin
    return (nibbles + "F" * 16)[:16] if len(pin) <= 14 else None


class Secrets:
    def __init__(self):
        self.items = {}  # (kind, value) -> source

    def add(self, kind, value, source):
        value = value.strip()
        if not value:
            return
        if kind == "nrn" and not nrn_valid(value):
            return
        if kind in ("pin", "code") and not value.isdigit():
            return
        if kind == "seed-base32":
            value = value.upper().rstrip("=")
        if kind == "seed-hex":
            value = value.lower()
        self.items.setdefault((kind, value), source)

    def counts(self):
        result = {}
        for kind, _ in self.items:
            result[kind] = result.get(kind, 0) + 1
        return result


def collect_repository(root, secrets):
    for path in sorted(glob.glob(os.path.join(root, "Hardware/cards/*.json"))):
        name = os.path.basename(path)
        try:
            profile = json.load(open(path, encoding="utf-8"))
        except (OSError, ValueError):
            continue
        identity = profile.get("identity") or {}
        if isinstance(identity, dict) and identity.get("nationalNumber"):
            secrets.add("nrn", str(identity["nationalNumber"]), "card profile " + name)
        if profile.get("pin"):
            secrets.add("pin", str(profile["pin"]), "card profile " + name)
    for path in sorted(glob.glob(os.path.join(root, "Hardware/test-pki/persons/*/*.crt"))):
        try:
            subject = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "sep_multiline,sname", "-in", path],
                                     capture_output=True, text=True, errors="replace", timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        for match in re.finditer(r"serialNumber=(\d{11})", subject):
            secrets.add("nrn", match.group(1), "test PKI " + os.path.relpath(path, root))
    literal_patterns = [
        ("pin", re.compile(r'(?:PIN\(|pin:\s*|verifyAPDU\(|pinBlock\(|PINBlock\(pin:\s*)"(\d{4,12})"')),
        ("password", re.compile(r'(?:password:\s*|let password\s*=\s*|passwordText:\s*)"([^"\\]{4,})"')),
    ]
    for folder in ("Tests", "Sources"):
        for path in glob.glob(os.path.join(root, folder, "**/*.swift"), recursive=True):
            try:
                text = open(path, encoding="utf-8", errors="replace").read()
            except OSError:
                continue
            where = os.path.relpath(path, root)
            for match in re.finditer(r"(?<![\d.])(\d{2})\.?(\d{2})\.?(\d{2})-?(\d{3})\.?(\d{2})(?![\d])", text):
                digits = "".join(match.groups())
                if nrn_valid(digits):
                    secrets.add("nrn", digits, where)
            if folder == "Tests":
                for match in re.finditer(r"rrn\((\d{9})\)", text):  # national numbers built from 9 digits by a helper
                    body = int(match.group(1))
                    secrets.add("nrn", "%09d%02d" % (body, 97 - body % 97), where)
                for kind, pattern in literal_patterns:
                    for match in pattern.finditer(text):
                        secrets.add(kind, match.group(1), where)


def collect_manifest(path, secrets):
    if not path or not os.path.exists(path):
        return
    for number, line in enumerate(open(path, encoding="utf-8", errors="replace"), 1):
        if "\t" not in line:
            continue
        kind, value = line.rstrip("\n").split("\t", 1)
        secrets.add(kind, value, "manifest line %d" % number)


def collect_deliveries(folders, secrets):
    for folder in folders:
        for path in glob.glob(os.path.join(folder, "**/*"), recursive=True):
            if not os.path.isfile(path):
                continue
            text = open(path, encoding="utf-8", errors="replace").read()
            for match in re.finditer(r"(?<![\w.:/+-])(\d{6,8})(?![\w])", text):
                secrets.add("code", match.group(1), "delivered message " + os.path.basename(path))


def compile_matchers(secrets):
    matchers = []  # (kind, source, regex, needs_keyword, normalise)
    for (kind, value), source in secrets.items.items():
        escaped = re.escape(value)
        if kind == "nrn":
            matchers.append((kind, source, re.compile(r"(?<!\d)" + escaped + r"(?!\d)"), False, False))
            matchers.append((kind, source, re.compile(re.escape(dotted(value))), False, False))
        elif kind in ("seed-base32", "seed-hex") and len(value) >= (16 if kind == "seed-base32" else 20):
            matchers.append((kind, source, re.compile(escaped, re.IGNORECASE), False, False))
        elif kind == "password" and len(value) >= 8:
            matchers.append((kind, source, re.compile(escaped), False, False))
        elif kind in ("pin", "code", "password", "seed-base32", "seed-hex"):
            token = r"(?<![A-Za-z0-9_.:/+-])" + escaped + r"(?![A-Za-z0-9_])(?![.:/-]\d)"
            matchers.append((kind, source, re.compile(token), True, False))
            if kind == "pin" and pin_block(value):
                matchers.append(("pin-block", source, re.compile(pin_block(value), re.IGNORECASE), False, True))
        else:
            matchers.append((kind, source, re.compile(escaped), False, False))
    return matchers


def log_files(paths, excluded):
    excluded = [os.path.realpath(e) for e in excluded]

    def is_excluded(path):
        real = os.path.realpath(path)
        return any(real == e or real.startswith(e + os.sep) for e in excluded)

    files = []
    for path in paths:
        if os.path.isfile(path):
            candidates = [path]
        elif os.path.isdir(path):
            candidates = [os.path.join(d, f) for d, _, names in os.walk(path) for f in names]
        else:
            candidates = glob.glob(path)
        for candidate in candidates:
            if os.path.isfile(candidate) and not is_excluded(candidate) and candidate not in files:
                files.append(candidate)
    return sorted(files)


def scan(files, matchers):
    hits, lines, skipped = [], 0, 0
    quick = {}
    for kind, source, regex, needs_keyword, normalise in matchers:
        quick.setdefault((needs_keyword, normalise), []).append((kind, source, regex))
    for path in files:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                lines += 1
                line = raw.decode("utf-8", errors="replace")
                if RUNNER_ARGUMENTS.match(line):
                    skipped += 1
                    continue
                has_keyword = KEYWORDS.search(line) is not None
                squeezed = None
                for (needs_keyword, normalise), group in quick.items():
                    if needs_keyword and not has_keyword:
                        continue
                    text = line
                    if normalise:
                        squeezed = squeezed if squeezed is not None else re.sub(r"[\s:]", "", line)
                        text = squeezed
                    for kind, source, regex in group:
                        if regex.search(text):
                            hits.append((path, number, kind, source))
    return hits, lines, skipped


def self_test():
    """Plants one secret of every kind (and decoys that must not match) and checks the hits."""
    work = tempfile.mkdtemp(prefix="privacy-self-test-")
    manifest = os.path.join(work, "secrets.tsv")
    with open(manifest, "w") as f:
        f.write("nrn\t85073003328\nseed-base32\tJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\nseed-hex\t3132333435363738393031323334353637383930\n"
                "code\t492039\npin\t1234\npassword\tcorrect horse battery\n")
    logs = os.path.join(work, "logs")
    os.makedirs(os.path.join(logs, "sub"))
    planted = [
        "2026-12-04T10:00:00Z notice login person=85073003328 outcome=ok",   # nrn
        "reading card of 85.07.30-033.28",                                  # nrn, formatted
        "otpauth secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP issuer=Sleutel",    # base32 seed
        "seed 3132333435363738393031323334353637383930",                    # hex seed
        '{"event":"confirm","code":"492039"}',                              # code
        "verify PIN 1234 on reader 0",                                      # pin
        "APDU 00 20 00 01 08 24 12 34 FF FF FF FF FF",                      # pin block
        "set password to correct horse battery",                            # password
    ]
    decoys = [
        "2026-12-04T12:34:56.492039Z code=session.challengeInvalid pin tries 3",  # code inside a timestamp
        "listening on 127.0.0.1:1234 (no secret words here)",                     # pin-like port, no keyword
        "code 41234 pin 12345 session 1234abcd",                                  # longer tokens
        "id 850730033280 and 185073003361",                                       # nrn inside longer runs
    ]
    with open(os.path.join(logs, "sub", "sample.log"), "w") as f:
        f.write("\n".join(planted + decoys) + "\n")
    secrets = Secrets()
    collect_manifest(manifest, secrets)
    hits, _, _ = scan(log_files([logs], []), compile_matchers(secrets))
    found = sorted((number, kind) for _, number, kind, _ in hits)
    expected = sorted([(1, "nrn"), (2, "nrn"), (3, "seed-base32"), (4, "seed-hex"), (5, "code"), (6, "pin"),
                       (7, "pin-block"), (8, "password")])
    if found != expected:
        print("privacy-check self-test FAILED: expected hits %s, found %s" % (expected, found))
        return 1
    print("privacy-check self-test: %d planted secrets found, %d decoy lines clean" % (len(planted), len(decoys)))
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", help="repository root (secrets of the card profiles, test PKI and test sources)")
    parser.add_argument("--secrets", help="manifest of secrets the tests used (kind<TAB>value lines)")
    parser.add_argument("--deliveries", action="append", default=[], help="folder of delivered messages: codes read, never scanned")
    parser.add_argument("--exclude", action="append", default=[], help="file or folder not to scan")
    parser.add_argument("--self-test", action="store_true", help="check the checker on planted secrets and exit")
    parser.add_argument("paths", nargs="*", help="log files, folders or glob patterns to scan")
    args = parser.parse_args()
    if args.self_test:
        return self_test()

    secrets = Secrets()
    if args.root:
        collect_repository(args.root, secrets)
    collect_manifest(args.secrets, secrets)
    collect_deliveries(args.deliveries, secrets)
    excluded = args.exclude + args.deliveries + ([args.secrets] if args.secrets else [])
    files = log_files(args.paths, excluded)
    hits, lines, skipped = scan(files, compile_matchers(secrets))
    counts = secrets.counts()
    summary = ", ".join("%d %s" % (counts[k], k) for k in sorted(counts))
    for path, number, kind, source in hits:
        print("privacy-check: HIT %s:%d: %s (from %s)" % (path, number, kind, source))
    print("privacy-check: %d log files, %d lines scanned (%d test-runner argument lines skipped) for %d secrets (%s): %d hits"
          % (len(files), lines - skipped, skipped, len(secrets.items), summary, len(hits)))
    if not secrets.items:
        print("privacy-check: no secrets collected: nothing was checked")
        return 1
    return 1 if hits else 0


if __name__ == "__main__":
    sys.exit(main())
