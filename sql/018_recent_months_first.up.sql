-- Two existence checks that read every monthly partition of `payments` in every statement look in the recent
-- months first, and at the whole table only when those do not settle it; what they accept and refuse is unchanged.
--
-- PostgreSQL 15 starts a plan over a partitioned table by opening every partition the plan names, whether or not a
-- row is then read there, and the checks run in each decision batch: `payment_reference_check` after the daemon's
-- record statement inserts hits (with no hits too: the statement trigger fires for an empty insert), and
-- `screening_attempts_guard` after every attempt record. With 124 monthly partitions (ten years kept attached),
-- the first cost 0.41 ms per batch against 0.03 ms with 4, the second 0.13 ms with 28 against 0.03 with 4
-- (Benchmarks/decision-partitions.sh; docs/PERFORMANCE.md, "Years of partitions in a decision").
--
-- The recent months are the partitions of the current and the previous month, up to a day ahead of now (the months
-- created ahead are empty): PostgreSQL prunes the others when the statement starts, as the bounds are stable
-- expressions. The payments a batch decides and the attempts it records are its pending payments, received in those
-- months unless the queue is over a month old; the slower whole-table check then runs, exactly as before. The
-- bounds depend on the session's time zone (date_trunc); any bound is correct, as the whole-table check follows.
SET LOCAL ROLE chokepoint_owner;

CREATE OR REPLACE FUNCTION chokepoint.payment_reference_check() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing bigint;
    recent_from timestamptz := date_trunc('month', now()) - interval '1 month';
    recent_until timestamptz := now() + interval '1 day';
BEGIN
    IF TG_TABLE_SCHEMA <> 'chokepoint' OR TG_TABLE_NAME NOT IN ('hits', 'release_requests', 'retrospective_alerts')
       OR TG_OP <> 'INSERT' OR TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'chokepoint.payment_reference_check fires only after inserts into tables that name a payment'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT n.payment_id INTO missing FROM reference_new AS n
     WHERE NOT EXISTS (SELECT 1 FROM chokepoint.payments AS p
                        WHERE p.id = n.payment_id
                          AND p.received_at >= recent_from AND p.received_at < recent_until)
     LIMIT 1;
    IF FOUND THEN
        SELECT n.payment_id INTO missing FROM reference_new AS n
         WHERE NOT EXISTS (SELECT 1 FROM chokepoint.payments AS p WHERE p.id = n.payment_id)
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'insert into chokepoint.% names payment %, which does not exist', TG_TABLE_NAME, missing
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.screening_attempts_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    highest bigint;
    recent_from timestamptz := date_trunc('month', now()) - interval '1 month';
    recent_until timestamptz := now() + interval '1 day';
BEGIN
    IF TG_RELID <> 'chokepoint.screening_attempts'::regclass OR TG_OP <> 'INSERT' OR TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'chokepoint.screening_attempts_guard fires only after inserts into chokepoint.screening_attempts'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT max(n.payment_id) INTO highest FROM attempts_new AS n;
    IF highest > (SELECT coalesce(max(p.id), 0) FROM chokepoint.payments AS p
                   WHERE p.received_at >= recent_from AND p.received_at < recent_until) THEN
        IF highest > (SELECT coalesce(max(p.id), 0) FROM chokepoint.payments AS p) THEN
            RAISE EXCEPTION 'screening attempt for payment %, which does not exist', highest USING ERRCODE = 'foreign_key_violation';
        END IF;
    END IF;
    RETURN NULL;
END
$$;

RESET ROLE;
