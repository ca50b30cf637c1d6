-- History that grows for years: `payments`, `hits` and `audit_log` partitioned by calendar month (UTC),
-- converted in place with their data, and closed months archived (`chokepoint archive`).
--
-- Partition keys: payments by `received_at`, hits by `created_at`, audit_log by `at` (each row's own time,
-- set by the server when the row is written, so a row always lands in the current month's partition).
-- Partitions are named <table>_yYYYYmMM and created ahead by `chokepoint.ensure_partitions(months_ahead)`,
-- which `chokepoint migrate` and the daemon (hourly) call. There is no default partition: a row whose month
-- has no partition is refused (SQLSTATE 23514, "no partition of relation … found for row") and nothing is
-- written, so a payment is never stored where archiving or upkeep could lose track of it (fail closed).
--
-- What PostgreSQL 15 requires of a partitioned table, and what changes for it:
-- * A unique key must contain the partition key. Primary keys become (id, <month column>); ids still come
--   from one identity sequence per table, so `id` stays unique in practice and every lookup by id works.
-- * `payments.external_ref` stays unique across all months through `chokepoint.payment_refs`, whose primary
--   key is named `payments_external_ref_key` as before: a duplicate insert still fails with SQLSTATE 23505
--   naming that constraint. `INSERT … ON CONFLICT (external_ref)` is no longer possible (no arbiter index on
--   the partitioned table); a bank that retries checks `payment_refs` first or catches 23505.
--   References of archived months stay in payment_refs: an old reference can never be submitted again.
-- * `audit_log.chain_seq` loses its unique index (the chain's lock keeps positions unique; `audit verify`
--   reports a repeated position as a broken link).
-- * Foreign keys to payments and hits (hits, release_requests and retrospective_alerts to payments;
--   good_guys.from_hit_id to hits) become statement-level checks at insert (SQLSTATE 23503 as before).
--   Payments and hits are never deleted (no role may); only `chokepoint archive` detaches whole closed
--   months, after which release requests and acknowledged alerts may name archived payments.
-- Every trigger, grant and view on the three tables is kept.

-- The role that archives (created only where missing, as in 007).
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'chokepoint_archiver') THEN
        BEGIN
            CREATE ROLE chokepoint_archiver NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$roles$;

SET LOCAL ROLE chokepoint_owner;

-- ---------------------------------------------------------------------------------------------------
-- Months archived by `chokepoint archive`, and the audit chain's positions that left with them.
CREATE TABLE chokepoint.archived_months (
    month           date PRIMARY KEY CONSTRAINT archived_months_month_check CHECK (month = date_trunc('month', month)::date),
    archived_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    archived_by     text NOT NULL DEFAULT session_user,
    payments        bigint NOT NULL,
    hits            bigint NOT NULL,
    audit_rows      bigint NOT NULL,
    -- SHA-256 (hex) of the export's checksum file, which names each exported file's SHA-256.
    export_checksum text NOT NULL CONSTRAINT archived_months_checksum_check CHECK (export_checksum ~ '^[0-9a-f]{64}$'),
    dropped_at      timestamptz
);

-- The audit chain across a cut: each run of consecutive chain positions that an archived month took away,
-- with the hash of its last row. `audit verify` accepts a gap in the positions only where such runs cover
-- it exactly, and the row after the gap must follow the recorded hash. (A month's audit rows are usually one
-- run; a transaction that wrote a row just before midnight and committed after another made just after it
-- leaves two.)
CREATE TABLE chokepoint.audit_archived_runs (
    first_seq bigint PRIMARY KEY,
    last_seq  bigint NOT NULL,
    last_hash text NOT NULL CONSTRAINT audit_archived_runs_hash_check CHECK (last_hash ~ '^[0-9a-f]{64}$'),
    month     date NOT NULL REFERENCES chokepoint.archived_months (month),
    CONSTRAINT audit_archived_runs_order_check CHECK (last_seq >= first_seq)
);

-- Both are records of what was cut away: like the audit log, nobody changes or deletes them (dropping the
-- detached tables sets archived_months.dropped_at through archive_drop, the only update allowed).
CREATE FUNCTION chokepoint.archive_records_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'chokepoint' OR TG_TABLE_NAME NOT IN ('archived_months', 'audit_archived_runs') THEN
        RAISE EXCEPTION 'chokepoint.archive_records_refuse_change fires only on the archive records' USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- Nested: OLD.dropped_at exists only on archived_months.
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'archived_months' THEN
        IF OLD.dropped_at IS NULL AND NEW.dropped_at IS NOT NULL AND (to_jsonb(NEW) - 'dropped_at') = (to_jsonb(OLD) - 'dropped_at') THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'chokepoint.% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER archived_months_no_change BEFORE UPDATE OR DELETE ON chokepoint.archived_months
    FOR EACH ROW EXECUTE FUNCTION chokepoint.archive_records_refuse_change();
CREATE TRIGGER audit_archived_runs_no_change BEFORE UPDATE OR DELETE ON chokepoint.audit_archived_runs
    FOR EACH ROW EXECUTE FUNCTION chokepoint.archive_records_refuse_change();
CREATE TRIGGER archived_months_no_truncate BEFORE TRUNCATE ON chokepoint.archived_months
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.archive_records_refuse_change();
CREATE TRIGGER audit_archived_runs_no_truncate BEFORE TRUNCATE ON chokepoint.audit_archived_runs
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.archive_records_refuse_change();

-- ---------------------------------------------------------------------------------------------------
-- Partitions. The partitioned tables and the month column of each.
CREATE FUNCTION chokepoint.partitioned_tables() RETURNS TABLE (table_name text, key_column text)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    VALUES ('payments', 'received_at'), ('hits', 'created_at'), ('audit_log', 'at')
$$;

CREATE FUNCTION chokepoint.partition_name(table_name text, month date) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT table_name || '_y' || to_char(month, 'YYYY') || 'm' || to_char(month, 'MM')
$$;

-- Creates the three partitions of one month where missing (never for an archived month); returns how many
-- it created. Not API: called by ensure_partitions and by this migration. SECURITY DEFINER so that every
-- partition belongs to chokepoint_owner, whoever calls it (a superuser making a past month by hand included).
CREATE FUNCTION chokepoint.create_month_partitions(month date) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    t record;
    part text;
    created integer := 0;
    m date := date_trunc('month', month)::date;
BEGIN
    IF EXISTS (SELECT 1 FROM chokepoint.archived_months AS a WHERE a.month = m) THEN
        RETURN 0;
    END IF;
    FOR t IN SELECT * FROM chokepoint.partitioned_tables() LOOP
        part := chokepoint.partition_name(t.table_name, m);
        CONTINUE WHEN to_regclass(pg_catalog.format('chokepoint.%I', part)) IS NOT NULL;
        BEGIN
            EXECUTE pg_catalog.format('CREATE TABLE chokepoint.%I PARTITION OF chokepoint.%I FOR VALUES FROM (%L) TO (%L)',
                                      part, t.table_name, (m::timestamp AT TIME ZONE 'UTC'),
                                      ((m + interval '1 month')::timestamp AT TIME ZONE 'UTC'));
        EXCEPTION WHEN duplicate_table THEN
            CONTINUE;  -- made by a concurrent caller
        END;
        -- Statement-level triggers are not inherited: a partition of the audit log refuses TRUNCATE itself.
        IF t.table_name = 'audit_log' THEN
            EXECUTE pg_catalog.format('CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON chokepoint.%I '
                                      'FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.audit_log_refuse_change()', part);
        END IF;
        created := created + 1;
    END LOOP;
    RETURN created;
END
$$;

-- Makes sure the partitions of the current month (UTC) and of the next `months_ahead` months exist.
-- Returns the number of partitions created. Called by `chokepoint migrate` and hourly by the daemon.
-- It takes a lock on a table only to create a missing partition (once a month, for a moment).
CREATE FUNCTION chokepoint.ensure_partitions(months_ahead integer) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    created integer := 0;
    this_month date := date_trunc('month', clock_timestamp() AT TIME ZONE 'UTC')::date;
    missing boolean;
BEGIN
    IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 24 THEN
        RAISE EXCEPTION 'months_ahead must be between 0 and 24, not %', months_ahead USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT EXISTS (SELECT 1 FROM generate_series(0, months_ahead) AS i, chokepoint.partitioned_tables() AS t
                    WHERE to_regclass(pg_catalog.format('chokepoint.%I',
                              chokepoint.partition_name(t.table_name, (this_month + i * interval '1 month')::date))) IS NULL
                      AND NOT EXISTS (SELECT 1 FROM chokepoint.archived_months AS a
                                       WHERE a.month = (this_month + i * interval '1 month')::date))
      INTO missing;
    IF NOT missing THEN
        RETURN 0;
    END IF;
    -- Two daemons at the turn of the month: one creates, the other finds the partitions made.
    PERFORM pg_advisory_xact_lock(7432005);
    FOR i IN 0..months_ahead LOOP
        created := created + chokepoint.create_month_partitions((this_month + i * interval '1 month')::date);
    END LOOP;
    RETURN created;
END
$$;

-- How far ahead partitions exist: the first month (UTC) from now on without all three partitions.
CREATE FUNCTION chokepoint.partitions_until() RETURNS date
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT min(m)::date FROM generate_series(date_trunc('month', clock_timestamp() AT TIME ZONE 'UTC'),
                                             date_trunc('month', clock_timestamp() AT TIME ZONE 'UTC') + interval '25 months',
                                             interval '1 month') AS m
     WHERE EXISTS (SELECT 1 FROM chokepoint.partitioned_tables() AS t
                    WHERE to_regclass(pg_catalog.format('chokepoint.%I', chokepoint.partition_name(t.table_name, m::date))) IS NULL)
$$;

-- ---------------------------------------------------------------------------------------------------
-- References that were foreign keys: checked once per inserting statement.
CREATE FUNCTION chokepoint.payment_reference_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing bigint;
BEGIN
    IF TG_TABLE_SCHEMA <> 'chokepoint' OR TG_TABLE_NAME NOT IN ('hits', 'release_requests', 'retrospective_alerts')
       OR TG_OP <> 'INSERT' OR TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'chokepoint.payment_reference_check fires only after inserts into tables that name a payment'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT n.payment_id INTO missing FROM reference_new AS n
     WHERE NOT EXISTS (SELECT 1 FROM chokepoint.payments AS p WHERE p.id = n.payment_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'insert into chokepoint.% names payment %, which does not exist', TG_TABLE_NAME, missing
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION chokepoint.hit_reference_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing bigint;
BEGIN
    IF TG_RELID <> 'chokepoint.good_guys'::regclass OR TG_OP <> 'INSERT' OR TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'chokepoint.hit_reference_check fires only after inserts into chokepoint.good_guys'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT n.from_hit_id INTO missing FROM reference_new AS n
     WHERE n.from_hit_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chokepoint.hits AS h WHERE h.id = n.from_hit_id)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'good-guy record names hit %, which does not exist', missing USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION chokepoint.payments_register_refs() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_RELID <> 'chokepoint.payments'::regclass OR TG_OP <> 'INSERT' OR TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'chokepoint.payments_register_refs fires only after inserts into chokepoint.payments'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO chokepoint.payment_refs (external_ref, payment_id, received_at)
    SELECT n.external_ref, n.id, n.received_at FROM refs_new AS n;
    RETURN NULL;
END
$$;

-- Grants of one table (table and column level, all but the owner's) given on another: the conversions here
-- and in the .down.sql keep every privilege, including ones later migrations added. Not API.
CREATE FUNCTION chokepoint.copy_table_grants(source regclass, target regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    i record;
BEGIN
    FOR i IN SELECT a.privilege_type, a.grantee::regrole::text AS grantee
               FROM pg_class AS c, aclexplode(c.relacl) AS a
              WHERE c.oid = source AND a.grantee <> 0 AND a.grantee <> c.relowner LOOP
        EXECUTE pg_catalog.format('GRANT %s ON %s TO %I', i.privilege_type, target, i.grantee);
    END LOOP;
    FOR i IN SELECT a.privilege_type, a.grantee::regrole::text AS grantee, att.attname
               FROM pg_attribute AS att, aclexplode(att.attacl) AS a
              WHERE att.attrelid = source AND att.attnum > 0 AND NOT att.attisdropped AND a.grantee <> 0 LOOP
        EXECUTE pg_catalog.format('GRANT %s (%I) ON %s TO %I', i.privilege_type, i.attname, target, i.grantee);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- The conversion. Views over the three tables are kept by definition and re-created; foreign keys to
-- payments and hits are replaced (above); unknown ones stop the migration rather than vanish.
CREATE TABLE chokepoint.partition_saved_views (oid oid, name text, definition text, acl aclitem[]);
INSERT INTO chokepoint.partition_saved_views
SELECT DISTINCT v.oid, v.relname, pg_get_viewdef(v.oid), v.relacl
  FROM pg_depend AS d
  JOIN pg_rewrite AS w ON w.oid = d.objid
  JOIN pg_class AS v ON v.oid = w.ev_class
 WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
   AND d.refobjid IN ('chokepoint.payments'::regclass, 'chokepoint.hits'::regclass, 'chokepoint.audit_log'::regclass)
   AND v.relkind = 'v' AND v.oid NOT IN ('chokepoint.payments'::regclass, 'chokepoint.hits'::regclass, 'chokepoint.audit_log'::regclass);

DO $convert$
DECLARE
    v record;
    fk record;
    t record;
    i record;
    lo date;
    hi date;
    m date;
    next_id bigint;
    known_fks constant text[] := ARRAY['hits.hits_payment_id_fkey', 'release_requests.release_requests_payment_id_fkey',
                                       'retrospective_alerts.retrospective_alerts_payment_id_fkey', 'good_guys.good_guys_from_hit_id_fkey'];
    known_triggers constant text[] := ARRAY['payments.payments_guard', 'payments.payments_decided', 'payments.payments_wake',
                                            'audit_log.audit_log_no_update', 'audit_log.audit_log_no_truncate', 'audit_log.audit_log_chain'];
BEGIN
    -- Foreign keys pointing at the tables being converted.
    FOR fk IN SELECT c.conname, c.conrelid::regclass AS tbl, r.relname
                FROM pg_constraint AS c JOIN pg_class AS r ON r.oid = c.conrelid
               WHERE c.contype = 'f' AND c.confrelid IN ('chokepoint.payments'::regclass, 'chokepoint.hits'::regclass)
                 AND c.conrelid NOT IN ('chokepoint.payments'::regclass, 'chokepoint.hits'::regclass) LOOP
        IF NOT (fk.relname || '.' || fk.conname) = ANY (known_fks) THEN
            RAISE EXCEPTION 'migration 012 does not know foreign key % on %: give it a reference check like payment_reference_check',
                fk.conname, fk.tbl;
        END IF;
        EXECUTE pg_catalog.format('ALTER TABLE %s DROP CONSTRAINT %I', fk.tbl, fk.conname);
    END LOOP;
    FOR t IN SELECT tg.tgname, r.relname FROM pg_trigger AS tg JOIN pg_class AS r ON r.oid = tg.tgrelid
              WHERE NOT tg.tgisinternal AND tg.tgrelid IN ('chokepoint.payments'::regclass, 'chokepoint.hits'::regclass,
                                                           'chokepoint.audit_log'::regclass) LOOP
        IF NOT (t.relname || '.' || t.tgname) = ANY (known_triggers) THEN
            RAISE EXCEPTION 'migration 012 does not know trigger % on chokepoint.%: re-create it on the partitioned table', t.tgname, t.relname;
        END IF;
    END LOOP;
    FOR v IN SELECT * FROM chokepoint.partition_saved_views ORDER BY oid DESC LOOP
        EXECUTE pg_catalog.format('DROP VIEW chokepoint.%I', v.name);
    END LOOP;

    -- The months the data spans, and the current one.
    SELECT least(min(x), date_trunc('month', clock_timestamp() AT TIME ZONE 'UTC')::date),
           greatest(max(x), date_trunc('month', clock_timestamp() AT TIME ZONE 'UTC')::date)
      INTO lo, hi
      FROM (SELECT date_trunc('month', min(received_at) AT TIME ZONE 'UTC')::date FROM chokepoint.payments
            UNION ALL SELECT date_trunc('month', max(received_at) AT TIME ZONE 'UTC')::date FROM chokepoint.payments
            UNION ALL SELECT date_trunc('month', min(created_at) AT TIME ZONE 'UTC')::date FROM chokepoint.hits
            UNION ALL SELECT date_trunc('month', max(created_at) AT TIME ZONE 'UTC')::date FROM chokepoint.hits
            UNION ALL SELECT date_trunc('month', min(at) AT TIME ZONE 'UTC')::date FROM chokepoint.audit_log
            UNION ALL SELECT date_trunc('month', max(at) AT TIME ZONE 'UTC')::date FROM chokepoint.audit_log) AS s(x);

    FOR t IN SELECT * FROM chokepoint.partitioned_tables() LOOP
        -- Free the names: the old table, its identity sequence and its indexes get an _unpartitioned suffix.
        EXECUTE pg_catalog.format('ALTER TABLE chokepoint.%I RENAME TO %I', t.table_name, t.table_name || '_unpartitioned');
        EXECUTE pg_catalog.format('ALTER SEQUENCE chokepoint.%I RENAME TO %I', t.table_name || '_id_seq', t.table_name || '_unpartitioned_id_seq');
        FOR i IN SELECT c.relname FROM pg_index AS x JOIN pg_class AS c ON c.oid = x.indexrelid
                  WHERE x.indrelid = pg_catalog.format('chokepoint.%I', t.table_name || '_unpartitioned')::regclass LOOP
            EXECUTE pg_catalog.format('ALTER INDEX chokepoint.%I RENAME TO %I', i.relname, left(i.relname, 40) || '_unpartitioned');
        END LOOP;
        EXECUTE pg_catalog.format('CREATE TABLE chokepoint.%I (LIKE chokepoint.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY '
                                  'INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (%I)',
                                  t.table_name, t.table_name || '_unpartitioned', t.key_column);
    END LOOP;
    -- CHECK constraints came over with LIKE (payments_message_size_check stays NOT VALID, as before).

    m := lo;
    WHILE m <= hi + 3 * interval '1 month' LOOP
        PERFORM chokepoint.create_month_partitions(m);
        m := (m + interval '1 month')::date;
    END LOOP;

    FOR t IN SELECT * FROM chokepoint.partitioned_tables() LOOP
        EXECUTE pg_catalog.format('INSERT INTO chokepoint.%I OVERRIDING SYSTEM VALUE SELECT * FROM chokepoint.%I',
                                  t.table_name, t.table_name || '_unpartitioned');
        EXECUTE pg_catalog.format('SELECT coalesce(max(id), 0) + 1 FROM chokepoint.%I', t.table_name) INTO next_id;
        EXECUTE pg_catalog.format('SELECT greatest(%s, last_value + 1) FROM chokepoint.%I', next_id, t.table_name || '_unpartitioned_id_seq')
            INTO next_id;
        EXECUTE pg_catalog.format('ALTER TABLE chokepoint.%I ALTER COLUMN id RESTART WITH %s', t.table_name, next_id);
        -- Privileges, table and column level, as they were.
        PERFORM chokepoint.copy_table_grants(pg_catalog.format('chokepoint.%I', t.table_name || '_unpartitioned')::regclass,
                                             pg_catalog.format('chokepoint.%I', t.table_name)::regclass);
    END LOOP;
END
$convert$;

-- Keys and indexes (each a partitioned index: one per partition, made for new partitions too).
ALTER TABLE chokepoint.payments ADD CONSTRAINT payments_pkey PRIMARY KEY (id, received_at);
ALTER TABLE chokepoint.payments ADD CONSTRAINT payments_screening_run_id_fkey FOREIGN KEY (screening_run_id) REFERENCES chokepoint.screening_runs (id);
CREATE INDEX payments_pending_idx ON chokepoint.payments (id) WHERE status = 'pending';
CREATE INDEX payments_held_idx ON chokepoint.payments (id) WHERE status = 'held';
CREATE INDEX payments_released_idx ON chokepoint.payments (decided_at) WHERE status = 'released';

ALTER TABLE chokepoint.hits ADD CONSTRAINT hits_pkey PRIMARY KEY (id, created_at);
ALTER TABLE chokepoint.hits ADD CONSTRAINT hits_run_id_fkey FOREIGN KEY (run_id) REFERENCES chokepoint.screening_runs (id);
ALTER TABLE chokepoint.hits ADD CONSTRAINT hits_suppressed_by_fkey FOREIGN KEY (suppressed_by) REFERENCES chokepoint.good_guys (id);
CREATE INDEX hits_payment_idx ON chokepoint.hits (payment_id);

ALTER TABLE chokepoint.audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id, at);
CREATE INDEX audit_log_payment_idx ON chokepoint.audit_log (payment_id);
CREATE INDEX audit_log_policy_changed_idx ON chokepoint.audit_log (at) WHERE action = 'policy_data_changed';
CREATE INDEX audit_log_chain_seq_idx ON chokepoint.audit_log (chain_seq);

-- The uniqueness of external_ref across every month (the old unique index was renamed above).
CREATE TABLE chokepoint.payment_refs (
    external_ref text CONSTRAINT payments_external_ref_key PRIMARY KEY,
    payment_id   bigint NOT NULL,
    received_at  timestamptz NOT NULL
);

INSERT INTO chokepoint.payment_refs (external_ref, payment_id, received_at)
SELECT external_ref, id, received_at FROM chokepoint.payments;

-- A row trigger on a partitioned table fires on the partition: the chain trigger accepts the log's partitions.
CREATE OR REPLACE FUNCTION chokepoint.audit_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h chokepoint.audit_chain_head%ROWTYPE;
BEGIN
    IF pg_catalog.pg_partition_root(TG_RELID) IS DISTINCT FROM 'chokepoint.audit_log'::regclass OR TG_OP <> 'INSERT' OR TG_WHEN <> 'BEFORE' OR TG_LEVEL <> 'ROW' THEN
        RAISE EXCEPTION 'chokepoint.audit_log_chain fires only before inserts into chokepoint.audit_log' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO h FROM chokepoint.audit_chain_head WHERE singleton FOR UPDATE;
    NEW.actor := coalesce(NEW.actor, session_user);
    NEW.chain_seq := h.seq + 1;
    NEW.prev_hash := h.hash;
    NEW.row_hash := chokepoint.audit_row_hash(NEW.prev_hash, NEW.chain_seq, NEW.id, NEW.at, NEW.actor, NEW.action,
                                              NEW.payment_id, NEW.reason, NEW.detail);
    UPDATE chokepoint.audit_chain_head SET seq = NEW.chain_seq, hash = NEW.row_hash WHERE singleton;
    RETURN NEW;
END
$$;

-- Triggers, as 001 and 007 made them.
CREATE TRIGGER payments_guard AFTER UPDATE ON chokepoint.payments
    REFERENCING OLD TABLE AS guard_old NEW TABLE AS guard_new
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_guard();
CREATE TRIGGER payments_decided AFTER UPDATE ON chokepoint.payments
    REFERENCING OLD TABLE AS decided_old NEW TABLE AS decided_new
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_decided();
CREATE TRIGGER payments_wake AFTER INSERT ON chokepoint.payments
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_wake();
CREATE TRIGGER payments_register_refs AFTER INSERT ON chokepoint.payments
    REFERENCING NEW TABLE AS refs_new FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_register_refs();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON chokepoint.audit_log
    FOR EACH ROW EXECUTE FUNCTION chokepoint.audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON chokepoint.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.audit_log_refuse_change();
CREATE TRIGGER audit_log_chain BEFORE INSERT ON chokepoint.audit_log
    FOR EACH ROW WHEN (NEW.row_hash IS NULL) EXECUTE FUNCTION chokepoint.audit_log_chain();

CREATE TRIGGER hits_payment_exists AFTER INSERT ON chokepoint.hits
    REFERENCING NEW TABLE AS reference_new FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payment_reference_check();
CREATE TRIGGER release_requests_payment_exists AFTER INSERT ON chokepoint.release_requests
    REFERENCING NEW TABLE AS reference_new FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payment_reference_check();
CREATE TRIGGER retrospective_alerts_payment_exists AFTER INSERT ON chokepoint.retrospective_alerts
    REFERENCING NEW TABLE AS reference_new FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payment_reference_check();
CREATE TRIGGER good_guys_hit_exists AFTER INSERT ON chokepoint.good_guys
    REFERENCING NEW TABLE AS reference_new FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.hit_reference_check();

-- The views, as they were, with their privileges.
DO $views$
DECLARE
    v record;
    a record;
BEGIN
    FOR v IN SELECT * FROM chokepoint.partition_saved_views ORDER BY oid LOOP
        EXECUTE pg_catalog.format('CREATE VIEW chokepoint.%I AS %s', v.name, v.definition);
        FOR a IN SELECT x.privilege_type, x.grantee::regrole::text AS grantee FROM aclexplode(v.acl) AS x
                  WHERE x.grantee <> 0 AND x.grantee <> 'chokepoint_owner'::regrole LOOP
            EXECUTE pg_catalog.format('GRANT %s ON chokepoint.%I TO %I', a.privilege_type, v.name, a.grantee);
        END LOOP;
    END LOOP;
END
$views$;

DROP TABLE chokepoint.partition_saved_views, chokepoint.payments_unpartitioned, chokepoint.hits_unpartitioned, chokepoint.audit_log_unpartitioned;

-- ---------------------------------------------------------------------------------------------------
-- Archiving closed months. The role `chokepoint_archiver` (granted to the login that runs `chokepoint archive`)
-- reads the three tables to export a month, and calls these functions; nobody else may.

-- Why a month cannot be archived yet, or NULL when it can: it must be over, and nothing in it may still be
-- open (a payment pending, held or being screened, a hit or audit row of such a payment, an alert not yet
-- acknowledged on one of its payments).
CREATE FUNCTION chokepoint.archive_month_problem(month date) RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m date := date_trunc('month', month)::date;
    lo timestamptz := m::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (m + interval '1 month')::timestamp AT TIME ZONE 'UTC';
    n bigint;
BEGIN
    IF month IS NULL OR month <> m THEN
        RETURN 'a month is given as its first day';
    END IF;
    IF hi > clock_timestamp() THEN
        RETURN pg_catalog.format('%s is not over yet', to_char(m, 'YYYY-MM'));
    END IF;
    SELECT count(*) INTO n FROM chokepoint.payments AS p
     WHERE p.received_at >= lo AND p.received_at < hi AND p.status IN ('pending', 'held');
    IF n > 0 THEN
        RETURN pg_catalog.format('%s still has %s payment(s) pending or held', to_char(m, 'YYYY-MM'), n);
    END IF;
    SELECT count(*) INTO n FROM chokepoint.hits AS h JOIN chokepoint.payments AS p ON p.id = h.payment_id
     WHERE h.created_at >= lo AND h.created_at < hi AND p.status IN ('pending', 'held');
    IF n > 0 THEN
        RETURN pg_catalog.format('%s has %s hit(s) on payments still pending or held', to_char(m, 'YYYY-MM'), n);
    END IF;
    SELECT count(*) INTO n FROM chokepoint.screening_attempts AS s JOIN chokepoint.payments AS p ON p.id = s.payment_id
     WHERE p.received_at >= lo AND p.received_at < hi;
    IF n > 0 THEN
        RETURN pg_catalog.format('%s has %s payment(s) in screening', to_char(m, 'YYYY-MM'), n);
    END IF;
    SELECT count(*) INTO n FROM chokepoint.retrospective_alerts AS a JOIN chokepoint.payments AS p ON p.id = a.payment_id
     WHERE p.received_at >= lo AND p.received_at < hi AND a.acknowledged_at IS NULL;
    IF n > 0 THEN
        RETURN pg_catalog.format('%s has %s retrospective alert(s) not yet acknowledged', to_char(m, 'YYYY-MM'), n);
    END IF;
    RETURN NULL;
END
$$;

-- Records the archive of a month and detaches its three partitions, after checking again (under locks that
-- keep the month as it is) that it is closed and that its row counts are those exported. The audit chain's
-- positions that leave are recorded in audit_archived_runs.
CREATE FUNCTION chokepoint.archive_detach(month date, payments bigint, hits bigint, audit_rows bigint, export_checksum text)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m date := date_trunc('month', archive_detach.month)::date;
    problem text;
    n_payments bigint;
    n_hits bigint;
    n_audit bigint;
    t record;
BEGIN
    IF EXISTS (SELECT 1 FROM chokepoint.archived_months AS a WHERE a.month = m) THEN
        RETURN pg_catalog.format('%s was already archived', to_char(m, 'YYYY-MM'));
    END IF;
    IF to_regclass(pg_catalog.format('chokepoint.%I', chokepoint.partition_name('payments', m))) IS NULL THEN
        RAISE EXCEPTION '% has no partitions to archive', to_char(m, 'YYYY-MM') USING ERRCODE = 'no_data_found';
    END IF;
    -- The daemon's order (payments, then the audit log and hits), so waiting here never deadlocks with it.
    LOCK TABLE chokepoint.payments, chokepoint.audit_log, chokepoint.hits IN ACCESS EXCLUSIVE MODE;
    problem := chokepoint.archive_month_problem(m);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'cannot archive %: %', to_char(m, 'YYYY-MM'), problem USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    EXECUTE pg_catalog.format('SELECT count(*) FROM chokepoint.%I', chokepoint.partition_name('payments', m)) INTO n_payments;
    EXECUTE pg_catalog.format('SELECT count(*) FROM chokepoint.%I', chokepoint.partition_name('hits', m)) INTO n_hits;
    EXECUTE pg_catalog.format('SELECT count(*) FROM chokepoint.%I', chokepoint.partition_name('audit_log', m)) INTO n_audit;
    IF (n_payments, n_hits, n_audit) IS DISTINCT FROM (archive_detach.payments, archive_detach.hits, archive_detach.audit_rows) THEN
        RAISE EXCEPTION 'cannot archive %: it holds % payments, % hits and % audit rows, the export named %, % and %',
            to_char(m, 'YYYY-MM'), n_payments, n_hits, n_audit, archive_detach.payments, archive_detach.hits, archive_detach.audit_rows
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    INSERT INTO chokepoint.archived_months (month, payments, hits, audit_rows, export_checksum)
    VALUES (m, n_payments, n_hits, n_audit, archive_detach.export_checksum);
    EXECUTE pg_catalog.format($q$
        INSERT INTO chokepoint.audit_archived_runs (first_seq, last_seq, last_hash, month)
        SELECT min(chain_seq), max(chain_seq), (array_agg(row_hash ORDER BY chain_seq DESC))[1], %L
          FROM (SELECT chain_seq, row_hash, chain_seq - row_number() OVER (ORDER BY chain_seq) AS run
                  FROM chokepoint.%I WHERE chain_seq IS NOT NULL) AS r
         GROUP BY run$q$, m, chokepoint.partition_name('audit_log', m));
    FOR t IN SELECT * FROM chokepoint.partitioned_tables() LOOP
        EXECUTE pg_catalog.format('ALTER TABLE chokepoint.%I DETACH PARTITION chokepoint.%I', t.table_name, chokepoint.partition_name(t.table_name, m));
    END LOOP;
    INSERT INTO chokepoint.audit_log (actor, action, reason, detail)
    VALUES (session_user, 'month_archived', NULL,
            jsonb_build_object('month', to_char(m, 'YYYY-MM'), 'payments', n_payments, 'hits', n_hits, 'audit_rows', n_audit,
                               'export_checksum', archive_detach.export_checksum));
    RETURN pg_catalog.format('%s archived: %s payments, %s hits, %s audit rows detached', to_char(m, 'YYYY-MM'), n_payments, n_hits, n_audit);
END
$$;

-- Drops the detached tables of an archived month (`chokepoint archive --drop`).
CREATE FUNCTION chokepoint.archive_drop(month date) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    m date := date_trunc('month', archive_drop.month)::date;
    t record;
    part text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM chokepoint.archived_months AS a WHERE a.month = m) THEN
        RAISE EXCEPTION '% is not archived: nothing is dropped before it is exported and detached', to_char(m, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    FOR t IN SELECT * FROM chokepoint.partitioned_tables() LOOP
        part := chokepoint.partition_name(t.table_name, m);
        -- Only a detached table: an attached partition of that name would be live data.
        IF EXISTS (SELECT 1 FROM pg_class AS c WHERE c.oid = to_regclass(pg_catalog.format('chokepoint.%I', part)) AND NOT c.relispartition) THEN
            EXECUTE pg_catalog.format('DROP TABLE chokepoint.%I', part);
        END IF;
    END LOOP;
    UPDATE chokepoint.archived_months AS a SET dropped_at = clock_timestamp() WHERE a.month = m AND a.dropped_at IS NULL;
    RETURN pg_catalog.format('%s: detached tables dropped', to_char(m, 'YYYY-MM'));
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- Least privilege.
REVOKE ALL ON chokepoint.archived_months, chokepoint.audit_archived_runs, chokepoint.payment_refs FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA chokepoint FROM PUBLIC;
-- The daemon keeps partitions ahead; the bank reads references (to check before sending again).
GRANT EXECUTE ON FUNCTION chokepoint.ensure_partitions(integer), chokepoint.partitions_until() TO chokepoint_daemon, chokepoint_archiver;
GRANT SELECT ON chokepoint.payment_refs TO chokepoint_submitter, chokepoint_operator;
-- Whoever verifies the audit chain reads where it was cut.
GRANT SELECT ON chokepoint.archived_months, chokepoint.audit_archived_runs TO chokepoint_auditor, chokepoint_operator, chokepoint_archiver;
GRANT USAGE ON SCHEMA chokepoint TO chokepoint_archiver;
GRANT SELECT ON chokepoint.payments, chokepoint.hits, chokepoint.audit_log, chokepoint.audit_chain_head TO chokepoint_archiver;
GRANT EXECUTE ON FUNCTION chokepoint.archive_month_problem(date), chokepoint.archive_detach(date, bigint, bigint, bigint, text),
    chokepoint.archive_drop(date) TO chokepoint_archiver;

RESET ROLE;

-- `chokepoint archive` checks the schema version first (chokepoint_meta belongs to the migrating login).
GRANT USAGE ON SCHEMA chokepoint_meta TO chokepoint_archiver;
GRANT SELECT ON chokepoint_meta.schema_migrations TO chokepoint_archiver;
