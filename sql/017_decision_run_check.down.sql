-- Back to schema 16: the foreign key from payments to the screening run, and the functions as they were.
SET LOCAL ROLE chokepoint_owner;

DROP TRIGGER screening_runs_keep ON chokepoint.screening_runs;
DROP TRIGGER screening_runs_keep_id ON chokepoint.screening_runs;
DROP TRIGGER screening_runs_no_truncate ON chokepoint.screening_runs;
DROP FUNCTION chokepoint.screening_runs_refuse_change();

CREATE OR REPLACE FUNCTION chokepoint.payments_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET enable_nestloop = off AS $$
DECLARE
    in_api boolean := current_user = 'chokepoint_owner';
    b record;
BEGIN
    IF TG_RELID <> 'chokepoint.payments'::regclass OR TG_OP <> 'UPDATE' OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'chokepoint.payments_guard fires only after updates of chokepoint.payments' USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT o.id, o.status AS old_status, n.status AS new_status,
           (n.id IS NULL OR n.external_ref <> o.external_ref OR n.format <> o.format OR n.message <> o.message
            OR n.received_at <> o.received_at) AS content_changed,
           (n.status <> o.status AND NOT ((o.status = 'pending' AND n.status IN ('released', 'held'))
                                          OR (o.status = 'held' AND n.status IN ('released', 'rejected')))) AS bad_transition,
           (o.status <> 'pending' AND NOT in_api) AS decided_touched
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
    END IF;
    RAISE EXCEPTION 'payment %: a decision must name a screening run started by %', b.id, session_user
        USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER payments_run_insert ON chokepoint.payments;
DROP FUNCTION chokepoint.payment_run_check();

ALTER TABLE chokepoint.payments ADD CONSTRAINT payments_screening_run_id_fkey FOREIGN KEY (screening_run_id) REFERENCES chokepoint.screening_runs (id);

RESET ROLE;
