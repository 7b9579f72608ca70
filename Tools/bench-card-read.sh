#!/usr/bin/env bash
# Benchmark of a full eID read through pcscd + vpcd with our virtual card:
#  1. in-process: APDUs per read, time per read, and the ratio to (APDUs × single-APDU round trip);
#  2. side by side with OpenSC: whole processes reading the certificates of the same card
#     (`pkcs15-tool --list-certificates` vs `sleutel card read`), timed with hyperfine.
# Results go to stdout and Benchmarks/results/card-read-<date>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${1:-Hardware/cards/specimen-1.7.json}"
RUNS="${RUNS:-30}"

Tools/setup.sh
command -v hyperfine >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null; }
swift build -c release --product sleutel 2>&1 | tail -n 2
swift build -c release --product sleutel-dev 2>&1 | tail -n 2
BIN="$(swift build -c release --show-bin-path)/sleutel"
DEV="$(swift build -c release --show-bin-path)/sleutel-dev"

source Tools/rig.sh
trap rig_stop EXIT
rig_start_pcscd
rig_start_card bench-card "$BIN" virtual-card run --profile "$PROFILE" --port 35963
for _ in $(seq 50); do "$BIN" card readers 2>/dev/null | grep -q "00 00: card present" && break; sleep 0.1; done

mkdir -p Benchmarks/results
OUT="Benchmarks/results/card-read-$(date -u +%Y%m%d-%H%M%S).txt"
{
    echo "# card read benchmark, profile $PROFILE, $(date -u), $(nproc) cores"
    echo "## in-process (release build)"
    "$DEV" bench-card --reader "Virtual PCD 00 00" --iterations 200
    "$DEV" bench-card --reader "Virtual PCD 00 00" --iterations 200 --certificates-only
    echo "## whole processes, same card (hyperfine, $RUNS runs)"
    hyperfine --warmup 3 --runs "$RUNS" -N --export-markdown /dev/stdout \
        "pkcs15-tool --reader 0 --list-certificates" \
        "$BIN card read --reader 'Virtual PCD 00 00' --json --test-roots Hardware/test-pki" 2>/dev/null
} | tee "$OUT"
echo "saved $OUT"
