#!/usr/bin/env bash
# Server-side eID login benchmark: signature + chain + cached OCSP + key strength + session +
# rights (organisation choice), in process and over HTTP against `sleutel serve`.
#   Tools/bench-login.sh [COUNT]      (default 5000 logins per run)
# Prints JSON lines and writes Benchmarks/login.md. Targets (issue 6): p50 <= 5 ms and
# >= 1,000 logins/s with EC P-384 on this 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-5000}"
PORT="${SLEUTEL_BENCH_PORT:-18181}"
WORK="$(mktemp -d /tmp/sleutel-bench-login.XXXXXX)"

source Tools/bench/release-server.sh

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
run() { echo "$*" >&2; "$@"; }
EC_INPROC="$(run "$DEV" bench-login --count "$COUNT" --concurrency 2 --ocsp --breakdown)"
RSA_INPROC="$(run "$DEV" bench-login --count "$COUNT" --concurrency 2 --ocsp --person specimen-1.7)"
# Distinct cards, each logging in once: nothing about a card is remembered yet (its certificate is parsed,
# its signature by the Citizen CA checked and its key judged). The test PKI's OCSP responder does not know
# these certificates, so this run checks no revocation.
CARDS="${SLEUTEL_BENCH_CARDS:-1000}"
Tools/bench/make-cards.sh "$CARDS" "$WORK/cards" >&2
FIRST_INPROC="$(run "$DEV" bench-login --count "$CARDS" --concurrency 2 --cards "$WORK/cards")"

bench_serve
EC_HTTP="$(run "$DEV" bench-login --count "$COUNT" --concurrency 4 --server "http://127.0.0.1:$PORT")"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

echo "$EC_INPROC"; echo "$RSA_INPROC"; echo "$FIRST_INPROC"; echo "$EC_HTTP"
{
    echo "# eID login benchmark"
    echo
    echo "Run by \`Tools/bench-login.sh $COUNT\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
    echo "load average before $LOAD_BEFORE, after $LOAD_AFTER. OpenSSL $(openssl version | cut -d' ' -f2)."
    echo
    echo "Each login: the card's signature over the challenge verified, the authentication certificate's"
    echo "path to the TEST root, the key-strength policy on the card key, OCSP through the real \`openssl ocsp\`"
    echo "responder (answer cached after the first login), the session written to SQLite (WAL, one write"
    echo "transaction that also spends the challenge), then the organisation choice through Rights."
    echo "The card's own signing is not timed (it happens on the card). Pure results are remembered in"
    echo "bounded caches: certificates parsed from their DER, verified certificate signatures and key-strength"
    echo "verdicts; so a returning card (the first two runs, one card: the issue's \"cached OCSP\" case) costs"
    echo "one P-384 signature check, and a card's first login (the third run: $CARDS distinct cards, each once,"
    echo "no revocation check) also pays its certificate's signature, parse and key judgement."
    echo
    echo '```'
    echo "in process, EC P-384 (specimen-1.8):  $EC_INPROC"
    echo "in process, RSA-2048 (specimen-1.7):  $RSA_INPROC"
    echo "in process, first login of each of $CARDS distinct EC P-384 cards (no OCSP):  $FIRST_INPROC"
    echo "over HTTP (loopback, 4 client threads on the same 2 cores), EC P-384:  $EC_HTTP"
    echo '```'
} > Benchmarks/login.md
echo "wrote Benchmarks/login.md"
