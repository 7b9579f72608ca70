#!/usr/bin/env bash
# The virtual card rig: pcscd in the foreground with the vpcd driver, and virtual cards.
# Source it for the rig_* functions, or run `Tools/rig.sh start|stop|status`.
# Everything started here is recorded by PID under $RIG_DIR and stopped by PID.

RIG_DIR="${RIG_DIR:-/tmp/sleutel-rig}"
RIG_PCSCD_LEVEL="${RIG_PCSCD_LEVEL:---info}"

rig_alive() {   # a dead but unreaped child still passes `kill -0`: read its state instead
    local st; st="$(sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -c1)"
    [ -n "$st" ] && [ "$st" != Z ]
}

rig_stop_foreign_pcscd() {   # e.g. one started by a package's postinst
    local pid; pid="$(tr -cd '0-9' 2>/dev/null </run/pcscd/pcscd.pid || true)"
    if [ -n "$pid" ] && rig_alive "$pid"; then
        echo "rig: stopping a pcscd (pid $pid) that this rig did not start"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 100); do rig_alive "$pid" || break; sleep 0.1; done
    fi
}

rig_start_pcscd() {
    mkdir -p "$RIG_DIR"
    if [ -f "$RIG_DIR/pcscd.pid" ] && rig_alive "$(cat "$RIG_DIR/pcscd.pid")"; then return 0; fi
    rig_stop_foreign_pcscd
    /usr/sbin/pcscd --foreground "$RIG_PCSCD_LEVEL" >"$RIG_DIR/pcscd.log" 2>&1 </dev/null &
    echo $! >"$RIG_DIR/pcscd.pid"
    for _ in $(seq 200); do
        [ -S /run/pcscd/pcscd.comm ] && return 0
        rig_alive "$(cat "$RIG_DIR/pcscd.pid")" || break
        sleep 0.05
    done
    echo "rig: pcscd did not come up"; cat "$RIG_DIR/pcscd.log"; return 1
}

rig_restart_pcscd() {   # fault injection: stop pcscd (cards see EOF) and start a fresh one
    mkdir -p "$RIG_DIR"
    if [ -f "$RIG_DIR/pcscd.pid" ]; then
        rig_kill_pidfile "$RIG_DIR/pcscd.pid"
    else
        rig_stop_foreign_pcscd
    fi
    for _ in $(seq 100); do [ -e /run/pcscd/pcscd.comm ] || break; sleep 0.05; done
    echo "rig: pcscd restart at $(date -u +%H:%M:%S.%N)" >>"$RIG_DIR/pcscd.log"
    /usr/sbin/pcscd --foreground "$RIG_PCSCD_LEVEL" >>"$RIG_DIR/pcscd.log" 2>&1 </dev/null &
    echo $! >"$RIG_DIR/pcscd.pid"
    for _ in $(seq 200); do
        [ -S /run/pcscd/pcscd.comm ] && return 0
        rig_alive "$(cat "$RIG_DIR/pcscd.pid")" || break
        sleep 0.05
    done
    echo "rig: pcscd did not come back"; tail -n 20 "$RIG_DIR/pcscd.log"; return 1
}

rig_start_card() {   # rig_start_card NAME CMD...  (a card process in the background)
    local name="$1"; shift
    mkdir -p "$RIG_DIR"
    "$@" >"$RIG_DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$RIG_DIR/$name.pid"
}

rig_kill_pidfile() {
    local f="$1" pid; [ -f "$f" ] || return 0; pid="$(cat "$f")"
    if rig_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 50); do rig_alive "$pid" || break; sleep 0.1; done
        rig_alive "$pid" && kill -KILL "$pid" 2>/dev/null
    fi
    wait "$pid" 2>/dev/null || true
    rm -f "$f"
}

rig_stop() {   # cards first, then pcscd
    local f
    for f in "$RIG_DIR"/*.pid; do
        [ -e "$f" ] && [ "$(basename "$f")" != pcscd.pid ] && rig_kill_pidfile "$f"
    done
    rig_kill_pidfile "$RIG_DIR/pcscd.pid"
    return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
        start) rig_start_pcscd; echo "rig: pcscd running (pid $(cat "$RIG_DIR/pcscd.pid")), log $RIG_DIR/pcscd.log" ;;
        stop) rig_stop; echo "rig: stopped" ;;
        restart-pcscd) rig_restart_pcscd; echo "rig: pcscd restarted (pid $(cat "$RIG_DIR/pcscd.pid"))" ;;
        status) for f in "$RIG_DIR"/*.pid; do [ -e "$f" ] && echo "$(basename "$f" .pid): $(cat "$f") $(rig_alive "$(cat "$f")" && echo running || echo dead)"; done ;;
        *) echo "usage: $0 start|stop|restart-pcscd|status"; exit 2 ;;
    esac
fi
