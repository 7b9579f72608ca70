#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, lints (Tools/lint.sh), starts pcscd with the vpcd driver, the test
# PKI's OCSP/CRL servers and the delivery sinks (SMTP + HTTP, Tools/mail-servers.sh), runs `swift test`
# (unit, integration through the real pcscd, OpenSC interop, e-mail/SMS delivery), then a fuzz
# smoke run of every libFuzzer target (Tools/fuzz.sh --smoke), then the privacy check of every log
# the run produced (Tools/privacy-check.sh), and stops everything it started. Between the tests and the
# fuzz smoke it runs the demo's one-shot login (DEMO_ONESHOT=1 Tools/demo.sh) on a rig of its own.
# Exits non-zero when the tests, the fuzz smoke or the privacy check fail.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

Tools/setup.sh
Tools/lint.sh   # swift-format rules and 160 columns (.swift-format); a finding stops the run here, in seconds
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
# Logs of the processes the tests start (serve, kiosk, virtual cards, CLI stderr, crash test) are
# kept here, and the secrets the tests use are listed in the manifest, for Tools/privacy-check.sh.
export SLEUTEL_LOG_DIR="$RIG_DIR/logs"
export SLEUTEL_SECRETS_FILE="$RIG_DIR/test-secrets.tsv"
rm -rf "$SLEUTEL_LOG_DIR"; mkdir -p "$SLEUTEL_LOG_DIR"
(umask 077; : >"$SLEUTEL_SECRETS_FILE")
printf 'password\t%s\n' "${SLEUTEL_SMTP_PASSWORD:-}" >>"$SLEUTEL_SECRETS_FILE"   # the sinks' SMTP AUTH password
set +e
swift test --skip-build --no-parallel 2>&1 | tee "$RIG_DIR/swift-test.log"
status=${PIPESTATUS[0]}
set -e

# The demo's one-shot login (README "Two commands"), as on a fresh machine: its own pcscd, card,
# server, kiosk and OCSP responders, a new database, everything stopped again. The tests' pcscd and
# responders are stopped first (the demo uses the same vpcd and OCSP ports); its logs stay apart
# ($RIG_DIR/demo, $PKI_DIR/demo) and go through the privacy check below.
echo "== one-shot demo (DEMO_ONESHOT=1 Tools/demo.sh)"
rig_stop; pki_stop
rm -rf "$RIG_DIR/demo" "$PKI_DIR/demo"
demo_status=0
SLEUTEL_DEMO_DIR="$RIG_DIR/demo/data" DEMO_ONESHOT=1 RIG_DIR="$RIG_DIR/demo" PKI_DIR="$PKI_DIR/demo" Tools/demo.sh \
    >"$RIG_DIR/demo-output.txt" 2>&1 || demo_status=$?
grep -E "^logged in:|^demo:|^rig:|^pki:|Error|error" "$RIG_DIR/demo-output.txt" || true
if ((demo_status != 0)); then echo "one-shot demo FAILED (exit $demo_status); output in $RIG_DIR/demo-output.txt"; fi
if [ -S /run/pcscd/pcscd.comm ]; then echo "one-shot demo left a pcscd running"; demo_status=1; fi

# Fuzz smoke: every libFuzzer target (Tools/fuzz.sh) for a short while, after a sanitizer build
# into .build-fuzz. SLEUTEL_FUZZ_SMOKE=0 skips it; SLEUTEL_FUZZ_SECONDS sets the time per target.
fuzz_status=0
if [[ "${SLEUTEL_FUZZ_SMOKE:-1}" != 0 ]]; then
    echo "== fuzz smoke (${SLEUTEL_FUZZ_SECONDS:-10} s per target; SLEUTEL_FUZZ_SMOKE=0 skips it)"
    Tools/fuzz.sh --smoke --time "${SLEUTEL_FUZZ_SECONDS:-10}" || fuzz_status=$?
else
    echo "== fuzz smoke skipped (SLEUTEL_FUZZ_SMOKE=0)"
fi
# Privacy check: no national register number, PIN, code, seed or password in any log of this run.
echo "== privacy check of the logs (Tools/privacy-check.sh)"
privacy_status=0
Tools/privacy-check.sh || privacy_status=$?
# End with the test runner's own summary, then the combined status (tests, then fuzz, then privacy).
grep -E "Test run with [0-9]+ test|Executed [0-9]+ test" "$RIG_DIR/swift-test.log" | tail -n 2 || true
((status != 0)) && exit "$status"
((demo_status != 0)) && exit "$demo_status"
((fuzz_status != 0)) && exit "$fuzz_status"
exit "$privacy_status"
