#!/usr/bin/env bash
# What the database spends on deciding payments, without the daemon: 20,000 pending payments decided in
# 40 UPDATE statements of 500 (as the workers batch them) under one screening run, with every trigger of
# the schema firing (status guard, audit rows and their hash chain, notifications). Prints milliseconds.
#
#   Benchmarks/decision-sql-cost.sh URL [SCHEMA_VERSION]
#
# URL is an admin connection to a PostgreSQL cluster (a database chokepoint_sqlcost is created and
# dropped); SCHEMA_VERSION applies sql/ migrations up to that number (default: all). Run it for two
# versions to see what a migration costs per decision.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: Benchmarks/decision-sql-cost.sh URL [SCHEMA_VERSION]}
upto=${2:-999}
db=chokepoint_sqlcost
. Benchmarks/scratch-schema.sh
psql "$target" -qX -c "INSERT INTO chokepoint.payments (external_ref, format, message)
                       SELECT 'R' || g, 'mt103', repeat('x', 800) FROM generate_series(1, 20000) g" \
                  -c "INSERT INTO chokepoint.screening_runs (kind) VALUES ('daemon')" >/dev/null
script=$(mktemp)
{
    echo "SELECT clock_timestamp() AS t0 \\gset"
    for i in $(seq 0 39); do
        echo "UPDATE chokepoint.payments SET status = 'released', decided_at = clock_timestamp(), screened_at = clock_timestamp(),"
        echo "       screening_run_id = (SELECT max(id) FROM chokepoint.screening_runs) WHERE id > $((i * 500)) AND id <= $(((i + 1) * 500));"
    done
    echo "SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000) AS ms \\gset"
    echo "\\echo decided 20000 payments in 40 statements: :ms ms"
} >"$script"
psql "$target" -qX -v ON_ERROR_STOP=1 -f "$script" | grep -v '^UPDATE'
rm -f "$script"
