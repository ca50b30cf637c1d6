#!/usr/bin/env bash
# Which join the decision triggers use for a large batch after a session began with single decisions (steady
# traffic), and what it costs: in one session, eight UPDATEs that decide one payment each, then one that decides
# 500 (a backlog), with auto_explain reporting the plans of the statements the triggers run. Prints, for the
# join of old and new rows in payments_guard and payments_decided, the join node, its rows removed by the join
# filter and its time, then the 500-row UPDATE's own time.
#
#   Benchmarks/transition-join-plans.sh URL [SCHEMA_VERSION]
#
# URL is an admin (superuser: auto_explain is loaded) connection to a PostgreSQL cluster (a database
# chokepoint_joinplans is created and dropped); SCHEMA_VERSION applies sql/ migrations up to that number
# (default: all). Run it with 15 and 16 to see what migration 016 changes.
set -euo pipefail
cd "$(dirname "$0")/.."
url=${1:?usage: Benchmarks/transition-join-plans.sh URL [SCHEMA_VERSION]}
upto=${2:-999}
db=chokepoint_joinplans
. Benchmarks/scratch-schema.sh
psql "$target" -qX -c "INSERT INTO chokepoint.payments (external_ref, format, message)
                       SELECT 'R' || g, 'mt103', repeat('x', 800) FROM generate_series(1, 2000) g" \
                  -c "INSERT INTO chokepoint.screening_runs (kind) VALUES ('daemon')" >/dev/null
script=$(mktemp)
cat >"$script" <<'SQL'
\set decide 'UPDATE chokepoint.payments SET status = ''released'', decided_at = clock_timestamp(), screening_run_id = (SELECT max(id) FROM chokepoint.screening_runs) WHERE id IN (SELECT id FROM chokepoint.payments WHERE status = ''pending'' ORDER BY id LIMIT '
:decide 1);
:decide 1);
:decide 1);
:decide 1);
:decide 1);
:decide 1);
:decide 1);
:decide 1);
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_level = 'notice';
SET client_min_messages = notice;
\timing on
:decide 500);
SQL
out=$(mktemp)
psql "$target" -X -v ON_ERROR_STOP=1 -f "$script" >"$out" 2>&1
# The join of each trigger: the node, then its filter lines (rows removed by the join filter: pairs compared in vain).
grep -E -A3 '(Nested Loop|Hash( Left)? Join) ' "$out" | grep -E 'Nested Loop|Hash( Left)? Join|Rows Removed by Join Filter' \
    | sed -E 's/ *\(cost=[^)]*\)//; s/^ *(->)? *//'
grep -E '^Time:' "$out" | tail -1 | sed 's/^/the 500-payment UPDATE (auto_explain timing on): /'
rm -f "$script" "$out"
