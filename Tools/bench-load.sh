#!/usr/bin/env bash
# eID logins under load (issue 19 item 4): the login latency of one person against a release
# `sleutel serve`, on an idle server and while floods of costly anonymous work run at the server's
# limits: key checks of sixteen random RSA-4096 keys with the service key and without it (from
# random addresses, named by X-Forwarded-For through the trusted loopback proxy), and correct-
# password logins from random addresses (real scrypt, 32 MiB each).
#   Tools/bench-load.sh [COUNT] [FLOODERS]     (default 300 logins per run, 6 client threads per flood)
#   SLEUTEL_SERVE_BIN=/path/to/sleutel Tools/bench-load.sh …   measures that server build instead
# Prints the JSON and writes Benchmarks/load.md. Target: flooded p99 <= 3x unloaded p99.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${1:-300}"
FLOODERS="${2:-6}"
PORT="${SLEUTEL_BENCH_PORT:-18182}"
WORK="$(mktemp -d /tmp/sleutel-bench-load.XXXXXX)"

source Tools/bench/release-server.sh

SERVICE_KEY="load-benchmark-service-key-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$SERVICE_KEY" > "$WORK/service.key"
bench_serve --trusted-proxy 127.0.0.1/32 --validate-key-file "$WORK/service.key"

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
RESULT="$("$DEV" bench-load --server "http://127.0.0.1:$PORT" --service-key "$SERVICE_KEY" --count "$COUNT" --flooders "$FLOODERS")"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "$RESULT"
RATIO="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["p99_ratio"])' "$RESULT")"
{
    echo "# eID logins under load"
    echo
    echo "Run by \`Tools/bench-load.sh $COUNT $FLOODERS\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
    echo "load average before $LOAD_BEFORE, after $LOAD_AFTER. Release build, server defaults for the costly pools"
    echo "(key checks: one thread, eight waiting; password checks: one thread a core, two a core waiting; both at nice 10)."
    echo
    echo "One person logs in with the EC P-384 test card $COUNT times, one login after the other (challenge, the card's"
    echo "signature in the client, login with OCSP from the cache, organisation choice), on an idle server and then"
    echo "while $FLOODERS client threads per flood (on the same cores) send: key checks of sixteen random RSA-4096 keys"
    echo "with the service key; the same without it from random addresses (each within the per-request cost and"
    echo "the per-address budget); correct-password logins from random addresses. A flood thread waits 20 ms after"
    echo "a 503 or 429, so the pools stay full without the run becoming a loopback request-rate test."
    echo
    echo "Flooded p99 / unloaded p99: **$RATIO** (target ≤ 3)."
    echo
    echo '```'
    python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]), indent=2, sort_keys=True))' "$RESULT"
    echo '```'
} > Benchmarks/load.md
echo "wrote Benchmarks/load.md"
