#!/usr/bin/env bash
# Peak daemon memory with 20 messages of 51 MB each, with the default byte budget per batch and with an
# effectively unbounded one. Prints the peak RSS (VmHWM) of `chokepoint run --workers 1` for each.
#
#   Benchmarks/large-messages.sh URL     (an admin connection; database chokepoint_bigmsg is created and dropped)
#
# Needs a release build (swift build -c release --product chokepoint).
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: Benchmarks/large-messages.sh URL}
db=chokepoint_bigmsg
target=$(echo "$url" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\\1/$db#")
bin=.build/release/chokepoint
psql "$url" -qX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null 2>&1
trap 'psql "$url" -qX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1' EXIT
CHOKEPOINT_SQL_DIR=sql "$bin" migrate --database-url "$target" >/dev/null
# Messages up to 64 MiB for this measurement (the default limit is 1 MiB).
psql "$target" -qX -c "UPDATE chokepoint.settings SET value = '67108864' WHERE key = 'max_message_bytes'"
measure() {
    psql "$target" -qX -c "INSERT INTO chokepoint.payments (external_ref, format, message)
                           SELECT 'BIG-' || g || '-' || random(), 'mt103', repeat(md5(g::text), 1600000) FROM generate_series(1, 20) g"
    "$bin" run --database-url "$target" --workers 1 "$@" 2>/dev/null &
    local pid=$! pending=20 peak=0
    for _ in $(seq 1 600); do
        sleep 0.2
        peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo "$peak")
        pending=$(psql "$target" -qXtA -c "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")
        [ "$pending" = "0" ] && break
    done
    kill "$pid"; wait "$pid" 2>/dev/null || true
    echo "run ${*:-(default --batch-bytes 16777216)}: 20 messages of 51 MB, $pending left pending, peak RSS $((peak / 1024)) MB"
}
measure
measure --batch-bytes 1073741824
