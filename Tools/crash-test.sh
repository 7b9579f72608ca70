#!/usr/bin/env bash
# Crash safety of `sleutel serve` (issue 7): rounds of concurrent writes (eID logins, organisation
# choices, logouts, TOTP enrolments/confirmations/disables, rights grants through `sleutel rights
# grant`), kill -9 at a random moment, PRAGMA integrity_check + foreign_key_check, restart on the same
# SQLite file and a check of every acknowledged write. No card rig, no lock needed (free loopback port).
#   Tools/crash-test.sh [ROUNDS] [sleutel-dev crash-test options, e.g. --workers 4 --max-seconds 10 --seed N]
# Default 20 rounds. Prints one JSON line per round and a summary; exits 1 on any lost write or
# integrity problem. Logs (server stderr per round, grant errors) stay in $SLEUTEL_LOG_DIR or
# /tmp/sleutel-crash-logs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-20}"
[[ $# -gt 0 ]] && shift
swift build --product sleutel 2>&1 | tail -n 1
swift build --product sleutel-dev 2>&1 | tail -n 1
BIN="$(swift build --show-bin-path)/sleutel-dev"
LOGS="${SLEUTEL_LOG_DIR:-/tmp/sleutel-crash-logs}/crash-test-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$LOGS"
"$BIN" crash-test --rounds "$ROUNDS" --log-dir "$LOGS" --pki Hardware/test-pki "$@"
