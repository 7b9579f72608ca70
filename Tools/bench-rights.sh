#!/usr/bin/env bash
# Rights benchmark (issue 5): resolution of one person on a dataset of 1M persons, 300k
# organisations and 5M grants in a SQLite file, and the KBO Open Data import rate and peak memory
# on a synthetic full extract of 2M enterprises. Record the figures in Benchmarks/rights.md.
#
# Usage: Tools/bench-rights.sh
# Environment: PERSONS ORGANISATIONS GRANTS SAMPLES (resolution), ENTERPRISES ACTIVITIES (KBO).
# Generated data is kept in .build-bench/ and reused on the next run (delete it to regenerate).
set -euo pipefail
cd "$(dirname "$0")/.."
PERSONS=${PERSONS:-1000000}
ORGANISATIONS=${ORGANISATIONS:-300000}
GRANTS=${GRANTS:-5000000}
SAMPLES=${SAMPLES:-100000}
ENTERPRISES=${ENTERPRISES:-2000000}
ACTIVITIES=${ACTIVITIES:-0}
DIR=.build-bench
[ -x /usr/bin/time ] || { echo "bench-rights: /usr/bin/time is missing (apt-get install time)"; exit 1; }

swift build -c release --product RightsBench 2>&1 | tail -n 1
BIN="$(swift build -c release --show-bin-path)/RightsBench"
mkdir -p "$DIR"
machine() { echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"; }

echo "== resolution: $PERSONS persons, $ORGANISATIONS organisations, $GRANTS grants"
DB="$DIR/rights-$PERSONS-$ORGANISATIONS-$GRANTS.sqlite"
if [ ! -f "$DB" ]; then
    rm -f "$DB.partial" "$DB.partial-wal" "$DB.partial-shm"
    machine
    "$BIN" generate --db "$DB.partial" --persons "$PERSONS" --organisations "$ORGANISATIONS" --grants "$GRANTS"
    mv "$DB.partial" "$DB"
    rm -f "$DB.partial-wal" "$DB.partial-shm"
fi
ls -lh "$DB" | awk '{print "database file: " $5}'
machine
"$BIN" resolve --db "$DB" --samples "$SAMPLES"

echo "== KBO import: $ENTERPRISES enterprises (activities per entity: $ACTIVITIES)"
KBO="$DIR/kbo-$ENTERPRISES-$ACTIVITIES"
if [ ! -f "$KBO/.complete" ]; then
    rm -rf "$KBO"
    "$BIN" kbo-extract --dir "$KBO" --enterprises "$ENTERPRISES" --activities "$ACTIVITIES"
    touch "$KBO/.complete"
fi
du -sh "$KBO" | awk '{print "extract size: " $1}'
IMPORT_DB="$DIR/kbo-import.sqlite"
rm -f "$IMPORT_DB" "$IMPORT_DB-wal" "$IMPORT_DB-shm"
for run in first re-import; do
    machine
    echo "-- $run"
    /usr/bin/time -v -o "$DIR/import-time.txt" "$BIN" import-kbo --db "$IMPORT_DB" --dir "$KBO"
    grep -E "Maximum resident set size|Elapsed \(wall clock\)|Percent of CPU" "$DIR/import-time.txt" | sed 's/^\s*/  /'
done
ls -lh "$IMPORT_DB" | awk '{print "database file after import: " $5}'
