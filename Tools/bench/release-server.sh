# Sourced by the HTTP benchmarks (Tools/bench-login.sh, Tools/bench-load.sh) from the repository
# root, with WORK (a temporary folder) and PORT set: builds the release `sleutel` and `sleutel-dev`,
# starts the test PKI's OCSP responders and stops them, the server and WORK on exit.
#   BIN, DEV                     the two binaries (SLEUTEL_SERVE_BIN overrides the server, e.g. an
#                                older commit's build measured with the same client)
#   bench_serve [OPTION…]        `sleutel serve` on PORT with demo data, the TEST roots and no rate
#                                limit to speak of, plus the options given; waits for /health
Tools/setup.sh >/dev/null
swift build -c release --product sleutel 2>&1 | tail -n 1
swift build -c release --product sleutel-dev 2>&1 | tail -n 1
BIN="${SLEUTEL_SERVE_BIN:-$(swift build -c release --show-bin-path)/sleutel}"
DEV="$(swift build -c release --show-bin-path)/sleutel-dev"
source Tools/pki-responders.sh
SERVER_PID=""
bench_cleanup() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; pki_stop; rm -rf "$WORK"; }
trap bench_cleanup EXIT
pki_start >/dev/null

bench_serve() {
    "$BIN" serve --port "$PORT" --database "$WORK/s.sqlite" --demo --rate-limit 1000000 "$@" \
        --test --roots Hardware/test-pki/rsa/root.crt --roots Hardware/test-pki/ec/root.crt >"$WORK/serve.out" 2>"$WORK/serve.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "bench: the server did not come up; its log:" >&2
    tail -n 20 "$WORK/serve.log" >&2
    return 1
}
