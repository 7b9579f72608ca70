#!/usr/bin/env bash
# The main job for now: starts pcscd with the vpcd driver, inserts a virtual demo eID card,
# reads it back through PC/SC with `sleutel card read`, then stops everything it started.
#   Tools/demo.sh [PROFILE]      (default Hardware/cards/specimen-1.7.json)
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE="${1:-Hardware/cards/specimen-1.7.json}"

Tools/setup.sh
swift build --product sleutel 2>&1 | tail -n 3
BIN="$(swift build --show-bin-path)/sleutel"

source Tools/rig.sh
trap rig_stop EXIT
rig_start_pcscd
rig_start_card demo-card "$BIN" virtual-card run --profile "$PROFILE" --port 35963
"$BIN" card readers >/dev/null 2>&1 || true
# pcscd notices a new card within one poll (≤ 0.4 s).
for _ in $(seq 50); do
    "$BIN" card readers 2>/dev/null | grep -q "Virtual PCD 00 00: card present" && break
    sleep 0.1
done
"$BIN" card readers
echo
"$BIN" card read --reader "Virtual PCD 00 00" ${DEMO_JSON:+--json}
