#!/usr/bin/env bash
# Privacy check of the test suite's logs (issue 7): every national register number, PIN, code, seed
# and password the suite used must appear in no log. Tools/test.sh runs it after `swift test`.
#   Tools/privacy-check.sh                 scan the logs of the last Tools/test.sh run (below)
#   Tools/privacy-check.sh --self-test     plant secrets and decoys in a sample log; fail unless exactly the secrets are found
#   Tools/privacy-check.sh [--root R] [--secrets F] [--deliveries D] [--exclude P] PATH...   (Tools/privacy/privacy_check.py)
# Scanned: $SLEUTEL_LOG_DIR (logs kept by the tests: `sleutel serve`, kiosk, virtual cards, CLI
# stderr, crash test), $RIG_DIR/*.log (pcscd, cards, swift-test.log with the in-process logging),
# $PKI_DIR/*.log (OCSP/CRL responders), $MAIL_DIR/*.log (the sinks' own logs), and the one-shot demo's
# pcscd, card, server, kiosk and responders ($RIG_DIR/demo/*.log, $PKI_DIR/demo/*.log).
# Not scanned: the sinks' delivered messages ($MAIL_DIR/messages, $MAIL_DIR/http): they carry codes by
# design; their codes are added to the secrets instead. Secrets: card profiles, test PKI, test
# sources, and the manifest the tests append to ($SLEUTEL_SECRETS_FILE). Hits print file:line and the
# kind of secret, never the secret; the exit status is 1 on any hit.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if [[ $# -gt 0 ]]; then exec "$PY" Tools/privacy/privacy_check.py "$@"; fi

RIG_DIR="${RIG_DIR:-/tmp/sleutel-rig}"
PKI_DIR="${PKI_DIR:-/tmp/sleutel-pki}"
MAIL_DIR="${MAIL_DIR:-/tmp/sleutel-mail}"
LOG_DIR="${SLEUTEL_LOG_DIR:-$RIG_DIR/logs}"
SECRETS="${SLEUTEL_SECRETS_FILE:-$RIG_DIR/test-secrets.tsv}"
"$PY" Tools/privacy/privacy_check.py --self-test
exec "$PY" Tools/privacy/privacy_check.py --root "$PWD" --secrets "$SECRETS" \
    --deliveries "$MAIL_DIR/messages" --deliveries "$MAIL_DIR/http" \
    "$LOG_DIR" "$RIG_DIR/*.log" "$PKI_DIR/*.log" "$MAIL_DIR/*.log" "$RIG_DIR/demo/*.log" "$PKI_DIR/demo/*.log"
