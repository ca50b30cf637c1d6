#!/usr/bin/env bash
# Where a 500-payment decision goes in the database, trigger by trigger: 20 UPDATEs of 500 pending payments in one
# session, each under EXPLAIN (ANALYZE) with every trigger of the schema firing (the UPDATE of decision-sql-cost.sh).
# Prints, per trigger and for the whole statement, the median milliseconds over the 20 statements.
#
#   Benchmarks/decision-triggers.sh URL [SCHEMA_VERSION]
#
# URL is an admin connection to a PostgreSQL cluster (a database chokepoint_triggers is created and dropped);
# SCHEMA_VERSION applies sql/ migrations up to that number (default: all). Alternate two versions to compare.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: Benchmarks/decision-triggers.sh URL [SCHEMA_VERSION]}
upto=${2:-999}
db=chokepoint_triggers
. Benchmarks/scratch-schema.sh
psql "$target" -qX -c "INSERT INTO chokepoint.payments (external_ref, format, message)
                       SELECT 'R' || g, 'mt103', repeat('x', 800) FROM generate_series(1, 20000) g" \
                  -c "INSERT INTO chokepoint.screening_runs (kind) VALUES ('daemon')" -c "VACUUM ANALYZE" >/dev/null
for i in $(seq 0 19); do
    echo "EXPLAIN (ANALYZE) UPDATE chokepoint.payments SET status = 'released', decided_at = clock_timestamp(),"
    echo "       screened_at = clock_timestamp(), screening_run_id = (SELECT max(id) FROM chokepoint.screening_runs)"
    echo " WHERE id > $((i * 500)) AND id <= $(((i + 1) * 500));"
done | psql "$target" -qX -v ON_ERROR_STOP=1 | awk '
    /^ *Trigger / {
        name = ($0 ~ /Trigger for constraint/) ? "foreign key " $4 : $2
        for (i = 1; i <= NF; i++) if ($i ~ /^time=/) t = substr($i, 6)
        v[name] = v[name] " " t
    }
    /^ *Execution Time:/ { v["(the statement)"] = v["(the statement)"] " " $3 }
    END {
        for (k in v) {
            n = split(v[k], a, " ")
            for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { x = a[i]; a[i] = a[j]; a[j] = x }
            m = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
            printf "%-45s median %7.2f ms over %d statements\n", k, m, n
        }
    }' | sort
