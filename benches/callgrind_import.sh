#!/usr/bin/env bash
# Counts the instructions an import costs, in the database and in the service, with callgrind.
# Wall-clock figures on the development machine drift by a third within minutes; instruction
# counts do not, so this is how a change to the import's work is judged (README, Benchmarks).
#
# usage: benches/callgrind_import.sh [ROWS] [EXTRA.sql]
#   ROWS       rows in the generated file (default 100000; the benchmark's format, every row
#              in Asia/Tokyo, so due or not depending on the hour)
#   EXTRA.sql  run after the migrations, before the import (to try a schema change)
# Needs valgrind and PostgreSQL 15's server binaries; runs as root (the cluster as postgres).
set -euo pipefail
rows=${1:-100000}
extra=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
pg=/usr/lib/postgresql/15/bin
work=$(mktemp -d /tmp/outreach-callgrind.XXXXXX)
chown postgres "$work"
port=54329
cleanup() {
    runuser -u postgres -- "$pg/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet --manifest-path "$root/Cargo.toml" --bin outreach
bin="$root/target/release/outreach"

python3 "$root/benches/referrals_csv.py" "$rows" Asia/Tokyo > "$work/referrals.csv"

runuser -u postgres -- "$pg/initdb" -D "$work/data" -A trust >/dev/null
mkdir "$work/out" && chown postgres "$work/out"
# Every backend under callgrind, each writing its own counts when it exits.
runuser -u postgres -- valgrind --tool=callgrind --trace-children=yes \
    --callgrind-out-file="$work/out/backend.%p" "$pg/postgres" -D "$work/data" -p $port \
    -k "$work" -c listen_addresses=127.0.0.1 -c autovacuum=off -c fsync=off \
    >"$work/postgres.log" 2>&1 &
until "$pg/pg_isready" -q -h 127.0.0.1 -p $port; do sleep 1; done
psql -q "postgresql://postgres@127.0.0.1:$port/postgres" \
    -c "CREATE ROLE outreach LOGIN SUPERUSER PASSWORD 'outreach'" -c "CREATE DATABASE outreach"
export OUTREACH_DATABASE_URL="postgresql://outreach:outreach@127.0.0.1:$port/outreach" OUTREACH_LOG=error
"$bin" migrate >/dev/null
[ -n "$extra" ] && psql -q -v ON_ERROR_STOP=1 "$OUTREACH_DATABASE_URL" -f "$extra"
client=$("$bin" create-client "Callgrind Utility" | grep -o '[0-9]\+' | tail -1)
sleep 2
ls "$work/out" >"$work/before"
# One writer: the same work as two, without their interleaving.
OUTREACH_DB_POOL_SIZE=1 valgrind --tool=callgrind --callgrind-out-file="$work/service" \
    "$bin" import --client "$client" "$work/referrals.csv" 2>/dev/null | tail -1
sleep 2
total() { grep -h -m1 '^summary:' "$@" | awk '{ n += $2 } END { printf "%.3f G", n / 1e9 }'; }
backends=$(ls "$work/out" | grep -vxFf "$work/before" | sed "s|^|$work/out/|")
# shellcheck disable=SC2086
echo "instructions for $rows rows: database $(total $backends), service $(total "$work/service")"
