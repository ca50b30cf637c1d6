-- Back to plain tables, with the data of every attached partition. Refused once a month was archived:
-- the records of the cut (archived_months, audit_archived_runs) would be lost, and with them the proof that
-- the audit chain is whole.
SET LOCAL ROLE chokepoint_owner;

DO $check$
BEGIN
    IF EXISTS (SELECT 1 FROM chokepoint.archived_months) THEN
        RAISE EXCEPTION 'months were archived (chokepoint.archived_months): migration 012 cannot be reverted'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
END
$check$;

CREATE TABLE chokepoint.partition_saved_views (oid oid, name text, definition text, acl aclitem[]);
INSERT INTO chokepoint.partition_saved_views
SELECT DISTINCT v.oid, v.relname, pg_get_viewdef(v.oid), v.relacl
  FROM pg_depend AS d
  JOIN pg_rewrite AS w ON w.oid = d.objid
  JOIN pg_class AS v ON v.oid = w.ev_class
 WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
   AND d.refobjid IN ('chokepoint.payments'::regclass, 'chokepoint.hits'::regclass, 'chokepoint.audit_log'::regclass)
   AND v.relkind = 'v' AND v.oid NOT IN ('chokepoint.payments'::regclass, 'chokepoint.hits'::regclass, 'chokepoint.audit_log'::regclass);

ALTER TABLE chokepoint.payment_refs RENAME CONSTRAINT payments_external_ref_key TO payment_refs_pkey;
DROP TRIGGER hits_payment_exists ON chokepoint.hits;
DROP TRIGGER release_requests_payment_exists ON chokepoint.release_requests;
DROP TRIGGER retrospective_alerts_payment_exists ON chokepoint.retrospective_alerts;
DROP TRIGGER good_guys_hit_exists ON chokepoint.good_guys;

DO $convert$
DECLARE
    v record;
    t record;
    i record;
    next_id bigint;
BEGIN
    FOR v IN SELECT * FROM chokepoint.partition_saved_views ORDER BY oid DESC LOOP
        EXECUTE pg_catalog.format('DROP VIEW chokepoint.%I', v.name);
    END LOOP;
    FOR t IN SELECT * FROM chokepoint.partitioned_tables() LOOP
        EXECUTE pg_catalog.format('ALTER TABLE chokepoint.%I RENAME TO %I', t.table_name, t.table_name || '_partitioned');
        EXECUTE pg_catalog.format('ALTER SEQUENCE chokepoint.%I RENAME TO %I', t.table_name || '_id_seq', t.table_name || '_partitioned_id_seq');
        FOR i IN SELECT c.relname FROM pg_index AS x JOIN pg_class AS c ON c.oid = x.indexrelid
                  WHERE x.indrelid = pg_catalog.format('chokepoint.%I', t.table_name || '_partitioned')::regclass LOOP
            EXECUTE pg_catalog.format('ALTER INDEX chokepoint.%I RENAME TO %I', i.relname, left(i.relname, 40) || '_partitioned');
        END LOOP;
        EXECUTE pg_catalog.format('CREATE TABLE chokepoint.%I (LIKE chokepoint.%I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY '
                                  'INCLUDING STORAGE INCLUDING COMMENTS)', t.table_name, t.table_name || '_partitioned');
        EXECUTE pg_catalog.format('INSERT INTO chokepoint.%I OVERRIDING SYSTEM VALUE SELECT * FROM chokepoint.%I',
                                  t.table_name, t.table_name || '_partitioned');
        EXECUTE pg_catalog.format('SELECT greatest(coalesce((SELECT max(id) FROM chokepoint.%I), 0) + 1, last_value + 1) FROM chokepoint.%I',
                                  t.table_name, t.table_name || '_partitioned_id_seq') INTO next_id;
        EXECUTE pg_catalog.format('ALTER TABLE chokepoint.%I ALTER COLUMN id RESTART WITH %s', t.table_name, next_id);
        PERFORM chokepoint.copy_table_grants(pg_catalog.format('chokepoint.%I', t.table_name || '_partitioned')::regclass,
                                             pg_catalog.format('chokepoint.%I', t.table_name)::regclass);
    END LOOP;
END
$convert$;

ALTER TABLE chokepoint.payments ADD CONSTRAINT payments_pkey PRIMARY KEY (id);
ALTER TABLE chokepoint.payments ADD CONSTRAINT payments_external_ref_key UNIQUE (external_ref);
ALTER TABLE chokepoint.payments ADD CONSTRAINT payments_screening_run_id_fkey FOREIGN KEY (screening_run_id) REFERENCES chokepoint.screening_runs (id);
CREATE INDEX payments_pending_idx ON chokepoint.payments (id) WHERE status = 'pending';
CREATE INDEX payments_held_idx ON chokepoint.payments (id) WHERE status = 'held';
CREATE INDEX payments_released_idx ON chokepoint.payments (decided_at) WHERE status = 'released';

ALTER TABLE chokepoint.hits ADD CONSTRAINT hits_pkey PRIMARY KEY (id);
ALTER TABLE chokepoint.hits ADD CONSTRAINT hits_payment_id_fkey FOREIGN KEY (payment_id) REFERENCES chokepoint.payments (id);
ALTER TABLE chokepoint.hits ADD CONSTRAINT hits_run_id_fkey FOREIGN KEY (run_id) REFERENCES chokepoint.screening_runs (id);
ALTER TABLE chokepoint.hits ADD CONSTRAINT hits_suppressed_by_fkey FOREIGN KEY (suppressed_by) REFERENCES chokepoint.good_guys (id);
CREATE INDEX hits_payment_idx ON chokepoint.hits (payment_id);

ALTER TABLE chokepoint.audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY (id);
CREATE INDEX audit_log_payment_idx ON chokepoint.audit_log (payment_id);
CREATE INDEX audit_log_policy_changed_idx ON chokepoint.audit_log (at) WHERE action = 'policy_data_changed';
CREATE UNIQUE INDEX audit_log_chain_seq_key ON chokepoint.audit_log (chain_seq);

ALTER TABLE chokepoint.release_requests ADD CONSTRAINT release_requests_payment_id_fkey
    FOREIGN KEY (payment_id) REFERENCES chokepoint.payments (id);
ALTER TABLE chokepoint.retrospective_alerts ADD CONSTRAINT retrospective_alerts_payment_id_fkey
    FOREIGN KEY (payment_id) REFERENCES chokepoint.payments (id);
ALTER TABLE chokepoint.good_guys ADD CONSTRAINT good_guys_from_hit_id_fkey
    FOREIGN KEY (from_hit_id) REFERENCES chokepoint.hits (id);

CREATE OR REPLACE FUNCTION chokepoint.audit_log_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h chokepoint.audit_chain_head%ROWTYPE;
BEGIN
    IF TG_RELID <> 'chokepoint.audit_log'::regclass OR TG_OP <> 'INSERT' OR TG_WHEN <> 'BEFORE' OR TG_LEVEL <> 'ROW' THEN
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

CREATE TRIGGER payments_guard AFTER UPDATE ON chokepoint.payments
    REFERENCING OLD TABLE AS guard_old NEW TABLE AS guard_new
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_guard();
CREATE TRIGGER payments_decided AFTER UPDATE ON chokepoint.payments
    REFERENCING OLD TABLE AS decided_old NEW TABLE AS decided_new
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_decided();
CREATE TRIGGER payments_wake AFTER INSERT ON chokepoint.payments
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_wake();
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON chokepoint.audit_log
    FOR EACH ROW EXECUTE FUNCTION chokepoint.audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON chokepoint.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.audit_log_refuse_change();
CREATE TRIGGER audit_log_chain BEFORE INSERT ON chokepoint.audit_log
    FOR EACH ROW WHEN (NEW.row_hash IS NULL) EXECUTE FUNCTION chokepoint.audit_log_chain();

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

DROP TABLE chokepoint.partition_saved_views, chokepoint.payments_partitioned, chokepoint.hits_partitioned,
    chokepoint.audit_log_partitioned, chokepoint.payment_refs, chokepoint.audit_archived_runs, chokepoint.archived_months;
DROP FUNCTION chokepoint.archive_drop(date), chokepoint.archive_detach(date, bigint, bigint, bigint, text),
    chokepoint.archive_month_problem(date), chokepoint.payments_register_refs(), chokepoint.hit_reference_check(),
    chokepoint.payment_reference_check(), chokepoint.partitions_until(), chokepoint.ensure_partitions(integer),
    chokepoint.create_month_partitions(date), chokepoint.partition_name(text, date), chokepoint.partitioned_tables(),
    chokepoint.archive_records_refuse_change(), chokepoint.copy_table_grants(regclass, regclass);

RESET ROLE;
