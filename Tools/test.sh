#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, starts pcscd with the vpcd driver, the test
# PKI's OCSP/CRL servers and the delivery sinks (SMTP + HTTP, Tools/mail-servers.sh), runs `swift test`
# (unit, integration through the real pcscd, OpenSC interop, e-mail/SMS delivery) and stops
# everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

Tools/setup.sh
source Tools/rig.sh
source Tools/pki-responders.sh
source Tools/mail-servers.sh
trap 'rig_stop; pki_stop; mail_stop' EXIT

swift build --build-tests 2>&1 | tail -n 5
rig_start_pcscd
pki_start   # real openssl ocsp responders + CRL server for the test PKI (ports in Tools/pki-responders.sh)
export SLEUTEL_PKI_RESPONDERS=1
mail_start  # SMTP sink (plain/STARTTLS/SMTPS) + HTTP sink; exports SLEUTEL_SMTP_*, SLEUTEL_MAIL_DIR, SLEUTEL_HTTP_SINK_*
export SLEUTEL_RIG=1
export SLEUTEL_ROOT="$ROOT"
export SLEUTEL_BIN="$(swift build --show-bin-path)/sleutel"
swift test --skip-build --no-parallel 2>&1 | tee "$RIG_DIR/swift-test.log"
status=${PIPESTATUS[0]}
exit "$status"
