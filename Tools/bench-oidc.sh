#!/usr/bin/env bash
# OIDC authorization-code flows per second (issue 21 item 9): complete flows — GET /oidc/authorize
# with PKCE S256, state, nonce and an existing session cookie (302 to the client with the code),
# POST /oidc/token, GET /oidc/userinfo with the access token — against a release `sleutel serve`
# over keep-alive loopback connections, with 1, 2, 4 and 8 client connections.
#   Tools/bench-oidc.sh [SECONDS] [CONCURRENCY]    (default 10 s per run, "1,2,4,8")
#   SLEUTEL_BENCH_PERF=1 Tools/bench-oidc.sh …     also profiles the server (perf, user space) during
#                                                  an extra run with 2 connections: Benchmarks/results/oidc-perf.txt
#   SLEUTEL_SERVE_BIN=/path/to/sleutel Tools/bench-oidc.sh …   measures that server build instead
# The session: the demo person 82020200126 gets a password and a TOTP key through the operator CLI
# (on the server's SQLite file while it runs) and logs in through /v1/code/login (password, then the
# TOTP code of the next step: the confirmation spent the current one), level 400.
# Prints the JSON and writes Benchmarks/oidc.md. Target: >= 1,000 flows/s on this 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN="${1:-10}"
CONCURRENCY="${2:-1,2,4,8}"
PORT="${SLEUTEL_BENCH_PORT:-18183}"
WORK="$(mktemp -d /tmp/sleutel-bench-oidc.XXXXXX)"
SERVER="http://127.0.0.1:$PORT"

source Tools/bench/release-server.sh

cat >"$WORK/clients.json" <<'EOF'
[{"clientId": "bench", "redirectUris": ["http://127.0.0.1:9/cb"], "application": "eloket", "claims": ["name"]}]
EOF
bench_serve --issuer "$SERVER" --oidc-clients "$WORK/clients.json"

# The person's password and TOTP key (operator CLI on the same database), then a code login.
PERSON=82020200126 USERNAME=bench-oidc PASSWORD="oidc benchmark password $(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s\n' "$PASSWORD" | "$BIN" otp password set --database "$WORK/s.sqlite" --username "$USERNAME" --person "$PERSON" >/dev/null
ENROLLED="$("$BIN" otp enroll --database "$WORK/s.sqlite" --person "$PERSON" --account "$USERNAME")"
CREDENTIAL="$(awk '$1 == "credential" { print $2; exit }' <<<"$ENROLLED")"
SECRET="$(awk '$1 == "secret" { print $2; exit }' <<<"$ENROLLED")"
"$BIN" otp confirm --database "$WORK/s.sqlite" --person "$PERSON" --credential "$CREDENTIAL" "$(oathtool --totp -b "$SECRET")" >/dev/null
json() { python3 -c 'import json,sys; print(json.dumps(dict(zip(sys.argv[1::2], sys.argv[2::2]))))' "$@"; }
field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
TRANSACTION="$(curl -fsS -H 'Content-Type: application/json' "$SERVER/v1/code/login" \
    -d "$(json application eloket username "$USERNAME" password "$PASSWORD")" | field transactionId)"
# The next step's code: within the ±1 window, and after the step the confirmation used.
NEXT_CODE="$(oathtool --totp -b "$SECRET" -N "now + 30 seconds")"
(umask 077; curl -fsS -H 'Content-Type: application/json' "$SERVER/v1/code/login/complete" \
    -d "$(json transactionId "$TRANSACTION" factor totp code "$NEXT_CODE")" | field token >"$WORK/session.token")

LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
RESULT="$("$DEV" bench-oidc --server "$SERVER" --session-file "$WORK/session.token" --server-pid "$SERVER_PID" \
    --seconds "$SECONDS_PER_RUN" --concurrency "$CONCURRENCY")"
LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "$RESULT"

if [ -n "${SLEUTEL_BENCH_PERF:-}" ]; then
    # Inclusive share of the server's samples per function (callers include their callees), demangled.
    mkdir -p Benchmarks/results
    perf record -F 499 --call-graph dwarf,16384 -o "$WORK/perf.data" -p "$SERVER_PID" -- sleep "$SECONDS_PER_RUN" >/dev/null 2>&1 &
    PERF_PID=$!
    "$DEV" bench-oidc --server "$SERVER" --session-file "$WORK/session.token" --seconds "$SECONDS_PER_RUN" --concurrency 2 --warmup 0 >/dev/null
    wait "$PERF_PID" || true
    perf report -i "$WORK/perf.data" --children --sort symbol --stdio -g none --percent-limit 1 2>/dev/null | grep -E '^ +[0-9]' |
        sed -E 's/ +- +- *$//' | swift demangle --simplified | grep -v '(inlined)' | cut -c1-220 >Benchmarks/results/oidc-perf.txt || true
    echo "wrote Benchmarks/results/oidc-perf.txt"
fi

{
    echo "# OIDC authorization-code flows"
    echo
    echo "Run by \`Tools/bench-oidc.sh $SECONDS_PER_RUN $CONCURRENCY\` on $(date -u +%Y-%m-%d), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)),"
    echo "load average before $LOAD_BEFORE, after $LOAD_AFTER. Release build, SQLite (WAL), server defaults except"
    echo "\`--rate-limit 1000000\`: every request comes from 127.0.0.1, and the per-address limit (50/s by default)"
    echo "would otherwise measure itself. Client and server share the same cores."
    echo
    echo "One flow, as a public client with PKCE runs it: \`GET /oidc/authorize\` (S256 challenge, state, nonce, the"
    echo "session cookie of a TOTP login at level 400; answer: 302 to the redirect URI with the code), \`POST /oidc/token\`"
    echo "(authorization_code with the verifier; answer: access token and ES256 ID token), \`GET /oidc/userinfo\` with the"
    echo "access token. \`sleutel-dev bench-oidc\` runs flows back to back on each of N keep-alive connections (one client"
    echo "thread each) for $SECONDS_PER_RUN s per N, after 300 untimed flows; latencies are measured in the client, per request"
    echo "and per flow (the sum of the three). CPU: the client's own (getrusage) and the server's (/proc), per flow."
    echo
    python3 - "$RESULT" <<'EOF'
import json, sys
runs = json.loads(sys.argv[1])["runs"]
print("| connections | flows/s | flow p50 | flow p99 | authorize p50 / p99 | token p50 / p99 | userinfo p50 / p99 | server CPU per flow | client CPU per flow | failures |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    ms = lambda k: f"{r[k + '_p50_ms']:.2f} / {r[k + '_p99_ms']:.2f} ms"
    server = f"{r['server_cpu_us_per_flow']:.0f} µs ({r['server_cpu_percent']:.0f}% of a core)" if "server_cpu_us_per_flow" in r else "–"
    print(f"| {r['concurrency']} | {r['flows_per_second']:,.0f} | {r['flow_p50_ms']:.2f} ms | {r['flow_p99_ms']:.2f} ms | {ms('authorize')} | {ms('token')} "
          f"| {ms('userinfo')} | {server} | {r['client_cpu_us_per_flow']:.0f} µs ({r['client_cpu_percent']:.0f}%) | {r['failures']} |")
EOF
    echo
    echo '```'
    python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1]), indent=2, sort_keys=True))' "$RESULT"
    echo '```'
} >Benchmarks/oidc.md
echo "wrote Benchmarks/oidc.md"
