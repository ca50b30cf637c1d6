-- Rescreen prefilter keys: per payment, the 32-bit keys of its text (`PolicyScreener.screeningKeys`: name
-- tokens and their one-typo neighbourhoods, the pieces of compound names, identifier values, BIC8s), so that
-- a delta rescreen selects through the GIN index the few payments in which a changed list entry can be found,
-- without reading the others' messages.
--
-- A row with keys NULL means "not known": the payment is screened by every rescreen, as before (payments
-- decided before this migration, unparseable messages). Every payment
-- that is not pending has a row (the triggers below, and this migration for the ones that exist), so a delta run
-- finds every payment it must screen in three indexes: the keys' GIN, the NULL-keys index, and pending payments.
-- Keys depend on a payment's message alone (not on the lists), which never changes (payments_guard): once known
-- they stay right until the way they are derived changes, which must come with a migration that sets them all
-- to NULL.
SET LOCAL ROLE chokepoint_owner;

-- No foreign key: `payments` is partitioned by month (schema 12), so its ids are unique only with their month.
-- Rows are written only by the daemon (and the triggers below) for payments that exist; `chokepoint archive`
-- leaves the rows of archived payments behind (a delta run finds no payment for them and reads nothing).
CREATE TABLE chokepoint.payment_screening_keys (
    payment_id bigint PRIMARY KEY,
    keys       integer[]
);
CREATE INDEX payment_screening_keys_keys_idx ON chokepoint.payment_screening_keys USING gin (keys);
CREATE INDEX payment_screening_keys_unknown_idx ON chokepoint.payment_screening_keys (payment_id) WHERE keys IS NULL;

INSERT INTO chokepoint.payment_screening_keys (payment_id) SELECT id FROM chokepoint.payments WHERE status <> 'pending';

-- A payment that leaves `pending` (or is inserted decided) gets a row with unknown keys unless the daemon
-- wrote its keys first.
CREATE FUNCTION chokepoint.payment_screening_keys_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    -- Row triggers of a partitioned table fire on its partitions: TG_RELID is the month's partition.
    IF pg_catalog.pg_partition_root(TG_RELID) IS DISTINCT FROM 'chokepoint.payments'::regclass THEN
        RAISE EXCEPTION 'chokepoint.payment_screening_keys_row fires only on chokepoint.payments' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO chokepoint.payment_screening_keys (payment_id) VALUES (NEW.id) ON CONFLICT (payment_id) DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION chokepoint.payment_screening_keys_row() FROM PUBLIC;

CREATE TRIGGER payments_screening_keys_insert AFTER INSERT ON chokepoint.payments
    FOR EACH ROW WHEN (NEW.status <> 'pending') EXECUTE FUNCTION chokepoint.payment_screening_keys_row();
CREATE TRIGGER payments_screening_keys_update AFTER UPDATE OF status ON chokepoint.payments
    FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.status <> 'pending') EXECUTE FUNCTION chokepoint.payment_screening_keys_row();

-- The daemon writes keys (when it decides a payment, and when a rescreen screens one whose keys are unknown) and
-- reads them (a delta rescreen's selection). Nobody else needs them.
REVOKE ALL ON chokepoint.payment_screening_keys FROM PUBLIC;
GRANT SELECT, INSERT ON chokepoint.payment_screening_keys TO chokepoint_daemon;
GRANT UPDATE (keys) ON chokepoint.payment_screening_keys TO chokepoint_daemon;

RESET ROLE;
