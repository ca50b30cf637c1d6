-- The row of unknown screening keys that every decided payment gets (schema 13) is written by one statement per
-- decision batch instead of one trigger call per payment.
--
-- The row trigger ran a PL/pgSQL function and an INSERT for each payment a batch decided: in the load bench's bare
-- drain, 11–12 ms of a 500-payment batch's ~40 ms record statement (auto_explain, triggers timed), more than the
-- audit chain's statement trigger. This statement-level trigger inserts the batch's rows with one INSERT from the
-- statement's new-rows transition table. Same rows as before: a payment that leaves `pending` gets a row unless it
-- has one (the daemon may have written its keys first). The INSERT takes every updated payment that is not pending,
-- without pairing old and new rows: a payment that was already decided has its row (schema 13 gave every decided
-- payment one, and nothing deletes them), so ON CONFLICT leaves it; were one missing, a row of unknown keys is the
-- safe default (every rescreen then screens that payment). Without a join there is no plan that the first
-- call's row count could make wrong for later batches (PL/pgSQL keeps a statement's plan for the session).
-- Transition tables rule out `UPDATE OF status`, so it fires after every UPDATE of payments through the partitioned
-- table (as the daemon and the operator functions make them; an UPDATE naming a month's partition directly, which
-- only the owner could run, fires no statement trigger of the parent, as for payments_guard and payments_decided).
-- Inserted payments keep their row trigger: it fires only for payments inserted already decided (its WHEN clause),
-- so the bank's inserts of pending payments do not call it at all.
SET LOCAL ROLE chokepoint_owner;

CREATE FUNCTION chokepoint.payment_screening_keys_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_RELID <> 'chokepoint.payments'::regclass OR TG_OP <> 'UPDATE' OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'chokepoint.payment_screening_keys_rows fires only after updates of chokepoint.payments'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO chokepoint.payment_screening_keys (payment_id)
    SELECT n.id FROM keys_new AS n WHERE n.status <> 'pending'
    ON CONFLICT (payment_id) DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION chokepoint.payment_screening_keys_rows() FROM PUBLIC;

DROP TRIGGER payments_screening_keys_update ON chokepoint.payments;
CREATE TRIGGER payments_screening_keys_update AFTER UPDATE ON chokepoint.payments
    REFERENCING NEW TABLE AS keys_new
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payment_screening_keys_rows();

RESET ROLE;
