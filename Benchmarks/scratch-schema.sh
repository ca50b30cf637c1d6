# Sourced by the SQL benchmarks: creates database $db on the cluster of admin URL $url (dropped again when the
# script exits), applies the sql/ migrations up to $upto into it, and sets $target to its URL.
target=$(echo "$url" | sed -E "s#^(postgres(ql)?://[^/?]*)(/[^?]*)?#\1/$db#")
psql "$url" -qX -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
trap 'psql "$url" -qX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null' EXIT
psql "$target" -qX -c "CREATE SCHEMA chokepoint_meta" -c "CREATE TABLE chokepoint_meta.schema_migrations (version integer PRIMARY KEY)" >/dev/null
for f in sql/[0-9][0-9][0-9]_*.up.sql; do
    n=$((10#$(basename "$f" | cut -c1-3)))
    [ "$n" -le "$upto" ] || continue
    psql "$target" -qX -v ON_ERROR_STOP=1 -1 -f "$f" >/dev/null
done
