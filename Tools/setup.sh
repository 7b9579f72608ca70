#!/usr/bin/env bash
# Installs the Debian packages Sleutel needs, when missing. Safe to re-run.
set -euo pipefail

PACKAGES=(pcscd libccid libpcsclite-dev vsmartcard-vpcd pcsc-tools opensc libssl-dev libsqlite3-dev libcurl4-openssl-dev libgmp-dev pkg-config curl
          libqrencode-dev zlib1g-dev         # QR codes of TOTP enrolment (PNG deflate and CRC-32 through zlib)
          oathtool zbar-tools                # independent TOTP generator and QR decoder of the OneTimeCodes tests
          python3 python3-aiosmtpd           # the loopback SMTP server of the delivery tests
          python3-jwt python3-cryptography   # an independent JOSE library that checks our ID tokens
          chromium                           # headless, renders the kiosk page in the tests
          chromium-driver                    # WebDriver for the relying-party browser test (Selenium)
          nginx-light                        # a real reverse proxy in front of serve (trusted-proxy tests)
          python3-venv)                      # for the PyPI tools below

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

# PyPI tools the tests run, in a venv inside the checkout (.build-tools is not tracked).
TOOLS_VENV="$(cd "$(dirname "$0")/.." && pwd)/.build-tools/venv"
# schemathesis fuzzes the OpenAPI document; Authlib (an OIDC client library) with Selenium and
# requests is the independent relying party of the browser login test (Tools/oidc-rp).
PYPI_PINS=("schemathesis==4.32.5" "Authlib==1.9.10" "selenium==4.51.0" "requests==2.34.2")
if ! "$TOOLS_VENV/bin/python" -c 'import schemathesis, authlib, selenium, requests' 2>/dev/null; then
    echo "setup: installing ${PYPI_PINS[*]} into $TOOLS_VENV"
    [ -x "$TOOLS_VENV/bin/pip" ] || /usr/bin/python3 -m venv "$TOOLS_VENV"
    "$TOOLS_VENV/bin/pip" install -q --disable-pip-version-check "${PYPI_PINS[@]}"
fi
