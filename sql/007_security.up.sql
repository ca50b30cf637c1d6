-- Security hardening of the SQL API and a tamper-evident audit log.
--
-- * A NOLOGIN schema owner (chokepoint_owner), separate from the DBAs who run `migrate`: SECURITY DEFINER
--   functions run as it, and "inside an API function" is `current_user = 'chokepoint_owner'`.
-- * Payments: the daemon decides only pending payments, only under a screening run it started itself;
--   nobody but the operator functions moves a payment out of `held`. The audit action is derived from the
--   transition by the server, never taken from a session setting.
-- * Nothing in the schema is executable by PUBLIC unless it is API; trigger functions check the table
--   they fire on; every function has a fixed search_path.
-- * Good-guy records need four eyes and expire; a suppression is recorded on the payment it released.
-- * Policy settings are validated in the database; policy changes need four eyes (request + apply by two
--   policy admins) and their audit rows carry the old and new values and a reason.
-- * The audit log is a hash chain (prev_hash, row_hash), computed by the inserting trigger under a lock
--   on one head row, so concurrent writers still form one chain; `chokepoint audit verify` recomputes it.
-- * Low: reasons need a visible character; screening_attempts only for existing payments; message size
--   bounded (setting max_message_bytes, default 1 MiB).

-- Roles: created only where missing, so a migrator without CREATEROLE works once a DBA made them.
DO $roles$
DECLARE r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['chokepoint_owner', 'chokepoint_policy_admin', 'chokepoint_auditor'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            -- Roles are cluster-wide: a migration of another database may create it at the same moment.
            BEGIN
                EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END
$roles$;

-- Everything in the schema moves to the owner role (the migrator must be a superuser or a member of it).
ALTER SCHEMA chokepoint OWNER TO chokepoint_owner;
DO $owner$
DECLARE o record;
BEGIN
    FOR o IN SELECT c.oid::regclass AS name, c.relkind FROM pg_catalog.pg_class AS c
              WHERE c.relnamespace = 'chokepoint'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f') LOOP
        EXECUTE pg_catalog.format('ALTER %s %s OWNER TO chokepoint_owner',
                                  CASE o.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, o.name);
    END LOOP;
    FOR o IN SELECT p.oid::regprocedure AS name FROM pg_catalog.pg_proc AS p
              WHERE p.pronamespace = 'chokepoint'::regnamespace LOOP
        EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO chokepoint_owner', o.name);
    END LOOP;
END
$owner$;
ALTER DEFAULT PRIVILEGES FOR ROLE chokepoint_owner IN SCHEMA chokepoint REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE chokepoint_owner IN SCHEMA chokepoint REVOKE ALL ON TABLES FROM PUBLIC;

-- The commands these roles run (`audit verify`, `lists import --source indicators`) check the schema version first.
GRANT USAGE ON SCHEMA chokepoint_meta TO chokepoint_operator, chokepoint_policy_admin, chokepoint_auditor;
GRANT SELECT ON chokepoint_meta.schema_migrations TO chokepoint_operator, chokepoint_policy_admin, chokepoint_auditor;

-- From here on, objects are created by (and owned by) the owner role. Later migrations start with
-- `SET LOCAL ROLE chokepoint_owner;` and end with `RESET ROLE;` likewise.
SET LOCAL ROLE chokepoint_owner;

-- A reason must carry a visible character: not only spaces, tabs, newlines, NBSP or zero-width characters.
CREATE FUNCTION chokepoint.reason_ok(reason text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT reason IS NOT NULL
       AND pg_catalog.regexp_replace(reason,
             '[[:space:][:cntrl:]\u00A0\u00AD\u034F\u061C\u115F\u1160\u1680\u180E\u2000-\u200F\u2028-\u202F\u205F-\u206F\u3000\u3164\uFEFF\uFFA0]',
             '', 'g') <> ''
$$;

-- ---------------------------------------------------------------------------------------------------
-- Settings: every key known, every value in range. NULL means valid, otherwise the problem.
CREATE FUNCTION chokepoint.setting_problem(key text, value jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE n numeric;
BEGIN
    IF key NOT IN ('name_match_threshold', 'good_guy_validity_days', 'max_message_bytes') THEN
        RETURN pg_catalog.format('unknown setting %s', key);
    END IF;
    IF value IS NULL OR pg_catalog.jsonb_typeof(value) <> 'number' THEN
        RETURN pg_catalog.format('setting %s must be a number', key);
    END IF;
    n := (value #>> '{}')::numeric;
    IF key = 'name_match_threshold' AND NOT (n BETWEEN 0.75 AND 0.97) THEN
        RETURN pg_catalog.format('name_match_threshold must be between 0.75 and 0.97, not %s', n);
    ELSIF key = 'good_guy_validity_days' AND NOT (n = pg_catalog.trunc(n) AND n BETWEEN 1 AND 1825) THEN
        RETURN pg_catalog.format('good_guy_validity_days must be a whole number of days between 1 and 1825, not %s', n);
    ELSIF key = 'max_message_bytes' AND NOT (n = pg_catalog.trunc(n) AND n BETWEEN 1024 AND 67108864) THEN
        RETURN pg_catalog.format('max_message_bytes must be a whole number between 1024 and 67108864, not %s', n);
    END IF;
    RETURN NULL;
END
$$;
ALTER TABLE chokepoint.settings ADD CONSTRAINT settings_value_check CHECK (chokepoint.setting_problem(key, value) IS NULL);

CREATE FUNCTION chokepoint.setting_number(setting_key text, fallback numeric) RETURNS numeric
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT (s.value #>> '{}')::numeric FROM chokepoint.settings AS s WHERE s.key = setting_key), fallback)
$$;

-- Message size: a CHECK on new rows, re-created whenever max_message_bytes changes.
ALTER TABLE chokepoint.payments ADD CONSTRAINT payments_message_size_check CHECK (octet_length(message) <= 1048576) NOT VALID;

CREATE FUNCTION chokepoint.max_message_bytes_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_RELID <> 'chokepoint.settings'::regclass THEN
        RAISE EXCEPTION 'chokepoint.max_message_bytes_changed fires only on chokepoint.settings' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.key = 'max_message_bytes' THEN
        ALTER TABLE chokepoint.payments DROP CONSTRAINT IF EXISTS payments_message_size_check;
        EXECUTE pg_catalog.format('ALTER TABLE chokepoint.payments ADD CONSTRAINT payments_message_size_check '
                                  'CHECK (octet_length(message) <= %s) NOT VALID', (NEW.value #>> '{}')::bigint);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER settings_max_message_bytes AFTER INSERT OR UPDATE ON chokepoint.settings
    FOR EACH ROW EXECUTE FUNCTION chokepoint.max_message_bytes_changed();

-- ---------------------------------------------------------------------------------------------------
-- Screening runs name who started them; the daemon may only decide under its own runs.
ALTER TABLE chokepoint.screening_runs ADD COLUMN created_by text NOT NULL DEFAULT session_user;
REVOKE INSERT ON chokepoint.screening_runs FROM chokepoint_daemon;
GRANT INSERT (kind, host, pid, list_versions, detail) ON chokepoint.screening_runs TO chokepoint_daemon;

-- Good guys applied when a payment was decided (their ids), and on hits the record that suppressed them.
ALTER TABLE chokepoint.payments ADD COLUMN suppressions bigint[] NOT NULL DEFAULT '{}';
GRANT UPDATE (suppressions) ON chokepoint.payments TO chokepoint_daemon;
ALTER TABLE chokepoint.hits ADD COLUMN suppressed_by bigint REFERENCES chokepoint.good_guys (id);

ALTER TABLE chokepoint.hits DROP CONSTRAINT hits_kind_check;
ALTER TABLE chokepoint.hits ADD CONSTRAINT hits_kind_check CHECK (kind IN
    ('sanctioned_party', 'russian_lender', 'military_end_use', 'unparseable', 'lists_unavailable', 'screening_error', 'policy_invalid'));
ALTER TABLE chokepoint.retrospective_alerts DROP CONSTRAINT retrospective_alerts_kind_check;
ALTER TABLE chokepoint.retrospective_alerts ADD CONSTRAINT retrospective_alerts_kind_check CHECK (kind IN
    ('sanctioned_party', 'russian_lender', 'military_end_use', 'unparseable', 'lists_unavailable', 'screening_error', 'policy_invalid'));

-- A payment's identity and content never change; a status moves only forward; the daemon decides only
-- pending payments under a run it started; only the operator functions (running as the owner) move a
-- payment out of `held` or touch a decided payment at all. SECURITY INVOKER on purpose: current_user is
-- the caller, or the owner inside release_hold / reject_hold. One statement-level check per UPDATE over
-- its transition tables (a row trigger with a fixed search_path cost a quarter of a decision's time);
-- an error raised here undoes the whole statement.
CREATE OR REPLACE FUNCTION chokepoint.payments_guard() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
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
DROP TRIGGER payments_guard ON chokepoint.payments;
CREATE TRIGGER payments_guard AFTER UPDATE ON chokepoint.payments
    REFERENCING OLD TABLE AS guard_old NEW TABLE AS guard_new
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_guard();

CREATE OR REPLACE FUNCTION chokepoint.payments_wake() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_notify('chokepoint_payments', '');
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'chokepoint.audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.bump_policy_generation() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_TABLE_SCHEMA <> 'chokepoint' OR TG_TABLE_NAME NOT IN
           ('list_versions', 'indicator_keywords', 'indicator_hs_codes', 'country_sets', 'settings', 'good_guys') THEN
        RAISE EXCEPTION 'chokepoint.bump_policy_generation fires only on Chokepoint''s policy tables' USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE chokepoint.policy_generation SET value = value + 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.list_version_current() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_RELID <> 'chokepoint.list_versions'::regclass THEN
        RAISE EXCEPTION 'chokepoint.list_version_current fires only on chokepoint.list_versions' USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO chokepoint.audit_log (actor, action, detail)
    VALUES (session_user, 'list_version_loaded',
            jsonb_build_object('source', NEW.source, 'version_id', NEW.id, 'entries', NEW.entry_count, 'checksum', NEW.checksum));
    PERFORM pg_notify('chokepoint_lists', NEW.id::text);
    RETURN NULL;
END
$$;

-- Policy data changes: one audit row per statement with the old and the new rows (transition tables).
-- The reason comes from apply_policy_change; `migrate` installing the defaults gives its own.
DROP TRIGGER indicator_keywords_changed ON chokepoint.indicator_keywords;
DROP TRIGGER indicator_hs_codes_changed ON chokepoint.indicator_hs_codes;
DROP TRIGGER country_sets_changed ON chokepoint.country_sets;
DROP TRIGGER settings_changed ON chokepoint.settings;
-- The new settings' defaults are part of the schema, not a policy change: inserted between the old audit
-- triggers and the new ones (a policy change would force the next rescreen to run in full).
INSERT INTO chokepoint.settings (key, value) VALUES ('good_guy_validity_days', '365'), ('max_message_bytes', '1048576')
    ON CONFLICT (key) DO NOTHING;
CREATE OR REPLACE FUNCTION chokepoint.policy_data_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    old_rows jsonb;
    new_rows jsonb;
BEGIN
    IF TG_TABLE_SCHEMA <> 'chokepoint' OR TG_TABLE_NAME NOT IN ('indicator_keywords', 'indicator_hs_codes', 'country_sets', 'settings') THEN
        RAISE EXCEPTION 'chokepoint.policy_data_changed fires only on Chokepoint''s policy tables' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'TRUNCATE of chokepoint.% is refused: delete rows so the change is audited with its old values', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT coalesce(jsonb_agg(to_jsonb(o)), '[]'::jsonb) INTO old_rows FROM policy_old AS o;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT coalesce(jsonb_agg(to_jsonb(n)), '[]'::jsonb) INTO new_rows FROM policy_new AS n;
    END IF;
    IF coalesce(jsonb_array_length(old_rows), 0) + coalesce(jsonb_array_length(new_rows), 0) = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO chokepoint.audit_log (actor, action, reason, detail)
    VALUES (session_user, 'policy_data_changed', nullif(current_setting('chokepoint.reason', true), ''),
            jsonb_build_object('table', TG_TABLE_NAME, 'operation', TG_OP, 'old', old_rows, 'new', new_rows,
                               'request_id', nullif(current_setting('chokepoint.policy_request', true), '')));
    PERFORM pg_notify('chokepoint_lists', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
DO $policy_triggers$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['indicator_keywords', 'indicator_hs_codes', 'country_sets', 'settings'] LOOP
        EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER INSERT ON chokepoint.%I REFERENCING NEW TABLE AS policy_new '
                                  'FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed()', t || '_inserted', t);
        EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER UPDATE ON chokepoint.%I REFERENCING OLD TABLE AS policy_old NEW TABLE AS policy_new '
                                  'FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed()', t || '_updated', t);
        EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER DELETE ON chokepoint.%I REFERENCING OLD TABLE AS policy_old '
                                  'FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed()', t || '_deleted', t);
        EXECUTE pg_catalog.format('CREATE TRIGGER %I BEFORE TRUNCATE ON chokepoint.%I '
                                  'FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed()', t || '_truncated', t);
    END LOOP;
END
$policy_triggers$;

-- Poison-message records only for payment ids that exist: one check per statement (the highest id
-- recorded against the highest payment id; a plain read, so it never waits on the claim that holds those
-- rows; a row trigger here cost more than the insert itself).
CREATE FUNCTION chokepoint.screening_attempts_guard() RETURNS trigger
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
CREATE TRIGGER screening_attempts_guard AFTER INSERT ON chokepoint.screening_attempts
    REFERENCING NEW TABLE AS attempts_new FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.screening_attempts_guard();

-- ---------------------------------------------------------------------------------------------------
-- Operator functions: visible reasons; the action of the audit row comes from the transition.
CREATE OR REPLACE FUNCTION chokepoint.release_hold(payment_id bigint, reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p chokepoint.payments%ROWTYPE;
    four_eyes boolean;
    other_requester text;
BEGIN
    IF NOT chokepoint.reason_ok(release_hold.reason) THEN
        RAISE EXCEPTION 'a reason is required to release a hold' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO p FROM chokepoint.payments AS x WHERE x.id = release_hold.payment_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payment % does not exist', release_hold.payment_id USING ERRCODE = 'no_data_found';
    END IF;
    IF p.status <> 'held' THEN
        RAISE EXCEPTION 'payment % is %: only held payments can be released', p.id, p.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    four_eyes := 'sanctioned_party' = ANY (p.reasons)
        OR EXISTS (SELECT 1 FROM chokepoint.hits AS h
                    WHERE h.payment_id = p.id AND h.kind = 'sanctioned_party' AND h.suppressed_by IS NULL);
    IF four_eyes THEN
        SELECT r.requested_by INTO other_requester FROM chokepoint.release_requests AS r
         WHERE r.payment_id = p.id AND r.requested_by <> session_user
         ORDER BY r.requested_at LIMIT 1;
        IF other_requester IS NULL THEN
            IF EXISTS (SELECT 1 FROM chokepoint.release_requests AS r WHERE r.payment_id = p.id AND r.requested_by = session_user) THEN
                RAISE EXCEPTION 'payment % needs a second operator: % already requested its release', p.id, session_user
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            INSERT INTO chokepoint.release_requests (payment_id, requested_by, reason) VALUES (p.id, session_user, release_hold.reason);
            INSERT INTO chokepoint.audit_log (actor, action, payment_id, reason, detail)
            VALUES (session_user, 'release_requested', p.id, release_hold.reason, jsonb_build_object('four_eyes', true));
            RETURN 'release requested: a second operator must confirm';
        END IF;
    END IF;
    PERFORM set_config('chokepoint.reason', release_hold.reason, true);
    UPDATE chokepoint.payments AS x SET status = 'released', decided_at = now() WHERE x.id = p.id;
    PERFORM set_config('chokepoint.reason', '', true);
    RETURN CASE WHEN four_eyes THEN 'released (confirmed by a second operator after ' || other_requester || ')' ELSE 'released' END;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.reject_hold(payment_id bigint, reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p chokepoint.payments%ROWTYPE;
BEGIN
    IF NOT chokepoint.reason_ok(reject_hold.reason) THEN
        RAISE EXCEPTION 'a reason is required to reject a hold' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO p FROM chokepoint.payments AS x WHERE x.id = reject_hold.payment_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'payment % does not exist', reject_hold.payment_id USING ERRCODE = 'no_data_found';
    END IF;
    IF p.status <> 'held' THEN
        RAISE EXCEPTION 'payment % is %: only held payments can be rejected', p.id, p.status
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    PERFORM set_config('chokepoint.reason', reject_hold.reason, true);
    UPDATE chokepoint.payments AS x SET status = 'rejected', decided_at = now() WHERE x.id = p.id;
    PERFORM set_config('chokepoint.reason', '', true);
    RETURN 'rejected';
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.acknowledge_alert(alert_id bigint, reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    a chokepoint.retrospective_alerts%ROWTYPE;
BEGIN
    IF NOT chokepoint.reason_ok(acknowledge_alert.reason) THEN
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

-- ---------------------------------------------------------------------------------------------------
-- Good guys: requested by one operator, confirmed by another, in force until they expire.
ALTER TABLE chokepoint.good_guys
    ADD COLUMN approved_by text,
    ADD COLUMN approved_at timestamptz,
    ADD COLUMN approve_reason text,
    ADD COLUMN expires_at timestamptz,
    ADD CONSTRAINT good_guys_approval_check CHECK (
        (approved_at IS NULL AND approved_by IS NULL AND approve_reason IS NULL AND expires_at IS NULL)
        OR (approved_at IS NOT NULL AND approved_by IS NOT NULL AND approve_reason IS NOT NULL AND expires_at IS NOT NULL
            AND approved_by <> created_by));
-- Records made by one operator before this migration are requests again: a second operator confirms them.

CREATE OR REPLACE VIEW chokepoint.active_good_guys AS
SELECT g.*
  FROM chokepoint.good_guys AS g
 WHERE g.revoked_at IS NULL
   AND g.approved_at IS NOT NULL
   AND g.expires_at > now()
   AND EXISTS (SELECT 1 FROM chokepoint.list_entries AS e
                 JOIN chokepoint.list_versions AS v ON v.id = e.version_id AND v.is_current
                WHERE v.source = g.list AND e.source_id = g.entry_id AND e.fingerprint = g.entry_fingerprint);

CREATE OR REPLACE FUNCTION chokepoint.add_good_guy(hit_id bigint, reason text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h chokepoint.hits%ROWTYPE;
    g chokepoint.good_guys%ROWTYPE;
    fp text;
    new_id bigint;
    validity numeric;
BEGIN
    IF NOT chokepoint.reason_ok(add_good_guy.reason) THEN
        RAISE EXCEPTION 'a reason is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO h FROM chokepoint.hits AS x WHERE x.id = add_good_guy.hit_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'hit % does not exist', add_good_guy.hit_id USING ERRCODE = 'no_data_found';
    END IF;
    IF h.kind <> 'sanctioned_party' OR h.entry_id IS NULL OR h.list IS NULL THEN
        RAISE EXCEPTION 'only a list-entry hit can be marked as a false positive' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT e.fingerprint INTO fp FROM chokepoint.list_entries AS e
      JOIN chokepoint.list_versions AS v ON v.id = e.version_id AND v.is_current
     WHERE v.source = h.list AND e.source_id = h.entry_id
     LIMIT 1;
    IF fp IS NULL THEN
        RAISE EXCEPTION 'list entry %/% is not in the current list version', h.list, h.entry_id USING ERRCODE = 'no_data_found';
    END IF;
    -- Serialise requests for the same party and entry, so two confirmations cannot race.
    PERFORM pg_advisory_xact_lock(7432004, hashtext(h.field || '|' || h.matched || '|' || h.list || '|' || h.entry_id));
    SELECT * INTO g FROM chokepoint.good_guys AS x
     WHERE x.field = h.field AND x.matched = h.matched AND x.list = h.list AND x.entry_id = h.entry_id
       AND x.approved_at IS NULL AND x.revoked_at IS NULL
     ORDER BY x.id LIMIT 1 FOR UPDATE;
    IF FOUND THEN
        IF g.created_by = session_user THEN
            RAISE EXCEPTION 'good-guy record % needs a second operator: % requested it', g.id, session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF g.entry_fingerprint <> fp THEN
            RAISE EXCEPTION 'list entry %/% changed since good-guy record % was requested: revoke it and request again',
                h.list, h.entry_id, g.id USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        validity := chokepoint.setting_number('good_guy_validity_days', 365);
        UPDATE chokepoint.good_guys AS x
           SET approved_by = session_user, approved_at = clock_timestamp(), approve_reason = add_good_guy.reason,
               expires_at = clock_timestamp() + validity * interval '1 day'
         WHERE x.id = g.id;
        INSERT INTO chokepoint.audit_log (actor, action, payment_id, reason, detail)
        VALUES (session_user, 'good_guy_added', h.payment_id, add_good_guy.reason,
                jsonb_build_object('good_guy_id', g.id, 'field', h.field, 'list', h.list, 'entry_id', h.entry_id,
                                   'requested_by', g.created_by, 'valid_days', validity));
        PERFORM pg_notify('chokepoint_lists', 'good_guys');
        RETURN g.id;
    END IF;
    INSERT INTO chokepoint.good_guys (field, matched, list, entry_id, entry_fingerprint, reason, from_hit_id)
    VALUES (h.field, h.matched, h.list, h.entry_id, fp, add_good_guy.reason, h.id)
    RETURNING id INTO new_id;
    INSERT INTO chokepoint.audit_log (actor, action, payment_id, reason, detail)
    VALUES (session_user, 'good_guy_requested', h.payment_id, add_good_guy.reason,
            jsonb_build_object('good_guy_id', new_id, 'field', h.field, 'list', h.list, 'entry_id', h.entry_id, 'four_eyes', true));
    RAISE NOTICE 'good-guy record % requested: a second operator must confirm it with chokepoint.add_good_guy(%, reason)', new_id, h.id;
    RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.revoke_good_guy(good_guy_id bigint, reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT chokepoint.reason_ok(revoke_good_guy.reason) THEN
        RAISE EXCEPTION 'a reason is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE chokepoint.good_guys AS g SET revoked_by = session_user, revoked_at = clock_timestamp(), revoke_reason = revoke_good_guy.reason
     WHERE g.id = revoke_good_guy.good_guy_id AND g.revoked_at IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'good-guy record % does not exist or is already revoked', revoke_good_guy.good_guy_id USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO chokepoint.audit_log (actor, action, reason, detail)
    VALUES (session_user, 'good_guy_revoked', revoke_good_guy.reason, jsonb_build_object('good_guy_id', revoke_good_guy.good_guy_id));
    PERFORM pg_notify('chokepoint_lists', 'good_guys');
END
$$;

CREATE OR REPLACE VIEW chokepoint.open_holds AS
SELECT p.id AS payment_id,
       p.external_ref,
       p.format,
       p.received_at,
       p.decided_at AS held_at,
       p.reasons,
       p.error,
       'sanctioned_party' = ANY (p.reasons) AS needs_four_eyes,
       (SELECT array_agg(r.requested_by ORDER BY r.requested_at) FROM chokepoint.release_requests AS r
         WHERE r.payment_id = p.id) AS release_requested_by,
       (SELECT jsonb_agg(jsonb_build_object('hit_id', h.id, 'kind', h.kind, 'field', h.field, 'matched', h.matched,
                                            'list', h.list, 'entry_id', h.entry_id, 'entry_name', h.entry_name,
                                            'score', h.score, 'explanation', h.explanation) ORDER BY h.id)
          FROM chokepoint.hits AS h WHERE h.payment_id = p.id AND h.suppressed_by IS NULL) AS hits
  FROM chokepoint.payments AS p
 WHERE p.status = 'held'
 ORDER BY p.received_at, p.id;

-- ---------------------------------------------------------------------------------------------------
-- Policy changes (settings, country sets, indicators): requested by one policy admin, applied by another.
CREATE TABLE chokepoint.policy_change_requests (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    change        jsonb NOT NULL,
    reason        text NOT NULL,
    requested_by  text NOT NULL DEFAULT session_user,
    requested_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    status        text NOT NULL DEFAULT 'requested'
                  CONSTRAINT policy_change_requests_status_check CHECK (status IN ('requested', 'applied', 'withdrawn')),
    decided_by    text,
    decided_at    timestamptz,
    decide_reason text,
    CONSTRAINT policy_change_requests_decided_check CHECK ((status = 'requested') = (decided_at IS NULL))
);

-- What is wrong with a change, or NULL. Kinds:
--   {"kind":"setting","key":K,"value":V}
--   {"kind":"country_set","set":S,"countries":["AM",...]}           (replaces the set; empty removes it)
--   {"kind":"indicators","keywords":[[text,language,kind],...],"hs_codes":[[code,tier,description],...],
--    "country_sets":{"S":["AM",...]},"checksum":C,"files":[...]}    (a whole `indicators` import)
CREATE FUNCTION chokepoint.policy_change_problem(change jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k text := change ->> 'kind';
    x jsonb;
BEGIN
    IF jsonb_typeof(change) <> 'object' OR k IS NULL THEN
        RETURN 'a change is a JSON object with a "kind"';
    ELSIF k = 'setting' THEN
        RETURN chokepoint.setting_problem(change ->> 'key', change -> 'value');
    ELSIF k = 'country_set' THEN
        IF coalesce(change ->> 'set', '') !~ '^[a-z_]{1,40}$' THEN
            RETURN 'a country set name is 1-40 lower-case letters or underscores';
        END IF;
        IF jsonb_typeof(change -> 'countries') <> 'array' THEN
            RETURN 'countries must be an array of ISO 3166 alpha-2 codes';
        END IF;
        FOR x IN SELECT jsonb_array_elements(change -> 'countries') LOOP
            IF (CASE WHEN jsonb_typeof(x) <> 'string' THEN true ELSE (x #>> '{}') !~ '^[A-Z]{2}$' END) THEN
                RETURN pg_catalog.format('%s is not an ISO 3166 alpha-2 country code', x);
            END IF;
        END LOOP;
        RETURN NULL;
    ELSIF k = 'indicators' THEN
        IF jsonb_typeof(change -> 'keywords') <> 'array' OR jsonb_typeof(change -> 'hs_codes') <> 'array'
           OR jsonb_typeof(change -> 'country_sets') <> 'object' OR jsonb_typeof(change -> 'files') <> 'array'
           OR coalesce(change ->> 'checksum', '') = '' THEN
            RETURN 'an indicators change carries keywords, hs_codes, country_sets, checksum and files';
        END IF;
        FOR x IN SELECT jsonb_array_elements(change -> 'keywords') LOOP
            IF (CASE WHEN jsonb_typeof(x) <> 'array' THEN true
                    ELSE jsonb_array_length(x) <> 3 OR btrim(coalesce(x ->> 0, '')) = '' OR coalesce(x ->> 2, '') NOT IN ('keyword', 'exclusion')
               END) THEN
                RETURN pg_catalog.format('keyword %s is not [text, language, keyword|exclusion]', x);
            END IF;
        END LOOP;
        FOR x IN SELECT jsonb_array_elements(change -> 'hs_codes') LOOP
            IF (CASE WHEN jsonb_typeof(x) <> 'array' THEN true
                    ELSE jsonb_array_length(x) <> 3 OR coalesce(x ->> 0, '') !~ '^[0-9]{6}$' END) THEN
                RETURN pg_catalog.format('HS code %s is not [six digits, tier, description]', x);
            END IF;
        END LOOP;
        FOR x IN SELECT value FROM jsonb_each(change -> 'country_sets') LOOP
            IF (CASE WHEN jsonb_typeof(x) <> 'array' THEN true
                    ELSE EXISTS (SELECT 1 FROM jsonb_array_elements_text(x) AS c WHERE c !~ '^[A-Z]{2}$') END) THEN
                RETURN pg_catalog.format('country set %s holds something other than ISO 3166 alpha-2 codes', x);
            END IF;
        END LOOP;
        RETURN NULL;
    END IF;
    RETURN pg_catalog.format('unknown change kind %s', k);
END
$$;

CREATE FUNCTION chokepoint.request_policy_change(change jsonb, reason text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    problem text;
    new_id bigint;
BEGIN
    IF NOT chokepoint.reason_ok(request_policy_change.reason) THEN
        RAISE EXCEPTION 'a reason is required to change the screening policy' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    problem := chokepoint.policy_change_problem(request_policy_change.change);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid policy change: %', problem USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO chokepoint.policy_change_requests (change, reason) VALUES (request_policy_change.change, request_policy_change.reason)
    RETURNING id INTO new_id;
    INSERT INTO chokepoint.audit_log (actor, action, reason, detail)
    VALUES (session_user, 'policy_change_requested', request_policy_change.reason,
            jsonb_build_object('request_id', new_id, 'kind', request_policy_change.change ->> 'kind',
                               'change', CASE WHEN request_policy_change.change ->> 'kind' = 'indicators'
                                              THEN jsonb_build_object('checksum', request_policy_change.change ->> 'checksum')
                                              ELSE request_policy_change.change END));
    RETURN new_id;
END
$$;

CREATE FUNCTION chokepoint.apply_policy_change(request_id bigint, reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r chokepoint.policy_change_requests%ROWTYPE;
    c jsonb;
    problem text;
    version_id bigint;
    n integer;
BEGIN
    IF NOT chokepoint.reason_ok(apply_policy_change.reason) THEN
        RAISE EXCEPTION 'a reason is required to apply a policy change' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO r FROM chokepoint.policy_change_requests AS x WHERE x.id = apply_policy_change.request_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'policy change request % does not exist', apply_policy_change.request_id USING ERRCODE = 'no_data_found';
    END IF;
    IF r.status <> 'requested' THEN
        RAISE EXCEPTION 'policy change request % is %', r.id, r.status USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF r.requested_by = session_user THEN
        RAISE EXCEPTION 'policy change request % needs a second policy admin: % requested it', r.id, session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    c := r.change;
    problem := chokepoint.policy_change_problem(c);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid policy change: %', problem USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('chokepoint.reason', pg_catalog.format('%s (requested by %s: %s)', apply_policy_change.reason, r.requested_by, r.reason), true);
    PERFORM set_config('chokepoint.policy_request', r.id::text, true);
    IF c ->> 'kind' = 'setting' THEN
        INSERT INTO chokepoint.settings AS s (key, value) VALUES (c ->> 'key', c -> 'value')
            ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE s.value IS DISTINCT FROM EXCLUDED.value;
    ELSIF c ->> 'kind' = 'country_set' THEN
        DELETE FROM chokepoint.country_sets AS s
         WHERE s.set_name = c ->> 'set' AND NOT s.country IN (SELECT jsonb_array_elements_text(c -> 'countries'));
        INSERT INTO chokepoint.country_sets (set_name, country)
        SELECT DISTINCT c ->> 'set', x FROM jsonb_array_elements_text(c -> 'countries') AS x
        ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM chokepoint.indicator_keywords;
        DELETE FROM chokepoint.indicator_hs_codes;
        DELETE FROM chokepoint.country_sets;
        INSERT INTO chokepoint.indicator_keywords (keyword, language, kind)
        SELECT DISTINCT x ->> 0, x ->> 1, x ->> 2 FROM jsonb_array_elements(c -> 'keywords') AS x;
        INSERT INTO chokepoint.indicator_hs_codes (code, tier, description)
        SELECT DISTINCT ON (x ->> 0) x ->> 0, coalesce(x ->> 1, ''), coalesce(x ->> 2, '') FROM jsonb_array_elements(c -> 'hs_codes') AS x;
        INSERT INTO chokepoint.country_sets (set_name, country)
        SELECT DISTINCT s.key, x FROM jsonb_each(c -> 'country_sets') AS s, jsonb_array_elements_text(s.value) AS x;
        n := jsonb_array_length(c -> 'keywords') + jsonb_array_length(c -> 'hs_codes');
        INSERT INTO chokepoint.list_versions (source, checksum, files, entry_count, loaded_by)
        VALUES ('indicators', c ->> 'checksum', ARRAY(SELECT jsonb_array_elements_text(c -> 'files')), n, r.requested_by)
        RETURNING id INTO version_id;
        UPDATE chokepoint.list_versions SET is_current = false WHERE source = 'indicators' AND is_current;
        UPDATE chokepoint.list_versions SET is_current = true WHERE id = version_id;
    END IF;
    PERFORM set_config('chokepoint.reason', '', true);
    PERFORM set_config('chokepoint.policy_request', '', true);
    UPDATE chokepoint.policy_change_requests AS x
       SET status = 'applied', decided_by = session_user, decided_at = clock_timestamp(), decide_reason = apply_policy_change.reason
     WHERE x.id = r.id;
    INSERT INTO chokepoint.audit_log (actor, action, reason, detail)
    VALUES (session_user, 'policy_change_applied', apply_policy_change.reason,
            jsonb_build_object('request_id', r.id, 'requested_by', r.requested_by, 'kind', c ->> 'kind'));
    RETURN 'applied';
END
$$;

CREATE FUNCTION chokepoint.withdraw_policy_change(request_id bigint, reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT chokepoint.reason_ok(withdraw_policy_change.reason) THEN
        RAISE EXCEPTION 'a reason is required' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE chokepoint.policy_change_requests AS x
       SET status = 'withdrawn', decided_by = session_user, decided_at = clock_timestamp(), decide_reason = withdraw_policy_change.reason
     WHERE x.id = withdraw_policy_change.request_id AND x.status = 'requested';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'policy change request % does not exist or is not open', withdraw_policy_change.request_id
            USING ERRCODE = 'no_data_found';
    END IF;
    INSERT INTO chokepoint.audit_log (actor, action, reason, detail)
    VALUES (session_user, 'policy_change_withdrawn', withdraw_policy_change.reason,
            jsonb_build_object('request_id', withdraw_policy_change.request_id));
    RETURN 'withdrawn';
END
$$;

-- ---------------------------------------------------------------------------------------------------
-- The audit log as a hash chain. Each row: chain_seq (gapless, in commit order of the chain lock),
-- prev_hash (the row_hash before it; 64 zeros for the first) and row_hash = SHA-256 (hex) over
-- prev_hash || enc(chain_seq) || enc(id) || enc(at in epoch microseconds) || enc(actor) || enc(action)
--           || enc(payment_id) || enc(reason) || enc(detail::text)
-- where enc(NULL) = 'N;' and enc(v) = octet_length(v) || ':' || v || ';'. `chokepoint audit verify`
-- recomputes this outside the database.
ALTER TABLE chokepoint.audit_log
    ADD COLUMN chain_seq bigint,
    ADD COLUMN prev_hash text,
    ADD COLUMN row_hash text;

CREATE TABLE chokepoint.audit_chain_head (
    singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT audit_chain_head_singleton CHECK (singleton),
    seq       bigint NOT NULL,
    hash      text NOT NULL
);

CREATE FUNCTION chokepoint.audit_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN v IS NULL THEN 'N;' ELSE octet_length(v)::text || ':' || v || ';' END
$$;

CREATE FUNCTION chokepoint.audit_row_hash(p_prev text, p_seq bigint, p_id bigint, p_at timestamptz, p_actor text, p_action text,
                                          p_payment bigint, p_reason text, p_detail jsonb) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT encode(sha256(convert_to(
        p_prev || chokepoint.audit_field(p_seq::text) || chokepoint.audit_field(p_id::text)
        || chokepoint.audit_field((extract(epoch FROM p_at) * 1000000)::bigint::text)
        || chokepoint.audit_field(p_actor) || chokepoint.audit_field(p_action) || chokepoint.audit_field(p_payment::text)
        || chokepoint.audit_field(p_reason) || chokepoint.audit_field(p_detail::text), 'UTF8')), 'hex')
$$;

-- Existing rows join the chain in id order (the refuse-change trigger is set aside for this one update).
ALTER TABLE chokepoint.audit_log DISABLE TRIGGER audit_log_no_update;
DO $backfill$
DECLARE
    r record;
    prev text := repeat('0', 64);
    seq bigint := 0;
BEGIN
    FOR r IN SELECT * FROM chokepoint.audit_log ORDER BY id LOOP
        seq := seq + 1;
        UPDATE chokepoint.audit_log AS a
           SET chain_seq = seq, prev_hash = prev,
               row_hash = chokepoint.audit_row_hash(prev, seq, r.id, r.at, r.actor, r.action, r.payment_id, r.reason, r.detail)
         WHERE a.id = r.id
        RETURNING a.row_hash INTO prev;
    END LOOP;
    INSERT INTO chokepoint.audit_chain_head (seq, hash) VALUES (seq, prev);
END
$backfill$;
ALTER TABLE chokepoint.audit_log ENABLE TRIGGER audit_log_no_update;
CREATE UNIQUE INDEX audit_log_chain_seq_key ON chokepoint.audit_log (chain_seq);

-- Every insert, by whichever writer, is chained here. The head row is locked until the inserting
-- transaction ends, so chain order is commit order and a rolled-back insert leaves no gap.
CREATE FUNCTION chokepoint.audit_log_chain() RETURNS trigger
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
-- Rows that arrive already chained come from payments_decided (below), which chains a whole batch at
-- once under the same lock; only the owner's code can insert into the log, so nobody else can supply them.
CREATE TRIGGER audit_log_chain BEFORE INSERT ON chokepoint.audit_log
    FOR EACH ROW WHEN (NEW.row_hash IS NULL) EXECUTE FUNCTION chokepoint.audit_log_chain();

-- Every status change is audited and announced in the transaction that makes it: one statement-level
-- trigger per UPDATE, so a batch of 500 decisions takes the chain lock once, chains its rows in one loop
-- and writes them with one INSERT (a row trigger per decision cost several times the decision itself).
-- The action follows from the transition; a reason is read only for moves out of `held`, which only the
-- operator functions can make (payments_guard). The encoding is audit_row_hash's, written out here.
CREATE OR REPLACE FUNCTION chokepoint.payments_decided() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h chokepoint.audit_chain_head%ROWTYPE;
    r record;
    n integer := 0;
    seq bigint;
    prev text;
    ids bigint[] := '{}';
    ats timestamptz[] := '{}';
    actions text[] := '{}';
    payment_ids bigint[] := '{}';
    reasons text[] := '{}';
    details jsonb[] := '{}';
    seqs bigint[] := '{}';
    prevs text[] := '{}';
    hashes text[] := '{}';
    held_reason text := nullif(current_setting('chokepoint.reason', true), '');
BEGIN
    IF TG_RELID <> 'chokepoint.payments'::regclass OR TG_OP <> 'UPDATE' OR TG_LEVEL <> 'STATEMENT' OR TG_WHEN <> 'AFTER' THEN
        RAISE EXCEPTION 'chokepoint.payments_decided fires only after updates of chokepoint.payments' USING ERRCODE = 'insufficient_privilege';
    END IF;
    FOR r IN
        SELECT c.*,
               CASE WHEN c.id::text IS NULL THEN 'N;' ELSE octet_length(c.id::text)::text || ':' || c.id::text || ';' END || CASE WHEN (extract(epoch FROM c.at) * 1000000)::bigint::text IS NULL THEN 'N;' ELSE octet_length((extract(epoch FROM c.at) * 1000000)::bigint::text)::text || ':' || (extract(epoch FROM c.at) * 1000000)::bigint::text || ';' END
               || CASE WHEN session_user::text IS NULL THEN 'N;' ELSE octet_length(session_user::text)::text || ':' || session_user::text || ';' END || CASE WHEN c.action IS NULL THEN 'N;' ELSE octet_length(c.action)::text || ':' || c.action || ';' END || CASE WHEN c.payment_id::text IS NULL THEN 'N;' ELSE octet_length(c.payment_id::text)::text || ':' || c.payment_id::text || ';' END
               || CASE WHEN c.reason IS NULL THEN 'N;' ELSE octet_length(c.reason)::text || ':' || c.reason || ';' END || CASE WHEN c.detail::text IS NULL THEN 'N;' ELSE octet_length(c.detail::text)::text || ':' || c.detail::text || ';' END AS body
          FROM (SELECT nextval('chokepoint.audit_log_id_seq'::regclass) AS id, clock_timestamp() AS at, d.*
                  FROM (SELECT nw.id AS payment_id,
                               CASE WHEN od.status = 'pending' THEN 'decision'
                                    WHEN od.status = 'held' AND nw.status = 'released' THEN 'release_hold'
                                    WHEN od.status = 'held' AND nw.status = 'rejected' THEN 'reject_hold'
                                    ELSE 'status_change' END AS action,
                               CASE WHEN od.status = 'held' THEN held_reason END AS reason,
                               jsonb_build_object('from', od.status, 'to', nw.status, 'reasons', to_jsonb(nw.reasons),
                                                  'run_id', nw.screening_run_id, 'error', nw.error)
                               || CASE WHEN od.status = 'pending' AND cardinality(nw.suppressions) > 0
                                       THEN jsonb_build_object('suppressed_by_good_guys', to_jsonb(nw.suppressions))
                                       ELSE '{}'::jsonb END AS detail
                          FROM decided_new AS nw JOIN decided_old AS od ON od.id = nw.id
                         WHERE od.status IS DISTINCT FROM nw.status
                         ORDER BY nw.id) AS d) AS c
    LOOP
        IF n = 0 THEN
            SELECT * INTO h FROM chokepoint.audit_chain_head WHERE singleton FOR UPDATE;
            seq := h.seq;
            prev := h.hash;
        END IF;
        n := n + 1;
        seq := seq + 1;
        ids[n] := r.id; ats[n] := r.at; actions[n] := r.action; payment_ids[n] := r.payment_id;
        reasons[n] := r.reason; details[n] := r.detail; seqs[n] := seq; prevs[n] := prev;
        prev := encode(sha256(convert_to(prev || CASE WHEN seq::text IS NULL THEN 'N;' ELSE octet_length(seq::text)::text || ':' || seq::text || ';' END || r.body, 'UTF8')), 'hex');
        hashes[n] := prev;
    END LOOP;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO chokepoint.audit_log (id, at, actor, action, payment_id, reason, detail, chain_seq, prev_hash, row_hash)
    OVERRIDING SYSTEM VALUE
    SELECT u.id, u.at, session_user, u.action, u.payment_id, u.reason, u.detail, u.seq, u.prev, u.hash
      FROM unnest(ids, ats, actions, payment_ids, reasons, details, seqs, prevs, hashes)
           AS u(id, at, action, payment_id, reason, detail, seq, prev, hash);
    UPDATE chokepoint.audit_chain_head SET seq = seqs[n], hash = prev WHERE singleton;
    PERFORM pg_notify('chokepoint_decisions', x::text) FROM unnest(payment_ids) AS x;
    RETURN NULL;
END
$$;
DROP TRIGGER payments_decided ON chokepoint.payments;
CREATE TRIGGER payments_decided AFTER UPDATE ON chokepoint.payments
    REFERENCING OLD TABLE AS decided_old NEW TABLE AS decided_new
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.payments_decided();

-- ---------------------------------------------------------------------------------------------------
-- Least privilege: nothing executable by PUBLIC but the API, and the API only to its roles.
REVOKE ALL ON ALL TABLES IN SCHEMA chokepoint FROM PUBLIC;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA chokepoint FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chokepoint.release_hold(bigint, text), chokepoint.reject_hold(bigint, text),
    chokepoint.add_good_guy(bigint, text), chokepoint.revoke_good_guy(bigint, text),
    chokepoint.acknowledge_alert(bigint, text) TO chokepoint_operator;
GRANT EXECUTE ON FUNCTION chokepoint.request_policy_change(jsonb, text), chokepoint.apply_policy_change(bigint, text),
    chokepoint.withdraw_policy_change(bigint, text) TO chokepoint_policy_admin;

GRANT USAGE ON SCHEMA chokepoint TO chokepoint_policy_admin, chokepoint_auditor;
GRANT SELECT ON chokepoint.policy_change_requests TO chokepoint_policy_admin, chokepoint_operator, chokepoint_auditor;
GRANT SELECT ON chokepoint.settings, chokepoint.country_sets, chokepoint.indicator_keywords, chokepoint.indicator_hs_codes,
    chokepoint.list_versions TO chokepoint_policy_admin;
GRANT SELECT ON chokepoint.audit_log, chokepoint.audit_chain_head TO chokepoint_auditor, chokepoint_operator;
-- The nightly anchor runs as the daemon's login: it reads the chain head, nothing else of the log.
GRANT SELECT ON chokepoint.audit_chain_head TO chokepoint_daemon;

RESET ROLE;
