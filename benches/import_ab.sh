#!/usr/bin/env bash
# Times two builds of `outreach import` against each other on this machine, in interleaved
# rounds: its speed drifts by a third within minutes, so only pairs run back to back compare.
# Each import gets a fresh database migrated by its own binary; the figures are wall seconds,
# CPU seconds of the whole machine (service and PostgreSQL, from /proc/stat) and the service's.
# Unlike callgrind's instruction counts, CPU time also sees the cache misses of index inserts.
#
# usage: benches/import_ab.sh BINARY_A BINARY_B [ROUNDS] [ROWS]
#   needs OUTREACH_BENCH_POSTGRES_URL (a server on this machine; a role that may create databases)
set -euo pipefail
a=$1 b=$2 rounds=${3:-5} rows=${4:-1000000}
base=${OUTREACH_BENCH_POSTGRES_URL:?set OUTREACH_BENCH_POSTGRES_URL}
work=$(mktemp -d /tmp/outreach-ab.XXXXXX)
trap 'rm -rf "$work"' EXIT
python3 "$(dirname "$0")/referrals_csv.py" "$rows" > "$work/referrals.csv"
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8}' /proc/stat; }
one() { # BINARY LABEL
    local db="outreach_ab_$$" url
    psql -q "$base" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
    url="${base%/*}/$db"
    OUTREACH_DATABASE_URL=$url OUTREACH_LOG=error "$1" migrate >/dev/null
    OUTREACH_DATABASE_URL=$url OUTREACH_LOG=error "$1" create-client "A/B" >/dev/null
    psql -q "$base" -c checkpoint
    local b0 s e b1
    b0=$(busy); s=$(date +%s.%N)
    OUTREACH_DATABASE_URL=$url OUTREACH_LOG=error /usr/bin/time -f "%U %S" -o "$work/time" \
        "$1" import --client 1 "$work/referrals.csv" >/dev/null
    e=$(date +%s.%N); b1=$(busy)
    printf '| %s | %.2f | %.2f | %.2f |\n' "$2" "$(echo "$e - $s" | bc)" \
        "$(echo "($b1 - $b0) / $(getconf CLK_TCK)" | bc -l)" "$(awk '{print $1 + $2}' "$work/time")"
    psql -q "$base" -c "DROP DATABASE $db"
}
echo "| build | wall s | CPU s (all) | CPU s (service) |"
echo "| --- | --- | --- | --- |"
for _ in $(seq "$rounds"); do one "$a" A; one "$b" B; done
