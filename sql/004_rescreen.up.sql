-- Re-screening (`chokepoint rescreen`): a record of each run and of its resumable id ranges, the
-- retrospective alerts found on released payments, and the operators' view and acknowledgement.
-- A released payment's row, status and hits are never changed by a rescreen: what it finds later is an alert.

-- One row per `chokepoint rescreen` run. Only one run works at a time (session advisory lock 7432003);
-- a row left 'running' by a killed process is continued by the next invocation from its ranges' cursors.
CREATE TABLE chokepoint.rescreen_runs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The screening_runs row (kind 'rescreen') that hits added to held/pending payments name as run_id.
    screening_run_id  bigint NOT NULL REFERENCES chokepoint.screening_runs (id),
    status            text NOT NULL DEFAULT 'running'
                      CONSTRAINT rescreen_runs_status_check CHECK (status IN ('running', 'finished', 'failed')),
    mode              text NOT NULL CONSTRAINT rescreen_runs_mode_check CHECK (mode IN ('full', 'delta')),
    full_requested    boolean NOT NULL DEFAULT false,
    -- Released payments decided at or after this time are in scope; NULL means every released payment (--all).
    since             timestamptz,
    -- Payments above this id arrived after the run started: the daemon screens them with current lists.
    max_payment_id    bigint NOT NULL,
    list_versions     jsonb NOT NULL,
    started_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at       timestamptz,
    resumed_count     integer NOT NULL DEFAULT 0,
    host              text,
    pid               integer,
    -- Delta mode: number of new or changed list entries screened against (largest over baselines).
    delta_entries     integer,
    payments_screened bigint NOT NULL DEFAULT 0,
    payments_full     bigint NOT NULL DEFAULT 0,
    new_alerts        bigint NOT NULL DEFAULT 0,
    new_hits          bigint NOT NULL DEFAULT 0,
    error             text,
    CONSTRAINT rescreen_runs_finished_check CHECK ((status = 'running') = (finished_at IS NULL))
);

-- The id ranges of a run, each worked by one worker at a time; cursor_id is the last payment id whose
-- results are committed (advanced in the same transaction as the alerts and hits of its batch).
CREATE TABLE chokepoint.rescreen_ranges (
    run_id            bigint NOT NULL REFERENCES chokepoint.rescreen_runs (id) ON DELETE CASCADE,
    range_no          integer NOT NULL,
    first_id          bigint NOT NULL,   -- exclusive
    last_id           bigint NOT NULL,   -- inclusive
    cursor_id         bigint NOT NULL,
    done              boolean NOT NULL DEFAULT false,
    payments_screened bigint NOT NULL DEFAULT 0,
    payments_full     bigint NOT NULL DEFAULT 0,
    new_alerts        bigint NOT NULL DEFAULT 0,
    new_hits          bigint NOT NULL DEFAULT 0,
    updated_at        timestamptz,
    PRIMARY KEY (run_id, range_no),
    CONSTRAINT rescreen_ranges_cursor_check CHECK (cursor_id BETWEEN first_id AND last_id)
);

-- A hit found on a released payment after it was released. At most one alert per payment, kind, field,
-- list and entry: a second run, a resumed run or a concurrent one finds the row and adds nothing.
CREATE TABLE chokepoint.retrospective_alerts (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id         bigint NOT NULL REFERENCES chokepoint.payments (id),
    rescreen_run_id    bigint NOT NULL REFERENCES chokepoint.rescreen_runs (id),
    kind               text NOT NULL CONSTRAINT retrospective_alerts_kind_check CHECK (kind IN
                           ('sanctioned_party', 'russian_lender', 'military_end_use', 'unparseable', 'lists_unavailable', 'screening_error')),
    field              text NOT NULL,
    matched            text NOT NULL,
    list               text,
    entry_id           text,
    entry_name         text,
    list_version_id    bigint REFERENCES chokepoint.list_versions (id),
    score              real NOT NULL CONSTRAINT retrospective_alerts_score_check CHECK (score >= 0 AND score <= 1),
    explanation        text,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    acknowledged_by    text,
    acknowledged_at    timestamptz,
    acknowledge_reason text,
    CONSTRAINT retrospective_alerts_once UNIQUE NULLS NOT DISTINCT (payment_id, kind, field, list, entry_id),
    CONSTRAINT retrospective_alerts_ack_check CHECK (
        (acknowledged_at IS NULL AND acknowledged_by IS NULL AND acknowledge_reason IS NULL)
        OR (acknowledged_at IS NOT NULL AND acknowledged_by IS NOT NULL AND acknowledge_reason IS NOT NULL))
);
CREATE INDEX retrospective_alerts_open_idx ON chokepoint.retrospective_alerts (created_at) WHERE acknowledged_at IS NULL;
CREATE INDEX retrospective_alerts_run_idx ON chokepoint.retrospective_alerts (rescreen_run_id);

-- Delta mode asks "did indicators or settings change since these payments were screened?"; without this
-- index that question scans the whole audit log (one row per decision).
CREATE INDEX audit_log_policy_changed_idx ON chokepoint.audit_log (at) WHERE action = 'policy_data_changed';

CREATE VIEW chokepoint.open_retrospective_alerts AS
SELECT a.id AS alert_id,
       a.payment_id,
       p.external_ref,
       p.format,
       p.status,
       p.decided_at,
       a.kind,
       a.field,
       a.matched,
       a.list,
       a.entry_id,
       a.entry_name,
       a.score,
       a.explanation,
       a.list_version_id,
       a.rescreen_run_id,
       a.created_at
  FROM chokepoint.retrospective_alerts AS a
  JOIN chokepoint.payments AS p ON p.id = a.payment_id
 WHERE a.acknowledged_at IS NULL
 ORDER BY a.created_at, a.id;

-- An operator records that an alert was looked at (and, outside Chokepoint, acted upon). The operator is
-- the session's login role, never a parameter; the action is audited like release_hold.
CREATE FUNCTION chokepoint.acknowledge_alert(alert_id bigint, reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    a chokepoint.retrospective_alerts%ROWTYPE;
BEGIN
    IF acknowledge_alert.reason IS NULL OR btrim(acknowledge_alert.reason) = '' THEN
        RAISE EXCEPTION 'a reason is required to acknowledge an alert' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO a FROM chokepoint.retrospective_alerts AS x WHERE x.id = acknowledge_alert.alert_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'retrospective alert % does not exist', acknowledge_alert.alert_id USING ERRCODE = 'no_data_found';
    END IF;
    IF a.acknowledged_at IS NOT NULL THEN
        RAISE EXCEPTION 'retrospective alert % was already acknowledged by %', a.id, a.acknowledged_by
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    UPDATE chokepoint.retrospective_alerts AS x
       SET acknowledged_by = session_user, acknowledged_at = clock_timestamp(), acknowledge_reason = acknowledge_alert.reason
     WHERE x.id = a.id;
    INSERT INTO chokepoint.audit_log (actor, action, payment_id, reason, detail)
    VALUES (session_user, 'retrospective_alert_acknowledged', a.payment_id, acknowledge_alert.reason,
            jsonb_build_object('alert_id', a.id, 'kind', a.kind, 'field', a.field, 'list', a.list, 'entry_id', a.entry_id,
                               'rescreen_run_id', a.rescreen_run_id));
    RETURN 'acknowledged';
END
$$;

REVOKE ALL ON chokepoint.rescreen_runs, chokepoint.rescreen_ranges, chokepoint.retrospective_alerts,
    chokepoint.open_retrospective_alerts FROM PUBLIC;
REVOKE ALL ON FUNCTION chokepoint.acknowledge_alert(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chokepoint.acknowledge_alert(bigint, text) TO chokepoint_operator;
GRANT SELECT ON chokepoint.rescreen_runs, chokepoint.rescreen_ranges, chokepoint.retrospective_alerts,
    chokepoint.open_retrospective_alerts TO chokepoint_operator;

-- The rescreen runs as the daemon role: it records runs and ranges and inserts alerts, never updates them.
GRANT SELECT, INSERT, UPDATE ON chokepoint.rescreen_runs, chokepoint.rescreen_ranges TO chokepoint_daemon;
GRANT SELECT, INSERT ON chokepoint.retrospective_alerts TO chokepoint_daemon;
GRANT SELECT (at, action) ON chokepoint.audit_log TO chokepoint_daemon;
-- `rescreen` (like `run`) checks the schema version before working, as the daemon role.
GRANT USAGE ON SCHEMA chokepoint_meta TO chokepoint_daemon;
GRANT SELECT ON chokepoint_meta.schema_migrations TO chokepoint_daemon;
