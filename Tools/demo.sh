#!/usr/bin/env bash
# The main job: the Sleutel server with an embedded SQLite database, demo organisations and a
# virtual demo eID card in the real pcscd, plus the kiosk page. Runs until Ctrl-C, then stops
# everything it started.
#   Tools/demo.sh [PROFILE]        (default Hardware/cards/specimen-1.8.json, PIN 1234)
#   DEMO_ONESHOT=1 Tools/demo.sh   logs in once with the card and exits (a smoke test)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${1:-Hardware/cards/specimen-1.8.json}"
PORT="${SLEUTEL_PORT:-8080}"
KIOSK_PORT="${SLEUTEL_KIOSK_PORT:-8090}"
DATA="${SLEUTEL_DEMO_DIR:-/tmp/sleutel-demo}"

Tools/setup.sh
swift build --product sleutel 2>&1 | tail -n 3
BIN="$(swift build --show-bin-path)/sleutel"
mkdir -p "$DATA"

source Tools/rig.sh
source Tools/pki-responders.sh
# Stops what this script started, by PID: its card, server and kiosk, and pcscd and the OCSP
# responders only when they were not already running before (e.g. `Tools/rig.sh start`).
own_pcscd=1 own_pki=1
if [ -f "$RIG_DIR/pcscd.pid" ] && rig_alive "$(cat "$RIG_DIR/pcscd.pid")"; then own_pcscd=0; fi
if pki_running; then own_pki=0; fi
demo_stop() {
    local name
    for name in demo-kiosk demo-server demo-card; do rig_kill_pidfile "$RIG_DIR/$name.pid"; done
    if [ "$own_pcscd" = 1 ]; then rig_kill_pidfile "$RIG_DIR/pcscd.pid"; fi
    if [ "$own_pki" = 1 ]; then pki_stop; fi
}
trap demo_stop EXIT
rig_start_pcscd
pki_start >/dev/null   # the test PKI's OCSP responders: the demo checks revocation for real
rig_start_card demo-card "$BIN" virtual-card run --profile "$PROFILE" --port 35963
rig_start_card demo-server "$BIN" serve --port "$PORT" --database "$DATA/sleutel.sqlite" --demo --local-reader \
    --test --roots Hardware/test-pki/rsa/root.crt --roots Hardware/test-pki/ec/root.crt
rig_start_card demo-kiosk "$BIN" kiosk --server "http://127.0.0.1:$PORT" --port "$KIOSK_PORT" --reader "Virtual PCD 00 00" \
    --test-roots Hardware/test-pki
up=0
for _ in $(seq 300); do
    if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then up=1; break; fi
    rig_alive "$(cat "$RIG_DIR/demo-server.pid")" || break
    sleep 0.1
done
if [ "$up" != 1 ]; then echo "demo: the server did not come up; its log:"; tail -n 20 "$RIG_DIR/demo-server.log"; exit 1; fi
PIN="$(sed -n 's/.*"pin": *"\([0-9]*\)".*/\1/p' "$PROFILE" | head -n 1)"

cat <<INFO

Sleutel is running (test roots, demo data; database $DATA/sleutel.sqlite).
  API          http://127.0.0.1:$PORT/            OpenAPI: http://127.0.0.1:$PORT/openapi.json
  OIDC         http://127.0.0.1:$PORT/.well-known/openid-configuration   (client "demo-client")
  Kiosk page   http://127.0.0.1:$KIOSK_PORT/      (open in a browser; the demo card is inserted, PIN $PIN)

Log in from a terminal with the virtual card (PIN $PIN):
  $BIN login --server http://127.0.0.1:$PORT --reader "Virtual PCD 00 00" --print-token
then, with the printed token:
  curl -H "Authorization: Bearer TOKEN" http://127.0.0.1:$PORT/v1/session
  curl -H "Authorization: Bearer TOKEN" -d '{"application":"eloket"}' http://127.0.0.1:$PORT/v1/session/organisation
INFO

if [ "${DEMO_ONESHOT:-0}" = "1" ]; then
    # The card process connects to vpcd on its own time and pcscd notices it at its next poll:
    # wait on the reader's state (up to 20 s) rather than racing the insertion.
    echo "$PIN" | "$BIN" login --server "http://127.0.0.1:$PORT" --reader "Virtual PCD 00 00" --wait 20
    exit 0
fi
echo "Press Ctrl-C to stop."
while true; do sleep 3600; done
