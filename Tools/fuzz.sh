#!/usr/bin/env bash
# libFuzzer runs of the parsers of outside data (Fuzz/Targets/*).
#
#   Tools/fuzz.sh [--smoke] [--runs N] [--time SECONDS] [--jobs J] [--resume] [--corpus] [target...]
#
# Builds each target with `swift build -Xswiftc -sanitize=fuzzer,address` into .build-fuzz (the
# targets exist only when SLEUTEL_FUZZ=1, so the normal .build is untouched), then runs it on a
# copy of its seed corpus (Fuzz/Corpus/<target>) with its dictionary (Fuzz/Dictionaries), one
# target at a time under nice. Long mode: -runs=10000000 per target (or --time S); the figures
# go to Benchmarks/fuzz.md. --smoke: debug build, 10 s per target, for CI (no report file). --corpus:
# regenerate the seed corpora (Fuzz/make-corpus.sh) after building, and run nothing.
# --jobs J: libFuzzer's -jobs=J -workers=J, J processes on one shared corpus, each doing N/J runs
# (the executions reported are their sum), so one long target can use every core.
# --resume: start from the corpus the target's last run left (a run cut short by a restart), not
# from the seeds; that run's folder is kept as runs/<target>.<time> with its logs, so the
# executions of both runs, on the same code, can be added up.
# A crash leaves its input in .build-fuzz/crashes/<target>/ and makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

ALL_TARGETS=(FuzzEIDFiles FuzzAPDU FuzzCertificates FuzzPublicKeys FuzzKBOCSV FuzzVPCDFrames FuzzHTTPBodies FuzzOTPAuthURI)
smoke=0
corpus=0
resume=0
runs=10000000
seconds=""
jobs=1
targets=()
while (($#)); do
    case "$1" in
        --smoke) smoke=1 ;;
        --corpus) corpus=1 ;;
        --resume) resume=1 ;;
        --runs) runs="$2"; shift ;;
        --time) seconds="$2"; shift ;;
        --jobs) jobs="$2"; shift ;;
        -h|--help) sed -n 2,17p "$0"; exit 0 ;;
        Fuzz*) targets+=("$1") ;;
        *) echo "fuzz: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
((${#targets[@]})) || targets=("${ALL_TARGETS[@]}")
((corpus)) && targets=("${ALL_TARGETS[@]}")
if ((smoke)) && [[ -z "$seconds" ]]; then seconds=10; fi

dictionary() {
    case "$1" in
        FuzzEIDFiles|FuzzAPDU|FuzzVPCDFrames) echo Fuzz/Dictionaries/eid.dict ;;
        FuzzCertificates|FuzzPublicKeys) echo Fuzz/Dictionaries/der.dict ;;
        FuzzKBOCSV) echo Fuzz/Dictionaries/csv.dict ;;
        FuzzHTTPBodies) echo Fuzz/Dictionaries/http.dict ;;
        FuzzOTPAuthURI) echo Fuzz/Dictionaries/otpauth.dict ;;
    esac
}

Tools/setup.sh >/dev/null   # the system libraries the package links (a fresh machine has none)
NICE=(nice -n 15)
SCRATCH="$ROOT/.build-fuzz"
# Long runs: release (-O) with -enable-testing (targets use @testable imports), as debug code
# runs 2-5x slower. Smoke runs: debug, which builds much faster.
if ((smoke)); then
    FLAGS=(-Xswiftc -sanitize=fuzzer,address)
else
    FLAGS=(-c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing)
fi
export SLEUTEL_FUZZ=1
build_start=$(date +%s)
for target in "${targets[@]}"; do
    echo "== building $target"
    log="$SCRATCH/build-$target.log"
    mkdir -p "$SCRATCH"
    if ! "${NICE[@]}" swift build --scratch-path "$SCRATCH" "${FLAGS[@]}" --product "$target" >"$log" 2>&1; then
        grep -E "error:" "$log" | head -n 20 >&2 || true
        echo "fuzz: $target did not build (log $log)" >&2
        exit 1
    fi
done
BIN="$(SLEUTEL_FUZZ=1 swift build --scratch-path "$SCRATCH" "${FLAGS[@]}" --show-bin-path)"
echo "== built in $(( $(date +%s) - build_start )) s"
if ((corpus)); then
    Fuzz/make-corpus.sh "$BIN"
    exit 0
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}"
results=()
failed=0
interrupted=0
for target in "${targets[@]}"; do
    work="$SCRATCH/runs/$target"
    ((smoke)) && work="$SCRATCH/smoke-runs/$target"   # a smoke run never clobbers a long run's log
    artifacts="$SCRATCH/crashes/$target"   # not artifacts/: SwiftPM owns that folder
    if ((resume)) && [[ -d "$work/corpus" ]]; then
        previous="$work.$(date -u +%Y%m%dT%H%M%S)"
        mv "$work" "$previous"
        mkdir -p "$work" "$artifacts"
        cp -r "$previous/corpus" "$work/corpus"
        echo "== resuming $target from the corpus of $previous ($(find "$work/corpus" -type f | wc -l) inputs)"
    else
        rm -rf "$work"; mkdir -p "$work/corpus" "$artifacts"
    fi
    [[ -d "Fuzz/Corpus/$target" ]] && cp -r "Fuzz/Corpus/$target/." "$work/corpus/"
    args=(-max_len=16384 -timeout=10 -rss_limit_mb=3072 -print_final_stats=1 -artifact_prefix="$artifacts/")
    dict=$(dictionary "$target")
    [[ -n "$dict" ]] && args+=(-dict="$ROOT/$dict")
    if [[ -n "$seconds" ]]; then args+=(-max_total_time="$seconds"); else args+=(-runs="$(( (runs + jobs - 1) / jobs ))"); fi
    ((jobs > 1)) && args+=(-jobs="$jobs" -workers="$jobs")
    if [[ -n "$seconds" ]]; then echo "== running $target ($seconds s, $jobs job(s))"; else echo "== running $target ($runs runs, $jobs job(s))"; fi
    start=$(date +%s)
    set +e
    # Jobs write fuzz-<i>.log into the current directory: run from the work directory.
    (cd "$work" && "${NICE[@]}" "$BIN/$target" "${args[@]}" "$work/corpus" >"$work/log" 2>&1)
    status=$?
    set -e
    elapsed=$(( $(date +%s) - start ))
    logs=("$work/log")
    ((jobs > 1)) && logs=("$work"/fuzz-*.log)
    final_stat() {   # final_stat NAME: the last value of libFuzzer's stat::NAME in each log, summed
        local log total=0 value
        for log in "${logs[@]}"; do
            value=$(grep -Eo "stat::$1: *[0-9]+" "$log" | grep -Eo '[0-9]+$' | tail -n1 || true)
            total=$(( total + ${value:-0} ))
        done
        echo "$total"
    }
    execs=$(final_stat number_of_executed_units)
    speed=$(final_stat average_exec_per_sec)
    cov=$(cat "${logs[@]}" | grep -Eo 'cov: [0-9]+ ft: [0-9]+' | sort -t' ' -k2,2n | tail -n1 || true)
    # A job's crash shows in its own log; the parent's status covers it too.
    errors=0
    for log in "${logs[@]}"; do
        if grep -q "ERROR: libFuzzer\|ERROR: AddressSanitizer" "$log"; then status=1; errors=1; fi
    done
    units=$(find "$work/corpus" -type f | wc -l)
    # libFuzzer also writes slow-unit-* inputs (one execution over 10 s): not failures, and often a
    # stalled machine rather than a slow input, so they are listed apart from crashes.
    crashes=$(find "$artifacts" -type f ! -name 'slow-unit-*' 2>/dev/null | wc -l)
    slow=$(find "$artifacts" -type f -name 'slow-unit-*' 2>/dev/null | wc -l)
    if ((slow)); then
        echo "fuzz: $target: $slow slow-unit input(s) in $artifacts (run one alone: a slow input, or a busy machine?)"
    fi
    if ((status != 0)) && ((crashes == 0)) && ((errors == 0)) && grep -qs "libFuzzer: run interrupted" "${logs[@]}"; then
        interrupted=1   # SIGINT (libFuzzer exits 72): the figures hold up to that moment
        echo "fuzz: $target interrupted after ${execs:-?} executions, no crash" >&2
    elif ((status != 0)); then
        failed=1
        echo "fuzz: $target FAILED (exit $status); log ${logs[*]}" >&2
        cat "${logs[@]}" | grep -E "ERROR: |SUMMARY: |Fatal error|Test unit written|#0 |#1 |#2 |#3 " | head -n 12 >&2 || true
    fi
    line="| $target | ${execs:-?} | ${speed:-?} | ${elapsed} s | ${cov:-?} | $units | $crashes |"
    echo "$line"
    ((smoke)) || echo "$line" >>"$SCRATCH/fuzz-results.log"   # every long run's line, kept across partial runs
    results+=("$line")
done

table=$(printf '%s\n' "| target | executions | exec/s | time | coverage | corpus | crash inputs |" \
    "| --- | --- | --- | --- | --- | --- | --- |" "${results[@]}")
if ((smoke)); then
    echo "$table"
else
    report=Benchmarks/fuzz.md
    [[ ${#targets[@]} -lt ${#ALL_TARGETS[@]} ]] && report="$SCRATCH/fuzz-$(date -u +%Y%m%dT%H%M%S).md"
    {
        echo "# Fuzzing (libFuzzer + AddressSanitizer)"
        echo
        mode="--runs $runs"
        [[ -n "$seconds" ]] && mode="--time $seconds"
        ((jobs > 1)) && mode="$mode --jobs $jobs"
        echo "Run by \`Tools/fuzz.sh $mode\` on $(date -u +%Y-%m-%d), $(nproc) cores shared with other builds, under nice -n 15, one target at a time."
        echo
        echo "$table"
    } >"$report"
    cat "$report"
fi
if ((failed)); then echo "fuzz: FAILED"; exit 1; fi
if ((interrupted)); then echo "fuzz: interrupted, 0 crashes"; exit 130; fi
echo "fuzz: ${#targets[@]} targets, 0 crashes"
