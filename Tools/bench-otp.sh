#!/usr/bin/env bash
# TOTP validation benchmark: privacyIDEA 3.14 (PyPI) on SQLite under gunicorn on loopback, driven by
# Tools/bench/otp-load.py (valid current codes computed by the load generator, every (token, step) used
# once), side by side with `sleutel-dev bench-otp` in the same run.
#
# Usage: Tools/bench-otp.sh [REQUESTS=1000] [CONCURRENCY=4] [TOKENS=500]
# Environment: WORKERS (gunicorn sync workers, default: number of cores), PI_DB (disk|tmpfs|both, default both),
#   LATENCY_REQUESTS (a second, unqueued run at concurrency 1 per database, default 200; 0 skips it),
#   PI_PORT (default 8830), SLEUTEL_BUILD (1: build .build/release/sleutel first when Sources/sleutel has an
#   `otp` command, the default; 0: use what is there), LOAD_TOOL (wrk, the default: the request bodies are prepared by
#   otp-load.py --emit and sent by wrk with Tools/bench/otp-wrk.lua, a C client that leaves the cores to the servers;
#   python: otp-load.py sends them itself with aiohttp), PI_REQUESTS (requests per privacyIDEA run; with wrk at most
#   800 by default, as prepared codes must be used within 30 s).
# TOKENS x 2 must exceed what either side validates in 30 s (each token gives the current and the next code once);
# the load generator reports waited_for_fresh_steps_s > 0 when it ran short: for the HTTP run of `sleutel serve`
# use TOKENS >= REQUESTS (e.g. Tools/bench-otp.sh 2000 4 3000).
# Needs python3-venv and pip access to PyPI; the venv lives in .build-bench/pi-venv (versions pinned by
# Tools/bench/pi-constraints.txt). Raw results: Benchmarks/results/otp-<stamp>.json; figures: Benchmarks/otp.md.
# Everything started here (gunicorn) is stopped by PID; the tmpfs database is removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
REQUESTS=${1:-1000}
CONCURRENCY=${2:-4}
TOKENS=${3:-500}
WORKERS=${WORKERS:-$(nproc)}
PI_DB=${PI_DB:-both}
PI_PORT=${PI_PORT:-8830}
SLEUTEL_BUILD=${SLEUTEL_BUILD:-1}
LATENCY_REQUESTS=${LATENCY_REQUESTS:-200}
LOAD_TOOL=${LOAD_TOOL:-wrk}
# wrk sends codes prepared before the run; a code for the current step stays valid for at least 30 s
# (window +-1), so a run against privacyIDEA (~40 checks/s) is kept short enough to finish in that time.
PI_REQUESTS=${PI_REQUESTS:-$([ "$LOAD_TOOL" = wrk ] && echo $((REQUESTS < 800 ? REQUESTS : 800)) || echo "$REQUESTS")}
VENV="$ROOT/.build-bench/pi-venv"
DISK="$ROOT/.build-bench/pi-run"
SHM="/dev/shm/sleutel-pi-bench.$$"
STAMP=$(date -u +%Y%m%d-%H%M%S)
RESULTS="$ROOT/Benchmarks/results/otp-$STAMP.json"
GUNICORN_PID=""

alive() { local st; st="$(sed -E 's/^.*\) //' "/proc/$1/stat" 2>/dev/null | cut -c1)"; [ -n "$st" ] && [ "$st" != Z ]; }
stop_gunicorn() {
    [ -n "$GUNICORN_PID" ] || return 0
    if alive "$GUNICORN_PID"; then
        kill -TERM "$GUNICORN_PID" 2>/dev/null || true
        for _ in $(seq 100); do alive "$GUNICORN_PID" || break; sleep 0.1; done
        alive "$GUNICORN_PID" && kill -KILL "$GUNICORN_PID" 2>/dev/null
    fi
    wait "$GUNICORN_PID" 2>/dev/null || true
    GUNICORN_PID=""
}
SERVE_PID=""
cleanup() {
    stop_gunicorn
    if [ -n "$SERVE_PID" ]; then kill -TERM "$SERVE_PID" 2>/dev/null || true; fi
    rm -rf "$SHM"
}
trap cleanup EXIT

port_listening() {
    local hex; hex="$(printf ':%04X ' "$1")"
    awk -v p="$hex" 'index($2 " ", p) && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# load URL STATE REQUESTS CONCURRENCY WARMUP BODY CONTENT_TYPE PY_ACCEPT LUA_ACCEPT [AUTHORIZATION]: one closed-loop run
# of fresh valid codes against URL with LOAD_TOOL; prints otp-load.py's JSON line.
load() {
    local url=$1 state=$2 requests=$3 concurrency=$4 warmup=$5 body=$6 ctype=$7 py_accept=$8 lua_accept=$9 auth=${10:-}
    local headers=()
    [ -n "$auth" ] && headers=(--header "Authorization: $auth")
    if [ "$LOAD_TOOL" = python ]; then
        timeout 1200 "$VENV/bin/python" Tools/bench/otp-load.py --url "$url" --tokens "$DISK/tokens.csv" --state "$state" \
            --requests "$requests" --concurrency "$concurrency" --warmup "$warmup" --body "$body" --content-type "$ctype" \
            --accept-pattern "$py_accept" "${headers[@]}" --json
        return
    fi
    local threads=$(( concurrency < $(nproc) ? concurrency : $(nproc) )) bodies="$SHM/bodies.txt" count
    # A warm-up (opens the connections, not counted), then the measured run.
    for count in "$warmup" "$requests"; do
        [ "$count" -gt 0 ] || continue
        "$VENV/bin/python" Tools/bench/otp-load.py --tokens "$DISK/tokens.csv" --url "$url" --state "$state" --requests "$count" \
            --body "$body" --emit "$bodies"
        if [ "$count" = "$requests" ]; then
            run_wrk "$url" "$bodies" "$threads" "$concurrency" "$ctype" "$lua_accept" "$auth"
        else
            run_wrk "$url" "$bodies" "$threads" "$concurrency" "$ctype" "$lua_accept" "$auth" >/dev/null
        fi
    done
}
# run_wrk URL BODIES THREADS CONNECTIONS CONTENT_TYPE LUA_ACCEPT AUTHORIZATION: wrk runs until every thread has
# its answers (Tools/bench/otp-wrk.lua writes a line per finished thread), then SIGINT makes it report.
run_wrk() {
    local done_file="$SHM/wrk-done" out="$SHM/wrk-out" pid waited=0
    rm -f "$done_file"
    wrk -t "$3" -c "$4" -d 3600s -s Tools/bench/otp-wrk.lua "$1" -- "$2" "$3" "$5" "$6" "$7" "$done_file" "$4" >"$out" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null && [ "$(cat "$done_file" 2>/dev/null | wc -l)" -lt "$3" ] && [ "$waited" -lt 24000 ]; do
        sleep 0.05; waited=$((waited + 1))
    done
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    grep '^{' "$out" || { echo "bench-otp: wrk gave no result:" >&2; cat "$out" >&2; return 1; }
}
PI_LOAD=('serial={serial}&pass={code}' application/x-www-form-urlencoded '"value":\s*true' '"value":%s*true')
if [ "$LOAD_TOOL" = wrk ] && ! command -v wrk >/dev/null; then
    echo "bench-otp: installing wrk"
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

# 1. privacyIDEA in a venv, pinned.
if [ ! -x "$VENV/bin/pi-manage" ] || ! "$VENV/bin/python" -c 'import aiohttp, gunicorn' 2>/dev/null; then
    echo "bench-otp: installing privacyIDEA 3.14, gunicorn and aiohttp into $VENV"
    python3 -m venv "$VENV"
    timeout 1200 "$VENV/bin/pip" install -q -c Tools/bench/pi-constraints.txt "privacyIDEA==3.14" gunicorn aiohttp
fi
PI_VERSION=$("$VENV/bin/pip" show privacyIDEA 2>/dev/null | awk '/^Version:/ {print $2}')
GUNICORN_VERSION=$("$VENV/bin/gunicorn" --version 2>&1 | awk '{print $NF}' | tr -d '()')
if port_listening "$PI_PORT"; then echo "bench-otp: port $PI_PORT is in use by something this script did not start"; exit 1; fi

# 2. Configuration, keys, tables, an admin, and the tokens: set up on tmpfs (SQLite commits there cost no fsync).
mkdir -p "$SHM" "$DISK"
SECRET_KEY=$(openssl rand -hex 24)
PEPPER=$(openssl rand -hex 16)
write_cfg() {   # write_cfg FILE DBFILE
    cat >"$1" <<EOF
SQLALCHEMY_DATABASE_URI = 'sqlite:///$2'
SECRET_KEY = '$SECRET_KEY'
PI_PEPPER = '$PEPPER'
PI_ENCFILE = '$SHM/enckey'
PI_AUDIT_KEY_PRIVATE = '$SHM/private.pem'
PI_AUDIT_KEY_PUBLIC = '$SHM/public.pem'
PI_LOGFILE = '$SHM/privacyidea.log'
PI_LOGLEVEL = 30
EOF
}
write_cfg "$SHM/pi.cfg" "$SHM/pristine.sqlite"
export PRIVACYIDEA_CONFIGFILE="$SHM/pi.cfg"
echo "bench-otp: privacyIDEA $PI_VERSION: creating keys and tables"
timeout 120 "$VENV/bin/pi-manage" setup create_enckey >/dev/null
timeout 120 "$VENV/bin/pi-manage" setup create_audit_keys >/dev/null
timeout 600 "$VENV/bin/pi-manage" setup create_tables >/dev/null 2>&1
timeout 120 "$VENV/bin/pi-manage" admin add admin -p "$(openssl rand -hex 12)" >/dev/null
echo "bench-otp: enrolling $TOKENS TOTP tokens with known seeds"
timeout 1200 "$VENV/bin/python" Tools/bench/pi-enroll.py "$SHM/pi.cfg" "$TOKENS" "$SHM/tokens.csv"
cp "$SHM/tokens.csv" "$DISK/tokens.csv"

cat >"$SHM/piapp.py" <<EOF
from privacyidea.app import create_app
application = create_app(config_name="production", config_file="$SHM/run.cfg", silent=True)
EOF

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A PI_RESULT=()
run_pi() {   # run_pi disk|tmpfs
    local mode="$1" db
    if [ "$mode" = disk ]; then db="$DISK/pi.sqlite"; else db="$SHM/run.sqlite"; fi
    rm -f "$db" "$db-journal" "$db-wal" "$db-shm" "$SHM/steps-$mode.json"
    cp "$SHM/pristine.sqlite" "$db"
    write_cfg "$SHM/run.cfg" "$db"
    export PRIVACYIDEA_CONFIGFILE="$SHM/run.cfg"
    "$VENV/bin/gunicorn" --chdir "$SHM" --workers "$WORKERS" --worker-class sync --bind "127.0.0.1:$PI_PORT" \
        --no-control-socket --log-level warning piapp:application >"$SHM/gunicorn-$mode.log" 2>&1 </dev/null &
    GUNICORN_PID=$!
    for _ in $(seq 300); do port_listening "$PI_PORT" && break; alive "$GUNICORN_PID" || break; sleep 0.1; done
    port_listening "$PI_PORT" || { echo "bench-otp: gunicorn did not come up"; cat "$SHM/gunicorn-$mode.log"; exit 1; }
    echo "bench-otp: privacyIDEA ($mode SQLite, gunicorn $WORKERS sync workers): $PI_REQUESTS requests, concurrency $CONCURRENCY"
    PI_RESULT[$mode]=$(load "http://127.0.0.1:$PI_PORT/validate/check" "$SHM/steps-$mode.json" "$PI_REQUESTS" "$CONCURRENCY" 20 "${PI_LOAD[@]}")
    echo "  ${PI_RESULT[$mode]}"
    if [ "$LATENCY_REQUESTS" -gt 0 ]; then
        echo "bench-otp: privacyIDEA ($mode SQLite): $LATENCY_REQUESTS requests, concurrency 1 (unqueued latency)"
        PI_RESULT[$mode-c1]=$(load "http://127.0.0.1:$PI_PORT/validate/check" "$SHM/steps-$mode.json" "$LATENCY_REQUESTS" 1 0 "${PI_LOAD[@]}")
        echo "  ${PI_RESULT[$mode-c1]}"
    fi
    stop_gunicorn
}
case "$PI_DB" in
    disk) run_pi disk ;;
    tmpfs) run_pi tmpfs ;;
    *) run_pi disk; run_pi tmpfs ;;
esac

# 3. Sleutel, same machine, same run: the library loop (`sleutel-dev bench-otp`), then the same tokens over HTTP through
#    `sleutel serve` with the same load generator as privacyIDEA.
SLEUTEL="$ROOT/.build/release/sleutel"
SLEUTEL_DEV="$ROOT/.build/release/sleutel-dev"
if [ "$SLEUTEL_BUILD" = 1 ] && grep -rqs 'commandName: "otp"' Sources/sleutel; then
    echo "bench-otp: building .build/release/sleutel and sleutel-dev"
    timeout 3000 swift build -c release --product sleutel 2>&1 | tail -n 2 || true
    timeout 3000 swift build -c release --product sleutel-dev 2>&1 | tail -n 2 || true
fi
SLEUTEL_RESULT=""
SLEUTEL_HTTP=""
if [ -x "$SLEUTEL" ] && timeout 60 "$SLEUTEL_DEV" bench-otp --help >/dev/null 2>&1; then
    echo "bench-otp: sleutel-dev bench-otp (library-level TOTP validation): $REQUESTS requests, concurrency $CONCURRENCY"
    SLEUTEL_RESULT=$(timeout 1200 "$SLEUTEL_DEV" bench-otp --requests "$REQUESTS" --concurrency "$CONCURRENCY" --json | tail -n 1)
    echo "  $SLEUTEL_RESULT"

    # The same tokens imported into `sleutel serve` (SQLite on disk), validated over HTTP by the same load generator.
    SL_DIR="$ROOT/.build-bench/sleutel-run"
    rm -rf "$SL_DIR"; mkdir -p "$SL_DIR"
    awk -F, 'NF >= 2 { gsub(/ /, "", $1); gsub(/ /, "", $2); printf "bench-%s, %s, %s\n", $1, $1, $2 }' "$DISK/tokens.csv" >"$SL_DIR/import.csv"
    "$SLEUTEL" otp import "$SL_DIR/import.csv" --database "$SL_DIR/sleutel.sqlite" >/dev/null
    VALIDATE_KEY=$(openssl rand -hex 32)
    (umask 077; printf '%s\n' "$VALIDATE_KEY" >"$SL_DIR/validate.key")
    SL_PORT=$((PI_PORT + 1))
    if port_listening "$SL_PORT"; then echo "bench-otp: port $SL_PORT is in use"; exit 1; fi
    "$SLEUTEL" serve --database "$SL_DIR/sleutel.sqlite" --port "$SL_PORT" --rate-limit 1000000 --validate-key-file "$SL_DIR/validate.key" \
        >"$SL_DIR/serve.log" 2>&1 </dev/null &
    SERVE_PID=$!
    for _ in $(seq 300); do port_listening "$SL_PORT" && break; alive "$SERVE_PID" || break; sleep 0.1; done
    if port_listening "$SL_PORT"; then
        echo "bench-otp: sleutel serve (SQLite on disk) POST /v1/otp/validate: $REQUESTS requests, concurrency $CONCURRENCY"
        SL_URL="http://127.0.0.1:$SL_PORT/v1/otp/validate"
        SL_LOAD=('{"serial":"{serial}","code":"{code}"}' application/json '"accepted":\s*true' '"accepted":%s*true' "Bearer $VALIDATE_KEY")
        SLEUTEL_HTTP=$(load "$SL_URL" "$SL_DIR/steps.json" "$REQUESTS" "$CONCURRENCY" 20 "${SL_LOAD[@]}")
        echo "  $SLEUTEL_HTTP"
        if [ "$LATENCY_REQUESTS" -gt 0 ]; then
            SLEUTEL_HTTP_C1=$(load "$SL_URL" "$SL_DIR/steps.json" "$LATENCY_REQUESTS" 1 0 "${SL_LOAD[@]}")
            echo "  concurrency 1: $SLEUTEL_HTTP_C1"
        fi
    else
        echo "bench-otp: sleutel serve did not come up"; cat "$SL_DIR/serve.log"
    fi
    kill -TERM "$SERVE_PID" 2>/dev/null || true
    wait "$SERVE_PID" 2>/dev/null || true
    SERVE_PID=""
else
    echo "sleutel side: not built yet"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# 4. Summary and raw results.
mkdir -p "$ROOT/Benchmarks/results"
"$VENV/bin/python" - "$RESULTS" <<EOF
import json, sys
raw = {"disk": """${PI_RESULT[disk]:-}""", "tmpfs": """${PI_RESULT[tmpfs]:-}""",
       "disk-c1": """${PI_RESULT[disk-c1]:-}""", "tmpfs-c1": """${PI_RESULT[tmpfs-c1]:-}"""}
pi = {k: json.loads(v) for k, v in raw.items() if v.strip()}
sl = json.loads("""$SLEUTEL_RESULT""") if """$SLEUTEL_RESULT""".strip() else None
slh = json.loads("""$SLEUTEL_HTTP""") if """$SLEUTEL_HTTP""".strip() else None
slh1 = json.loads("""${SLEUTEL_HTTP_C1:-}""") if """${SLEUTEL_HTTP_C1:-}""".strip() else None
out = {
    "date_utc": "$STAMP", "cores": $(nproc), "cpu": "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)",
    "load_before": "$LOAD_BEFORE", "load_after": "$LOAD_AFTER",
    "privacyidea": {"version": "$PI_VERSION", "gunicorn": "$GUNICORN_VERSION", "workers": $WORKERS, "worker_class": "sync",
                    "tokens": $TOKENS, "runs": pi},
    "load_tool": "$( [ "$LOAD_TOOL" = wrk ] && echo "wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}') with Tools/bench/otp-wrk.lua (bodies from otp-load.py --emit), closed loop" || echo "Tools/bench/otp-load.py (aiohttp, closed loop)")", "requests": $REQUESTS, "pi_requests": $PI_REQUESTS, "concurrency": $CONCURRENCY,
    "sleutel": sl, "sleutel_http": slh, "sleutel_http_c1": slh1,
}
json.dump(out, open(sys.argv[1], "w"), indent=2)
print("")
print("| side | concurrency | requests | per second | p50 ms | p99 ms | accepted |")
print("|---|---|---|---|---|---|---|")
for mode, r in pi.items():
    print("| privacyIDEA %s, SQLite on %s, gunicorn %d sync workers | %d | %d | %.1f | %.2f | %.2f | %d/%d |" % (
        "$PI_VERSION", mode.split("-")[0], $WORKERS, r["concurrency"], r["requests"], r["per_second"], r["p50_ms"], r["p99_ms"],
        r["accepted"], r["requests"]))
if sl:
    print("| sleutel-dev bench-otp (library level) | $CONCURRENCY | %d | %.1f | %.3f | %.3f | |" % (sl["requests"], sl["per_second"], sl["p50_ms"], sl["p99_ms"]))
    for mode, r in pi.items():
        if mode.endswith("-c1"):
            continue
        print("ratio sleutel/privacyIDEA (%s): %.0fx" % (mode, sl["per_second"] / r["per_second"]))
for label, r in (("sleutel serve, SQLite on disk, POST /v1/otp/validate", slh), ("sleutel serve, concurrency 1", slh1)):
    if r:
        print("| %s | %d | %d | %.1f | %.2f | %.2f | %d/%d |" % (label, r["concurrency"], r["requests"], r["per_second"], r["p50_ms"],
              r["p99_ms"], r["accepted"], r["requests"]))
if slh:
    for mode, r in pi.items():
        if not mode.endswith("-c1"):
            print("ratio over HTTP, sleutel/privacyIDEA (%s): %.0fx" % (mode, slh["per_second"] / r["per_second"]))
if not sl and not slh:
    print("sleutel side: not built yet")
print("load average before %s, after %s; raw results in %s" % ("$LOAD_BEFORE", "$LOAD_AFTER", sys.argv[1]))
EOF
