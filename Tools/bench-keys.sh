#!/usr/bin/env bash
# Key-strength benchmark: sleutel vs badkeys on one generated corpus, then batch GCD of 100k moduli.
# Usage: Tools/bench-keys.sh [COUNT=2000] [GCD_COUNT=100000]
# Writes the figures to Benchmarks/keys.md. Needs python3-venv and pip access to PyPI; libgmp10 for fast batch GCD.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${1:-2000}
GCD_COUNT=${2:-100000}
VENV=/tmp/sleutel-badkeys-venv
WORK=$(mktemp -d /tmp/sleutel-keybench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

if [ ! -x "$VENV/bin/badkeys" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q badkeys
fi
[ -e /usr/lib/x86_64-linux-gnu/libgmp.so.10 ] || { apt-get install -y -q libgmp10 >/dev/null 2>&1 || true; }

swift build -c release --scratch-path .build-keys --product sleutel >/dev/null
SLEUTEL=.build-keys/release/sleutel

echo "generating $COUNT public keys…"
"$VENV/bin/python" Tools/keys/gen_corpus.py "$WORK/corpus" "$COUNT"
FILES=("$WORK"/corpus/*.pem)

now() { date +%s.%N; }
CHECKS=fermat,roca,smallfactors,smalld,rsainvalid
t0=$(now); "$VENV/bin/badkeys" -c "$CHECKS" -j -a "${FILES[@]}" > "$WORK/badkeys.jsonl" || true; t1=$(now)
"$SLEUTEL" keys check --json "${FILES[@]}" > "$WORK/sleutel.jsonl" || true; t2=$(now)
"$SLEUTEL" keys check --json --fast "${FILES[@]}" > /dev/null || true; t3=$(now)
"$SLEUTEL" keys check --json --fast --threads 1 "${FILES[@]}" > /dev/null || true; t4=$(now)

BK=$(echo "$t1 - $t0" | bc -l); SL=$(echo "$t2 - $t1" | bc -l); SF=$(echo "$t3 - $t2" | bc -l); S1=$(echo "$t4 - $t3" | bc -l)
COMPARE=$("$VENV/bin/python" Tools/keys/compare.py "$WORK/badkeys.jsonl" "$WORK/sleutel.jsonl")
echo "$COMPARE"
printf 'badkeys %.2f s; sleutel %.2f s (all checks), %.2f s (--fast), %.2f s (--fast, 1 thread)\n' "$BK" "$SL" "$SF" "$S1"

echo "batch GCD over $GCD_COUNT moduli…"
GCD=$("$SLEUTEL" keys bench-gcd --count "$GCD_COUNT")
echo "$GCD"

{
    echo "# Key-strength benchmark"
    echo
    echo "Run by \`Tools/bench-keys.sh $COUNT $GCD_COUNT\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load average at start $(cut -d' ' -f1-3 /proc/loadavg)."
    echo "badkeys $("$VENV/bin/badkeys" --version) with \`-c $CHECKS\`; corpus of $COUNT SPKI PEM files from \`Tools/keys/gen_corpus.py\`"
    echo "(mostly RSA-2048, some RSA-3072, P-256/P-384/Ed25519/secp256k1/brainpool, and weak RSA: 1024-bit, close primes,"
    echo "small factor, ROCA-structured, e=3, e=1, even modulus, small d)."
    echo
    echo "## Throughput (same corpus, same run)"
    echo
    echo "| tool | wall time | keys/s | ratio to badkeys |"
    echo "|---|---|---|---|"
    for row in "badkeys|$BK" "sleutel keys check (all checks, 2 threads)|$SL" "sleutel keys check --fast (2 threads)|$SF" "sleutel keys check --fast (1 thread)|$S1"; do
        name=${row%%|*}; t=${row##*|}
        printf '| %s | %.2f s | %.0f | %.1f× |\n' "$name" "$t" "$(echo "$COUNT / $t" | bc -l)" "$(echo "$BK / $t" | bc -l)"
    done
    echo
    echo "\`--fast\` skips only \`rsa.modulus.prime\` (one full-size modular exponentiation per RSA key), a check badkeys does not have."
    echo
    echo "## Verdict agreement on the checks both tools have"
    echo
    echo "$COMPARE"
    echo
    echo "## Batch GCD"
    echo
    echo '```'
    echo "$GCD"
    echo '```'
    echo
    echo "Bulk moduli are random odd 2048-bit numbers (the cost does not depend on primality), so they share small"
    echo "and medium primes among themselves: those are the incidental hits. The planted leaves are products of real"
    echo "1024-bit primes, each prime used by two moduli; all must be found."
} > Benchmarks/keys.md
echo "wrote Benchmarks/keys.md"
