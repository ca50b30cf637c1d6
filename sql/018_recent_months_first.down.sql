-- Back to schema 17: the two existence checks read every partition, as 012 and 007 wrote them.
SET LOCAL ROLE chokepoint_owner;

CREATE OR REPLACE FUNCTION chokepoint.payment_reference_check() RETURNS trigger
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

CREATE OR REPLACE FUNCTION chokepoint.screening_attempts_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    highest bigint;
BEGIN
    IF TG_RELID <> 'chokepoint.screening_attempts'::regclass OR TG_OP <> 'INSERT' OR TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'chokepoint.screening_attempts_guard fires only after inserts into chokepoint.screening_attempts'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT max(n.payment_id) INTO highest FROM attempts_new AS n;
    IF highest > (SELECT coalesce(max(p.id), 0) FROM chokepoint.payments AS p) THEN
        RAISE EXCEPTION 'screening attempt for payment %, which does not exist', highest USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END
$$;

RESET ROLE;
