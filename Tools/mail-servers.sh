#!/usr/bin/env bash
# The delivery test servers on loopback: a real SMTP server (Debian's python3-aiosmtpd, Tools/mail/smtp-sink.py)
# that keeps every message as a file, and an HTTP sink (Tools/mail/http-sink.py) standing in for an SMS gateway.
# Source it for the mail_* functions, or run `Tools/mail-servers.sh start|stop|status`.
# Everything started here is recorded by PID under $MAIL_DIR and stopped by PID.
#
# Loopback endpoints (127.0.0.1):
#   8825  SMTP, no TLS, no AUTH                                       (SLEUTEL_SMTP_PORT)
#   8826  SMTP with STARTTLS (required before MAIL), AUTH after TLS   (SLEUTEL_SMTP_TLS_PORT)
#   8827  SMTPS, TLS from the first byte, AUTH                         (SLEUTEL_SMTPS_PORT)
#   8828  HTTP sink: records requests; /fail500, /status/NNN, /slow?seconds=N  (SLEUTEL_HTTP_SINK_PORT)
#   8829  nothing listens there: "server down"                         (SLEUTEL_MAIL_DOWN_PORT)
# Generated in $MAIL_DIR at start: tls/sink.crt + sink.key (self-signed, CN localhost, SAN 127.0.0.1;
# SLEUTEL_SMTP_CA_FILE), smtp-password (random AUTH password for user sleutel-test).
# Messages: $MAIL_DIR/messages/N.eml + N.json (SLEUTEL_MAIL_DIR); requests: $MAIL_DIR/http/N.json
# (SLEUTEL_HTTP_SINK_DIR). Both are emptied at each start. Logs: $MAIL_DIR/*.log.

MAIL_DIR="${MAIL_DIR:-/tmp/sleutel-mail}"
MAIL_ROOT="${MAIL_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
MAIL_SMTP_PORT=8825
MAIL_SMTP_TLS_PORT=8826
MAIL_SMTPS_PORT=8827
MAIL_HTTP_PORT=8828
MAIL_DOWN_PORT=8829
MAIL_PYTHON=/usr/bin/python3   # Debian's python, where python3-aiosmtpd is installed (not a pyenv shim)

mail_alive() {   # a dead but unreaped child still passes `kill -0`: read its state instead
    local st; st="$(sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -c1)"
    [ -n "$st" ] && [ "$st" != Z ]
}

mail_port_listening() {
    local hex; hex="$(printf ':%04X ' "$1")"
    local f files=()
    for f in /proc/net/tcp /proc/net/tcp6; do [ -r "$f" ] && files+=("$f"); done
    awk -v p="$hex" 'index($2 " ", p) && $4 == "0A" { found = 1 } END { exit !found }' "${files[@]}"
}

mail_spawn() {   # mail_spawn NAME CMD...  (background process, PID recorded in $MAIL_DIR/NAME.pid)
    local name="$1"; shift
    "$@" >"$MAIL_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$MAIL_DIR/$name.pid"
}

mail_make_cert() {   # self-signed server certificate for STARTTLS/SMTPS, once per $MAIL_DIR
    mkdir -p "$MAIL_DIR/tls"
    [ -s "$MAIL_DIR/tls/sink.crt" ] && [ -s "$MAIL_DIR/tls/sink.key" ] && return 0
    timeout 30 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -keyout "$MAIL_DIR/tls/sink.key" -out "$MAIL_DIR/tls/sink.crt" \
        -subj "/O=Sleutel TEST/CN=localhost" \
        -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -addext "basicConstraints=critical,CA:TRUE" >/dev/null 2>&1
}

mail_export() {
    export SLEUTEL_SMTP_PORT=$MAIL_SMTP_PORT
    export SLEUTEL_SMTP_TLS_PORT=$MAIL_SMTP_TLS_PORT
    export SLEUTEL_SMTPS_PORT=$MAIL_SMTPS_PORT
    export SLEUTEL_MAIL_DOWN_PORT=$MAIL_DOWN_PORT
    export SLEUTEL_SMTP_CA_FILE="$MAIL_DIR/tls/sink.crt"
    export SLEUTEL_SMTP_USER=sleutel-test
    SLEUTEL_SMTP_PASSWORD="$(cat "$MAIL_DIR/smtp-password")"; export SLEUTEL_SMTP_PASSWORD
    export SLEUTEL_MAIL_DIR="$MAIL_DIR/messages"
    export SLEUTEL_HTTP_SINK_PORT=$MAIL_HTTP_PORT
    export SLEUTEL_HTTP_SINK_DIR="$MAIL_DIR/http"
}

mail_running() {
    [ -f "$MAIL_DIR/smtp.pid" ] && mail_alive "$(cat "$MAIL_DIR/smtp.pid")" \
        && [ -f "$MAIL_DIR/http.pid" ] && mail_alive "$(cat "$MAIL_DIR/http.pid")"
}

mail_wait_ports() {   # mail_wait_ports PORT...: until each is in LISTEN state, up to 10 s
    local p
    for p in "$@"; do
        for _ in $(seq 200); do mail_port_listening "$p" && continue 2; sleep 0.05; done
        echo "mail: nothing answers on port $p; logs in $MAIL_DIR"; cat "$MAIL_DIR"/*.log 2>/dev/null | tail -n 20; return 1
    done
}

mail_start() {
    mkdir -p "$MAIL_DIR"
    if mail_running; then mail_export; return 0; fi
    mail_stop
    "$MAIL_PYTHON" -c 'import aiosmtpd' 2>/dev/null || { echo "mail: $MAIL_PYTHON lacks aiosmtpd (apt-get install python3-aiosmtpd; Tools/setup.sh does it)"; return 1; }
    local p
    for p in $MAIL_SMTP_PORT $MAIL_SMTP_TLS_PORT $MAIL_SMTPS_PORT $MAIL_HTTP_PORT $MAIL_DOWN_PORT; do
        if mail_port_listening "$p"; then echo "mail: port $p is already in use by something this script did not start"; return 1; fi
    done
    mail_make_cert || { echo "mail: could not generate the test certificate in $MAIL_DIR/tls"; return 1; }
    [ -s "$MAIL_DIR/smtp-password" ] || openssl rand -hex 12 >"$MAIL_DIR/smtp-password"
    rm -rf "$MAIL_DIR/messages" "$MAIL_DIR/http"
    mkdir -p "$MAIL_DIR/messages" "$MAIL_DIR/http"
    mail_spawn smtp "$MAIL_PYTHON" -u "$MAIL_ROOT/Tools/mail/smtp-sink.py" --dir "$MAIL_DIR/messages" \
        --cert "$MAIL_DIR/tls/sink.crt" --key "$MAIL_DIR/tls/sink.key" \
        --plain "$MAIL_SMTP_PORT" --starttls "$MAIL_SMTP_TLS_PORT" --smtps "$MAIL_SMTPS_PORT" \
        --user sleutel-test --password "$(cat "$MAIL_DIR/smtp-password")"
    mail_spawn http "$MAIL_PYTHON" -u "$MAIL_ROOT/Tools/mail/http-sink.py" --port "$MAIL_HTTP_PORT" --dir "$MAIL_DIR/http"
    mail_wait_ports $MAIL_SMTP_PORT $MAIL_SMTP_TLS_PORT $MAIL_SMTPS_PORT $MAIL_HTTP_PORT || { mail_stop; return 1; }
    mail_export
}

mail_kill_pidfile() {
    local f="$1" pid; [ -f "$f" ] || return 0; pid="$(cat "$f")"
    if [ -n "$pid" ] && mail_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do mail_alive "$pid" || break; sleep 0.1; done
        mail_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
    rm -f "$f"
}

mail_stop() {
    local f
    for f in "$MAIL_DIR"/*.pid; do [ -e "$f" ] && mail_kill_pidfile "$f"; done
    return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
        start) mail_start; echo "mail: SMTP on $MAIL_SMTP_PORT (plain), $MAIL_SMTP_TLS_PORT (STARTTLS), $MAIL_SMTPS_PORT (SMTPS), HTTP sink on $MAIL_HTTP_PORT; PIDs, logs and files in $MAIL_DIR" ;;
        stop) mail_stop; echo "mail: stopped" ;;
        status) for f in "$MAIL_DIR"/*.pid; do [ -e "$f" ] && echo "$(basename "$f" .pid): $(cat "$f") $(mail_alive "$(cat "$f")" && echo running || echo dead)"; done ;;
        env) mail_export; env | grep -E '^SLEUTEL_(SMTP|SMTPS|MAIL|HTTP_SINK)' | sed 's/^/export /' ;;
        *) echo "usage: $0 start|stop|status|env"; exit 2 ;;
    esac
fi
