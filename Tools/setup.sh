#!/usr/bin/env bash
# Installs the Debian packages Sleutel needs, when missing. Safe to re-run.
set -euo pipefail

PACKAGES=(pcscd libccid libpcsclite-dev vsmartcard-vpcd pcsc-tools opensc libssl-dev libsqlite3-dev libcurl4-openssl-dev libgmp-dev pkg-config)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH (Swift 6.1 or newer is needed)"; exit 1; }
