-- Chokepoint core schema: payments queue, screening runs, hits, append-only audit log, roles.
-- The schema is the integration API: the bank's systems and operators use it directly.

CREATE SCHEMA IF NOT EXISTS chokepoint;

-- Roles are cluster-wide: create them only where missing (another database may have made them).
DO $roles$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['chokepoint_submitter', 'chokepoint_operator', 'chokepoint_daemon'] LOOP
        -- Checked first, so a migrator without CREATEROLE gets past roles a DBA already made.
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$roles$;

-- One row per daemon start, list reload, rescreen or dry run: which lists a decision was made with.
CREATE TABLE chokepoint.screening_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          text NOT NULL CONSTRAINT screening_runs_kind_check CHECK (kind IN ('daemon', 'rescreen', 'screen')),
    started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at   timestamptz,
    host          text,
    pid           integer,
    list_versions jsonb NOT NULL DEFAULT '{}'::jsonb,
    detail        jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE TABLE chokepoint.payments (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    external_ref     text NOT NULL
                     CONSTRAINT payments_external_ref_key UNIQUE
                     CONSTRAINT payments_external_ref_check CHECK (length(external_ref) BETWEEN 1 AND 256),
    format           text NOT NULL CONSTRAINT payments_format_check CHECK (length(format) BETWEEN 1 AND 64),
    message          text NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CONSTRAINT payments_status_check CHECK (status IN ('pending', 'released', 'held', 'rejected')),
    received_at      timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    reasons          text[] NOT NULL DEFAULT '{}',
    error            text,
    screening_run_id bigint REFERENCES chokepoint.screening_runs (id),
    screened_at      timestamptz,
    CONSTRAINT payments_decided_check CHECK (status = 'pending' OR decided_at IS NOT NULL)
);

-- Claims look only at pending rows; without this every claim rescans all decided payments.
CREATE INDEX payments_pending_idx ON chokepoint.payments (id) WHERE status = 'pending';
-- Operators' queue and the rescreen look-back window.
CREATE INDEX payments_held_idx ON chokepoint.payments (id) WHERE status = 'held';
CREATE INDEX payments_released_idx ON chokepoint.payments (decided_at) WHERE status = 'released';

CREATE TABLE chokepoint.hits (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id  bigint NOT NULL REFERENCES chokepoint.payments (id),
    run_id      bigint NOT NULL REFERENCES chokepoint.screening_runs (id),
    kind        text NOT NULL CONSTRAINT hits_kind_check CHECK (kind IN
                    ('sanctioned_party', 'russian_lender', 'military_end_use', 'unparseable', 'lists_unavailable', 'screening_error')),
    field       text NOT NULL,
    matched     text NOT NULL,
    list        text,
    entry_id    text,
    entry_name  text,
    score       real NOT NULL CONSTRAINT hits_score_check CHECK (score >= 0 AND score <= 1),
    explanation text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hits_payment_idx ON chokepoint.hits (payment_id);

-- Append-only record of every decision and every operator action.
CREATE TABLE chokepoint.audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor      text NOT NULL DEFAULT session_user,
    action     text NOT NULL,
    payment_id bigint,
    reason     text,
    detail     jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_payment_idx ON chokepoint.audit_log (payment_id);

CREATE FUNCTION chokepoint.audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'chokepoint.audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON chokepoint.audit_log
    FOR EACH ROW EXECUTE FUNCTION chokepoint.audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON chokepoint.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.audit_log_refuse_change();

-- A payment's identity and content never change once inserted, and a status moves only forward:
-- pending -> released | held, held -> released | rejected. This makes "decided once" a database rule.
CREATE FUNCTION chokepoint.payments_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.external_ref <> OLD.external_ref OR NEW.format <> OLD.format
       OR NEW.message <> OLD.message OR NEW.received_at <> OLD.received_at THEN
        RAISE EXCEPTION 'a payment''s reference, format, message and receipt time cannot change'
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.status <> OLD.status AND NOT (
           (OLD.status = 'pending' AND NEW.status IN ('released', 'held'))
        OR (OLD.status = 'held' AND NEW.status IN ('released', 'rejected'))) THEN
        RAISE EXCEPTION 'payment %: status % cannot become %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER payments_guard BEFORE UPDATE ON chokepoint.payments
    FOR EACH ROW EXECUTE FUNCTION chokepoint.payments_guard();

-- Every status change is audited and announced in the transaction that makes it.
-- Operator functions name their action and reason through transaction-local settings.
CREATE FUNCTION chokepoint.payments_decided() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO chokepoint.audit_log (actor, action, payment_id, reason, detail)
    VALUES (session_user,
            coalesce(nullif(current_setting('chokepoint.action', true), ''), 'decision'),
            NEW.id,
            nullif(current_setting('chokepoint.reason', true), ''),
            jsonb_build_object('from', OLD.status, 'to', NEW.status, 'reasons', to_jsonb(NEW.reasons),
                               'run_id', NEW.screening_run_id, 'error', NEW.error));
    PERFORM pg_notify('chokepoint_decisions', NEW.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER payments_decided AFTER UPDATE OF status ON chokepoint.payments
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION chokepoint.payments_decided();

-- Wake-up for daemons. The payload is empty: the table is the truth, the notification only wakes.
CREATE FUNCTION chokepoint.payments_wake() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('chokepoint_payments', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER payments_wake AFTER INSERT ON chokepoint.payments
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_wake();

-- Least privilege.
REVOKE ALL ON ALL TABLES IN SCHEMA chokepoint FROM PUBLIC;
-- Trigger functions are not API: nobody executes them directly (firing a trigger needs no EXECUTE).
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA chokepoint FROM PUBLIC;
GRANT USAGE ON SCHEMA chokepoint TO chokepoint_submitter, chokepoint_operator, chokepoint_daemon;

GRANT INSERT (external_ref, format, message) ON chokepoint.payments TO chokepoint_submitter;
GRANT SELECT (id, external_ref, format, status, received_at, decided_at) ON chokepoint.payments TO chokepoint_submitter;

GRANT SELECT ON chokepoint.payments, chokepoint.hits, chokepoint.screening_runs, chokepoint.audit_log TO chokepoint_operator;

GRANT SELECT, UPDATE (status, decided_at, reasons, error, screening_run_id, screened_at) ON chokepoint.payments TO chokepoint_daemon;
GRANT SELECT, INSERT ON chokepoint.hits TO chokepoint_daemon;
GRANT SELECT, INSERT, UPDATE (finished_at, detail, list_versions) ON chokepoint.screening_runs TO chokepoint_daemon;
