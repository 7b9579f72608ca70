#!/usr/bin/env bash
# Real OCSP responders and a CRL/CA-certificate file server for the test PKI (Hardware/test-pki).
# Source it for the pki_* functions, or run `Tools/pki-responders.sh start|stop|status`.
# Everything started here is recorded by PID under $PKI_DIR and stopped by PID.
# Nothing under Hardware/test-pki is written: throw-away keys and certificates live in $PKI_DIR.
#
# Loopback endpoints (fixed, as in the certificates' AIA/CDP; see Hardware/test-pki/README.md):
#   8888  OCSP, RSA tree: /root /citizen-ca /foreigner-ca      (PKI_OCSP_RSA_PORT)
#   8889  OCSP, EC tree:  /root /citizen-ca /foreigner-ca      (PKI_OCSP_EC_PORT)
#   8890  static files from Hardware/test-pki: /crl/<tree>-<ca>.crl, /<tree>/<ca>.der (PKI_FILES_PORT)
# Test scenarios, each /citizen-ca of the RSA tree (same index as the real responder):
#   8891  signed by a throw-away self-signed responder, not issued by the CA  (PKI_OCSP_ROGUE_PORT)
#   8892  signed by a responder certificate issued by the CA WITHOUT id-kp-OCSPSigning (PKI_OCSP_NOEKU_PORT)
#   8893  stale: nextUpdate = thisUpdate + 1 minute (openssl ocsp -nmin 1)   (PKI_OCSP_STALE_PORT)
#   8894  signed by the Citizen CA itself (no delegated responder)           (PKI_OCSP_CASIGNED_PORT)
#   8899  nothing listens there: "responder down"                            (PKI_OCSP_DOWN_PORT)
# The openssl ocsp processes listen on internal ports 18881-18889 and 18894 behind a path-routing
# proxy (Tools/pki/ocsp-proxy.py); openssl ocsp serves one CA per process and binds all interfaces.
# Talk to the internal ports only with complete requests (see pki_port_listening).
# Generated in $PKI_DIR at start:
#   rogue-responder.crt/.key  noeku-responder.crt/.key
#   unknown-auth.crt/.key     leaf issued by the RSA Citizen CA with serial 7E02, which is in no
#                             index: the responder answers "unknown" (and no CRL lists it)
# Logs: $PKI_DIR/*.log (proxy.log has one line per OCSP request).

PKI_DIR="${PKI_DIR:-/tmp/sleutel-pki}"
PKI_ROOT="${PKI_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
PKI_SRC="$PKI_ROOT/Hardware/test-pki"
PKI_OCSP_RSA_PORT=8888
PKI_OCSP_EC_PORT=8889
PKI_FILES_PORT=8890
PKI_OCSP_ROGUE_PORT=8891
PKI_OCSP_NOEKU_PORT=8892
PKI_OCSP_STALE_PORT=8893
PKI_OCSP_CASIGNED_PORT=8894
PKI_OCSP_DOWN_PORT=8899
export SLEUTEL_PKI_DIR="$PKI_DIR"

pki_alive() {   # a dead but unreaped child still passes `kill -0`: read its state instead
    local st; st="$(sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -c1)"
    [ -n "$st" ] && [ "$st" != Z ]
}


# Listening without connecting: OpenSSL 3.0's `openssl ocsp -port` spins at 100 % CPU forever after
# a client connects and closes without sending a request, so its ports are never probed by connecting.
pki_port_listening() {
    local hex; hex="$(printf ':%04X ' "$1")"
    local f files=()
    for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files+=("$f"); done
    awk -v p="$hex" 'index($2 " ", p) && $4 == "0A" { found = 1 } END { exit !found }' "${files[@]}"
}

pki_spawn() {   # pki_spawn NAME CMD...  (background process, PID recorded in $PKI_DIR/NAME.pid)
    local name="$1"; shift
    "$@" >"$PKI_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$PKI_DIR/$name.pid"
}

pki_make_files() {   # throw-away responder certificates and the "unknown" leaf, once per $PKI_DIR
    local ca="$PKI_SRC/rsa/citizen-ca"
    [ -s "$PKI_DIR/unknown-auth.crt" ] && [ -s "$PKI_DIR/noeku-responder.crt" ] && [ -s "$PKI_DIR/rogue-responder.crt" ] && return 0
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI_DIR/rogue-responder.key" -out "$PKI_DIR/rogue-responder.crt" \
        -days 3650 -subj "/C=BE/O=Sleutel TEST/CN=Sleutel TEST rogue OCSP responder" \
        -addext "extendedKeyUsage=critical,OCSPSigning" >/dev/null 2>&1 || return 1
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n' >"$PKI_DIR/noeku.ext"
    openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI_DIR/noeku-responder.key" -out "$PKI_DIR/noeku-responder.csr" \
        -subj "/C=BE/O=Sleutel TEST/CN=Sleutel TEST responder without OCSPSigning" >/dev/null 2>&1 || return 1
    openssl x509 -req -in "$PKI_DIR/noeku-responder.csr" -CA "$ca.crt" -CAkey "$ca.key" -set_serial 0x7E01 \
        -days 3650 -sha256 -extfile "$PKI_DIR/noeku.ext" -out "$PKI_DIR/noeku-responder.crt" >/dev/null 2>&1 || return 1
    printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:%s/citizen-ca\ncrlDistributionPoints=URI:http://127.0.0.1:%s/crl/rsa-citizen-ca.crl\n' \
        "$PKI_OCSP_RSA_PORT" "$PKI_FILES_PORT" >"$PKI_DIR/unknown.ext"
    openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI_DIR/unknown-auth.key" -out "$PKI_DIR/unknown-auth.csr" \
        -subj "/C=BE/CN=Nobody Specimen (Authentication)/SN=Specimen/GN=Nobody" >/dev/null 2>&1 || return 1
    openssl x509 -req -in "$PKI_DIR/unknown-auth.csr" -CA "$ca.crt" -CAkey "$ca.key" -set_serial 0x7E02 \
        -days 3650 -sha256 -extfile "$PKI_DIR/unknown.ext" -out "$PKI_DIR/unknown-auth.crt" >/dev/null 2>&1 || return 1
    rm -f "$PKI_DIR"/*.csr "$PKI_DIR"/*.ext
}

pki_ocsp() {   # pki_ocsp NAME PORT TREE CA SIGNER_CRT SIGNER_KEY [extra openssl ocsp args]
    local name="$1" port="$2" tree="$3" ca="$4" rcrt="$5" rkey="$6"; shift 6
    pki_spawn "$name" openssl ocsp -port "$port" -timeout 5 -ignore_err -index "$PKI_SRC/$tree/db/$ca.index.txt" \
        -CA "$PKI_SRC/$tree/$ca.crt" -rsigner "$rcrt" -rkey "$rkey" "$@"
}

pki_wait_ports() {   # pki_wait_ports PORT...: until each is in LISTEN state, up to 10 s
    local p
    for p in "$@"; do
        for _ in $(seq 200); do pki_port_listening "$p" && continue 2; sleep 0.05; done
        echo "pki: nothing answers on port $p; logs in $PKI_DIR"; return 1
    done
}

pki_running() { [ -f "$PKI_DIR/proxy.pid" ] && pki_alive "$(cat "$PKI_DIR/proxy.pid")"; }

pki_start() {
    mkdir -p "$PKI_DIR"
    if pki_running; then return 0; fi
    pki_stop
    local p
    for p in $PKI_OCSP_RSA_PORT $PKI_OCSP_EC_PORT $PKI_FILES_PORT $PKI_OCSP_ROGUE_PORT $PKI_OCSP_NOEKU_PORT \
        $PKI_OCSP_STALE_PORT $PKI_OCSP_CASIGNED_PORT $PKI_OCSP_DOWN_PORT; do
        if pki_port_listening "$p"; then echo "pki: port $p is already in use by something this script did not start"; return 1; fi
    done
    pki_make_files || { echo "pki: could not generate the throw-away certificates in $PKI_DIR"; return 1; }
    local tree ca i=1 rsa_routes="" ec_routes="" base
    for tree in rsa ec; do
        for ca in root citizen-ca foreigner-ca; do
            base=$((18880 + i)); i=$((i + 1))
            pki_ocsp "ocsp-$tree-$ca" "$base" "$tree" "$ca" "$PKI_SRC/$tree/ocsp-$ca.crt" "$PKI_SRC/$tree/ocsp-$ca.key" -ndays 1
            if [ "$tree" = rsa ]; then rsa_routes+="${rsa_routes:+,}/$ca=$base"; else ec_routes+="${ec_routes:+,}/$ca=$base"; fi
        done
    done
    local rsa="$PKI_SRC/rsa"
    pki_ocsp ocsp-rogue 18887 rsa citizen-ca "$PKI_DIR/rogue-responder.crt" "$PKI_DIR/rogue-responder.key" -ndays 1
    pki_ocsp ocsp-noeku 18888 rsa citizen-ca "$PKI_DIR/noeku-responder.crt" "$PKI_DIR/noeku-responder.key" -ndays 1
    pki_ocsp ocsp-stale 18889 rsa citizen-ca "$rsa/ocsp-citizen-ca.crt" "$rsa/ocsp-citizen-ca.key" -nmin 1
    pki_ocsp ocsp-casigned 18894 rsa citizen-ca "$rsa/citizen-ca.crt" "$rsa/citizen-ca.key" -ndays 1
    pki_spawn proxy python3 -u "$PKI_ROOT/Tools/pki/ocsp-proxy.py" \
        "$PKI_OCSP_RSA_PORT:$rsa_routes" "$PKI_OCSP_EC_PORT:$ec_routes" \
        "$PKI_OCSP_ROGUE_PORT:/citizen-ca=18887" "$PKI_OCSP_NOEKU_PORT:/citizen-ca=18888" \
        "$PKI_OCSP_STALE_PORT:/citizen-ca=18889" "$PKI_OCSP_CASIGNED_PORT:/citizen-ca=18894"
    pki_spawn files python3 -m http.server --bind 127.0.0.1 "$PKI_FILES_PORT" --directory "$PKI_SRC"
    pki_wait_ports 18881 18882 18883 18884 18885 18886 18887 18888 18889 18894 \
        $PKI_OCSP_RSA_PORT $PKI_OCSP_EC_PORT $PKI_FILES_PORT $PKI_OCSP_ROGUE_PORT $PKI_OCSP_NOEKU_PORT \
        $PKI_OCSP_STALE_PORT $PKI_OCSP_CASIGNED_PORT || { pki_stop; return 1; }
}

pki_kill_pidfile() {
    local f="$1" pid; [ -f "$f" ] || return 0; pid="$(cat "$f")"
    if [ -n "$pid" ] && pki_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do pki_alive "$pid" || break; sleep 0.1; done
        pki_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
    rm -f "$f"
}

pki_stop() {
    local f
    for f in "$PKI_DIR"/*.pid; do [ -e "$f" ] && pki_kill_pidfile "$f"; done
    return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
        start) pki_start; echo "pki: OCSP responders on $PKI_OCSP_RSA_PORT (RSA), $PKI_OCSP_EC_PORT (EC), scenarios on 8891-8894, files on $PKI_FILES_PORT; PIDs and logs in $PKI_DIR" ;;
        stop) pki_stop; echo "pki: stopped" ;;
        status) for f in "$PKI_DIR"/*.pid; do [ -e "$f" ] && echo "$(basename "$f" .pid): $(cat "$f") $(pki_alive "$(cat "$f")" && echo running || echo dead)"; done ;;
        *) echo "usage: $0 start|stop|status"; exit 2 ;;
    esac
fi
