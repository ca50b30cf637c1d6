#!/usr/bin/env bash
# What a small decision batch costs in the database as monthly partitions accumulate: for each number of past
# months, a scratch database with that many months of (empty) partitions behind the current one and 20,000 pending
# payments this month, then 300 batches of three payments, each as the daemon's batch touches the tables: the
# attempt record (INSERT into screening_attempts), the decision (UPDATE of payments with every trigger firing) and
# the hits insert of a batch without hits (its statement trigger fires all the same). Each under EXPLAIN (ANALYZE);
# prints the median milliseconds of each statement and trigger.
#
#   Benchmarks/decision-partitions.sh URL [SCHEMA_VERSION] [PAST_MONTHS ...]
#
# URL is an admin connection to a PostgreSQL cluster (a database chokepoint_partitions is created and dropped);
# SCHEMA_VERSION applies sql/ migrations up to that number (default: all); PAST_MONTHS default 0 24 120 (with the
# current month and the three made ahead: 4, 28 and 124 partitions a table). Alternate two versions to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: Benchmarks/decision-partitions.sh URL [SCHEMA_VERSION] [PAST_MONTHS ...]}
upto=${2:-999}
shift $(( $# > 1 ? 2 : 1 ))
months=("$@")
[ ${#months[@]} -gt 0 ] || months=(0 24 120)
db=chokepoint_partitions
for past in "${months[@]}"; do
    . Benchmarks/scratch-schema.sh
    psql "$target" -qX -v ON_ERROR_STOP=1 \
        -c "SELECT chokepoint.create_month_partitions((date_trunc('month', now() AT TIME ZONE 'UTC') - i * interval '1 month')::date)
              FROM generate_series(1, $past) AS i" \
        -c "INSERT INTO chokepoint.payments (external_ref, format, message)
            SELECT 'R' || g, 'mt103', repeat('x', 800) FROM generate_series(1, 20000) g" \
        -c "INSERT INTO chokepoint.screening_runs (kind) VALUES ('daemon')" -c "VACUUM ANALYZE" >/dev/null
    parts=$(psql "$target" -AtXc "SELECT count(*) FROM pg_inherits WHERE inhparent = 'chokepoint.payments'::regclass")
    for i in $(seq 0 299); do
        ids="$((i * 3 + 1)), $((i * 3 + 2)), $((i * 3 + 3))"
        echo "EXPLAIN (ANALYZE, SUMMARY) INSERT INTO chokepoint.screening_attempts (payment_id, attempts)"
        echo "       SELECT unnest(ARRAY[$ids]::bigint[]), 1;"
        echo "EXPLAIN (ANALYZE, SUMMARY) UPDATE chokepoint.payments SET status = 'released', decided_at = clock_timestamp(),"
        echo "       screened_at = clock_timestamp(), screening_run_id = (SELECT max(id) FROM chokepoint.screening_runs)"
        echo " WHERE id IN ($ids) AND status = 'pending';"
        echo "EXPLAIN (ANALYZE, SUMMARY) INSERT INTO chokepoint.hits (payment_id, run_id, kind, field, matched, score)"
        echo "       SELECT id, 1, 'sanctions', 'f', 'm', 1 FROM unnest(ARRAY[$ids]::bigint[]) AS id WHERE false;"
    done | psql "$target" -qX -v ON_ERROR_STOP=1 | awk -v parts="$parts" '
        /^ *(Insert on|Update on) [a-z_]+ / && !($0 ~ /_y[0-9]/) { stmt = ($1 == "Update" ? "UPDATE payments" : "INSERT " $3) }
        /^ *Trigger / {
            for (i = 1; i <= NF; i++) if ($i ~ /^time=/) t = substr($i, 6)
            name = $2; sub(/:$/, "", name)
            v["  trigger " name] = v["  trigger " name] " " t
        }
        /^ *Execution Time:/ { v[stmt " (with its triggers)"] = v[stmt " (with its triggers)"] " " $3 }
        END {
            for (k in v) {
                n = split(v[k], a, " ")
                for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { x = a[i]; a[i] = a[j]; a[j] = x }
                m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
                printf "%4d partitions  %-50s median %7.3f ms over %d\n", parts, k, m, n
            }
        }' | sort -k3
done
