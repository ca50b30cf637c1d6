-- Which screening runs decided released payments, by day: (screening run, UTC day of `decided_at`) for every
-- payment that became `released` (by the daemon, by an operator's release, or inserted released). A delta
-- rescreen takes the baselines of its scope from here and from the few held and pending payments (their
-- partial indexes), instead of reading every payment of the scope to find them: at ten million payments that
-- read was most of a delta run.
--
-- It may say more than is true, never less: a row stays when its payments are later archived, and a day counts
-- whole. A delta run that meets a baseline no payment has any more only builds one screener more, or reads every
-- payment if that baseline cannot be screened in delta (the old way, still correct).
SET LOCAL ROLE chokepoint_owner;

CREATE TABLE chokepoint.payment_release_days (
    screening_run_id bigint NOT NULL,
    -- UTC day; '-infinity' for a released payment without `decided_at` (never within a `since` window).
    decided_on       date NOT NULL,
    PRIMARY KEY (screening_run_id, decided_on)
);

INSERT INTO chokepoint.payment_release_days (screening_run_id, decided_on)
SELECT DISTINCT screening_run_id, coalesce((decided_at AT TIME ZONE 'UTC')::date, '-infinity'::date)
  FROM chokepoint.payments WHERE status = 'released' AND screening_run_id IS NOT NULL;

-- After each statement that inserts or updates payments: one look at its rows (a daemon's batch, an operator's
-- release), and nothing written once the day's row of that run exists (ON CONFLICT DO NOTHING takes no row lock,
-- so concurrent batches do not wait for each other).
CREATE FUNCTION chokepoint.payment_release_days_add() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_RELID <> 'chokepoint.payments'::regclass OR TG_OP NOT IN ('INSERT', 'UPDATE') OR TG_LEVEL <> 'STATEMENT' THEN
        RAISE EXCEPTION 'chokepoint.payment_release_days_add fires only after inserts into and updates of chokepoint.payments'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO chokepoint.payment_release_days (screening_run_id, decided_on)
    SELECT DISTINCT n.screening_run_id, coalesce((n.decided_at AT TIME ZONE 'UTC')::date, '-infinity'::date)
      FROM release_days_new AS n
     WHERE n.status = 'released' AND n.screening_run_id IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
REVOKE EXECUTE ON FUNCTION chokepoint.payment_release_days_add() FROM PUBLIC;

CREATE TRIGGER payments_release_days_insert AFTER INSERT ON chokepoint.payments
    REFERENCING NEW TABLE AS release_days_new FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payment_release_days_add();
CREATE TRIGGER payments_release_days_update AFTER UPDATE ON chokepoint.payments
    REFERENCING NEW TABLE AS release_days_new FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payment_release_days_add();

-- Read by the rescreen (the daemon's role); written only by the trigger.
REVOKE ALL ON chokepoint.payment_release_days FROM PUBLIC;
GRANT SELECT ON chokepoint.payment_release_days TO chokepoint_daemon;

RESET ROLE;
