#!/usr/bin/env bash
# libFuzzer runs of the parsers of outside data (Fuzz/Targets/*).
#
#   Tools/fuzz.sh [--smoke] [--runs N] [--time SECONDS] [target...]
#
# Builds each target with `swift build -Xswiftc -sanitize=fuzzer,address` into .build-fuzz (the
# targets exist only when SLEUTEL_FUZZ=1, so the normal .build is untouched), then runs it on a
# copy of its seed corpus (Fuzz/Corpus/<target>). Long mode: -runs=10000000 per target (or
# --time S), results written to Benchmarks/fuzz.md. --smoke: 25 s per target, for CI.
# A crash leaves its input in .build-fuzz/artifacts/<target>/ and makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

ALL_TARGETS=(FuzzEIDFiles FuzzAPDU FuzzCertificates FuzzPublicKeys FuzzKBOCSV FuzzVPCDFrames)
smoke=0
runs=10000000
seconds=""
targets=()
while (($#)); do
    case "$1" in
        --smoke) smoke=1 ;;
        --runs) runs="$2"; shift ;;
        --time) seconds="$2"; shift ;;
        -h|--help) sed -n 2,10p "$0"; exit 0 ;;
        *) targets+=("$1") ;;
    esac
    shift
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
if ((smoke)) && [[ -z "$seconds" ]]; then seconds=25; fi

NICE=(nice -n 15)
SCRATCH="$ROOT/.build-fuzz"
FLAGS=(-Xswiftc -sanitize=fuzzer,address)
export SLEUTEL_FUZZ=1
for target in "${targets[@]}"; do
    echo "== building $target"
    "${NICE[@]}" swift build --scratch-path "$SCRATCH" "${FLAGS[@]}" --product "$target" 2>&1 | grep -E "error|warning: unre|Compiling|Build complete" | grep -v "^\[.*Compiling" | tail -n 20 || true
    [[ -x "$SCRATCH/debug/$target" ]] || { echo "fuzz: $target did not build" >&2; exit 1; }
done

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}"
results=()
failed=0
for target in "${targets[@]}"; do
    work="$SCRATCH/runs/$target"
    artifacts="$SCRATCH/artifacts/$target"
    rm -rf "$work"; mkdir -p "$work/corpus" "$artifacts"
    [[ -d "Fuzz/Corpus/$target" ]] && cp -r "Fuzz/Corpus/$target/." "$work/corpus/"
    args=(-max_len=8192 -timeout=10 -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix="$artifacts/")
    if [[ -n "$seconds" ]]; then args+=(-max_total_time="$seconds"); else args+=(-runs="$runs"); fi
    echo "== running $target (${seconds:+${seconds}s}${seconds:-$runs runs})"
    start=$(date +%s)
    set +e
    "${NICE[@]}" "$SCRATCH/debug/$target" "${args[@]}" "$work/corpus" >"$work/log" 2>&1
    status=$?
    set -e
    elapsed=$(( $(date +%s) - start ))
    execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -Eo '[0-9]+$' | tail -n1)
    speed=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$work/log" | grep -Eo '[0-9]+$' | tail -n1)
    crashes=$(find "$artifacts" -type f | wc -l)
    if ((status != 0)); then
        failed=1
        echo "fuzz: $target FAILED (exit $status); log $work/log" >&2
        grep -E "ERROR: |SUMMARY: |Fatal error|Test unit written" "$work/log" | head -n 10 >&2 || true
    fi
    line="| $target | ${execs:-?} | ${speed:-?} | ${elapsed} s | $crashes |"
    echo "$line"
    results+=("$line")
done

table=$(printf '%s\n' "| target | executions | exec/s | time | crash inputs |" "| --- | --- | --- | --- | --- |" "${results[@]}")
if ((smoke)); then
    echo "$table"
else
    {
        echo "# Fuzzing (libFuzzer + AddressSanitizer)"
        echo
        echo "Run by \`Tools/fuzz.sh${seconds:+ --time $seconds}${seconds:- --runs $runs}\` on $(date -u +%Y-%m-%d), $(nproc) cores shared, under nice."
        echo
        echo "$table"
    } >Benchmarks/fuzz.md
    cat Benchmarks/fuzz.md
fi
if ((failed)); then echo "fuzz: FAILED"; exit 1; fi
echo "fuzz: ${#targets[@]} targets, 0 crashes"
