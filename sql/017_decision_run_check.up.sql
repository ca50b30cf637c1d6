-- The screening run a payment's decision names is checked once per statement instead of once per decided payment.
--
-- payments.screening_run_id referenced screening_runs by a foreign key. Its trigger runs one query per updated row
-- (and locks the run's row for each): in a 500-payment decision, 500 calls and 2.9 ms of the UPDATE's 24 ms in the
-- database (EXPLAIN ANALYZE with every trigger of the schema firing), as much as the row of screening keys each
-- decided payment gets (schema 13) and more than the status guard's whole statement-level check (1 ms). The rule
-- stays, enforced where the statements already look (SQLSTATE 23503 as before):
--
-- * An UPDATE that decides a pending payment outside the operator functions: payments_guard already requires the
--   run to be the session user's own daemon or rescreen run, in its one join over the statement's rows.
-- * Any other UPDATE that gives a payment a run (the owner's functions, an UPDATE of a pending payment):
--   payments_guard now checks that the run exists.
-- * An INSERT that names a run (only the owner can: the submitter's column grant leaves screening_run_id out): a row
--   trigger checks it, called only for such rows (its WHEN clause), so the bank's inserts call nothing more.
-- * A run cannot disappear or change its id: screening_runs refuses DELETE, TRUNCATE and a new id. The foreign key
--   refused deleting a run a payment names (and locked the run's row so that no concurrent DELETE could); nothing
--   deletes runs (they are the record of which run decided each payment, and hits and rescreen runs name them too).
--
-- What the foreign key covered and these checks do not: an UPDATE naming a month's partition directly
-- (chokepoint.payments_yYYYYmMM) fires no statement trigger of the parent, as for payments_guard, payments_decided
-- and the audit chain; only the owner and superusers can write a partition, and they can also disable triggers and
-- drop constraints. A partition attached from elsewhere is not checked for its run ids either.
SET LOCAL ROLE chokepoint_owner;

ALTER TABLE chokepoint.payments DROP CONSTRAINT payments_screening_run_id_fkey;

-- As in schema 7 (with schema 16's planner setting), plus the run's existence. SECURITY INVOKER, as before.
CREATE OR REPLACE FUNCTION chokepoint.payments_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET enable_nestloop = off AS $$
DECLARE
    in_api boolean := current_user = 'chokepoint_owner';
    b record;
BEGIN
    IF TG_RELID <> 'chokepoint.payments'::regclass OR TG_OP <> 'UPDATE' OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'chokepoint.payments_guard fires only after updates of chokepoint.payments' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT o.id, o.status AS old_status, n.status AS new_status, n.screening_run_id AS run_id,
           (n.id IS NULL OR n.external_ref <> o.external_ref OR n.format <> o.format OR n.message <> o.message
            OR n.received_at <> o.received_at) AS content_changed,
           (n.status <> o.status AND NOT ((o.status = 'pending' AND n.status IN ('released', 'held'))
                                          OR (o.status = 'held' AND n.status IN ('released', 'rejected')))) AS bad_transition,
           (o.status <> 'pending' AND NOT in_api) AS decided_touched,
           -- Computed for the one row found only.
           (n.screening_run_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM chokepoint.screening_runs AS r WHERE r.id = n.screening_run_id)) AS missing_run
      INTO b
      FROM guard_old AS o LEFT JOIN guard_new AS n ON n.id = o.id
     WHERE n.id IS NULL OR n.external_ref <> o.external_ref OR n.format <> o.format OR n.message <> o.message
        OR n.received_at <> o.received_at
        OR (n.status <> o.status AND NOT ((o.status = 'pending' AND n.status IN ('released', 'held'))
                                          OR (o.status = 'held' AND n.status IN ('released', 'rejected'))))
        OR (o.status <> 'pending' AND NOT in_api)
        OR (o.status = 'pending' AND n.status <> 'pending' AND NOT in_api
            AND NOT EXISTS (SELECT 1 FROM chokepoint.screening_runs AS r
                             WHERE r.id = n.screening_run_id AND r.created_by = session_user AND r.kind IN ('daemon', 'rescreen')))
        -- A run given otherwise (the decision above is checked more strictly) must exist.
        OR ((in_api OR n.status = 'pending') AND n.screening_run_id IS NOT NULL
            AND n.screening_run_id IS DISTINCT FROM o.screening_run_id
            AND NOT EXISTS (SELECT 1 FROM chokepoint.screening_runs AS r WHERE r.id = n.screening_run_id))
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;
    ELSIF b.content_changed THEN
        RAISE EXCEPTION 'a payment''s id, reference, format, message and receipt time cannot change' USING ERRCODE = 'check_violation';
    ELSIF b.decided_touched THEN
        RAISE EXCEPTION 'payment % is %: only chokepoint.release_hold or chokepoint.reject_hold may change a decided payment',
            b.id, b.old_status USING ERRCODE = 'insufficient_privilege';
    ELSIF b.bad_transition THEN
        RAISE EXCEPTION 'payment %: status % cannot become %', b.id, b.old_status, b.new_status USING ERRCODE = 'check_violation';
    ELSIF b.missing_run THEN
        RAISE EXCEPTION 'payment %: screening run % does not exist', b.id, b.run_id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RAISE EXCEPTION 'payment %: a decision must name a screening run started by %', b.id, session_user
        USING ERRCODE = 'insufficient_privilege';
END
$$;

-- A payment inserted with a run (the owner's, or a superuser's): one row trigger whose WHEN clause skips the bank's
-- inserts (they cannot name a run) without calling any function. A row trigger of the partitioned table is cloned
-- onto every partition, so an INSERT naming a month's partition directly is checked too.
CREATE FUNCTION chokepoint.payment_run_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Row triggers of a partitioned table fire on its partitions: TG_RELID is the month's partition.
    IF pg_catalog.pg_partition_root(TG_RELID) IS DISTINCT FROM 'chokepoint.payments'::regclass OR TG_OP <> 'INSERT'
       OR TG_LEVEL <> 'ROW' OR TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'chokepoint.payment_run_check fires only after inserts into chokepoint.payments'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM chokepoint.screening_runs AS r WHERE r.id = NEW.screening_run_id) THEN
        RAISE EXCEPTION 'payment %: screening run % does not exist', NEW.id, NEW.screening_run_id
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION chokepoint.payment_run_check() FROM PUBLIC;
CREATE TRIGGER payments_run_insert AFTER INSERT ON chokepoint.payments
    FOR EACH ROW WHEN (NEW.screening_run_id IS NOT NULL) EXECUTE FUNCTION chokepoint.payment_run_check();

CREATE FUNCTION chokepoint.screening_runs_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'chokepoint.screening_runs keeps every run: % of a run (or of its id) refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
REVOKE EXECUTE ON FUNCTION chokepoint.screening_runs_refuse_change() FROM PUBLIC;

CREATE TRIGGER screening_runs_keep BEFORE DELETE ON chokepoint.screening_runs
    FOR EACH ROW EXECUTE FUNCTION chokepoint.screening_runs_refuse_change();
CREATE TRIGGER screening_runs_keep_id BEFORE UPDATE OF id ON chokepoint.screening_runs
    FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION chokepoint.screening_runs_refuse_change();
CREATE TRIGGER screening_runs_no_truncate BEFORE TRUNCATE ON chokepoint.screening_runs
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.screening_runs_refuse_change();

RESET ROLE;
