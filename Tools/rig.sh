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

# Keeps the kernel from handing out the vpcd ports as ephemeral ports of unrelated loopback
# connections (a busy test machine does that, and the connection's TIME-WAIT then blocks vpcd's
# bind for a minute). Needs root; without it, rig_launch_pcscd's retries are the fallback.
rig_reserve_vpcd_ports() {
    local f=/proc/sys/net/ipv4/ip_local_reserved_ports cur
    [ -w "$f" ] || return 0
    cur="$(cat "$f" 2>/dev/null)"
    [[ ",$cur," == *",35963-35964,"* ]] && return 0
    echo "${cur:+$cur,}35963-35964" >"$f" 2>/dev/null || true
}

# Launches pcscd in the background (log appended to $RIG_DIR/pcscd.log, PID in pcscd.pid) and
# waits until it serves its socket with both vpcd readers. vpcd cannot bind its port while some
# other socket holds it (e.g. a connection in TIME-WAIT that had 35963/35964 as its ephemeral
# port): pcscd then starts without readers. That start is retried for up to ~70 s (TIME-WAIT is 60 s).
rig_launch_pcscd() {
    local try size new
    rig_reserve_vpcd_ports
    for try in $(seq 35); do
        size=$(stat -c %s "$RIG_DIR/pcscd.log" 2>/dev/null || echo 0)
        # Close every inherited descriptor but 0-2: the caller may be a test whose process library
        # watches a descriptor (or pipe) for its child's exit, which a long-lived pcscd would keep open.
        # (perl is part of every Debian system: perl-base is essential.)
        (
            for fd in /proc/$BASHPID/fd/*; do
                fd="${fd##*/}"
                [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
            done
            # A caller's thread may block signals (libdispatch workers do), and a blocked mask is
            # inherited through exec: pcscd would then never see SIGTERM. Start it unblocked.
            exec perl -MPOSIX -e 'sigprocmask(SIG_SETMASK, POSIX::SigSet->new) or die "sigprocmask: $!"; exec @ARGV or die "exec: $!"' \
                /usr/sbin/pcscd --foreground "$RIG_PCSCD_LEVEL"
        ) >>"$RIG_DIR/pcscd.log" 2>&1 </dev/null &
        echo $! >"$RIG_DIR/pcscd.pid"
        for _ in $(seq 200); do
            new="$(tail -c +$((size + 1)) "$RIG_DIR/pcscd.log")"
            [ -S /run/pcscd/pcscd.comm ] && [[ "$new" == *"daemon ready"* || "$RIG_PCSCD_LEVEL" != -* ]] && break
            rig_alive "$(cat "$RIG_DIR/pcscd.pid")" || break
            sleep 0.05
        done
        if ! rig_alive "$(cat "$RIG_DIR/pcscd.pid")" || [ ! -S /run/pcscd/pcscd.comm ]; then
            echo "rig: pcscd did not come up"; tail -c +$((size + 1)) "$RIG_DIR/pcscd.log"; return 1
        fi
        [[ "$new" != *"Could not initialize connection to virtual ICC"* ]] && return 0
        echo "rig: vpcd could not bind its ports (try $try): $(grep -m1 -o 'Address already in use' <<<"$new")"
        [ "$try" = 1 ] && ss -tan 2>/dev/null | grep -E ':3596[34] ' | head -n 3
        rig_kill_pidfile "$RIG_DIR/pcscd.pid"
        sleep 2
    done
    echo "rig: pcscd has no vpcd readers"; return 1
}

rig_start_pcscd() {
    mkdir -p "$RIG_DIR"
    if [ -f "$RIG_DIR/pcscd.pid" ] && rig_alive "$(cat "$RIG_DIR/pcscd.pid")"; then return 0; fi
    rig_stop_foreign_pcscd
    : >"$RIG_DIR/pcscd.log"
    rig_launch_pcscd
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
    rig_launch_pcscd
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
