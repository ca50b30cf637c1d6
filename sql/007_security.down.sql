-- Reverts 007: the API functions and views as 006 left them, without the hash chain, the policy change
-- requests, the good-guy approval columns and the new checks. Objects stay owned by chokepoint_owner;
-- the roles are kept (cluster-wide).
SET LOCAL ROLE chokepoint_owner;

DROP TRIGGER IF EXISTS audit_log_chain ON chokepoint.audit_log;
DROP TRIGGER IF EXISTS payments_decided ON chokepoint.payments;
DROP TRIGGER IF EXISTS payments_guard ON chokepoint.payments;
DROP FUNCTION IF EXISTS chokepoint.audit_log_chain();
DROP INDEX IF EXISTS chokepoint.audit_log_chain_seq_key;
ALTER TABLE chokepoint.audit_log DISABLE TRIGGER audit_log_no_update;
ALTER TABLE chokepoint.audit_log DROP COLUMN IF EXISTS chain_seq, DROP COLUMN IF EXISTS prev_hash, DROP COLUMN IF EXISTS row_hash;
ALTER TABLE chokepoint.audit_log ENABLE TRIGGER audit_log_no_update;
DROP TABLE IF EXISTS chokepoint.audit_chain_head;
DROP FUNCTION IF EXISTS chokepoint.audit_row_hash(text, bigint, bigint, timestamptz, text, text, bigint, text, jsonb);
DROP FUNCTION IF EXISTS chokepoint.audit_field(text);

DROP FUNCTION IF EXISTS chokepoint.request_policy_change(jsonb, text), chokepoint.apply_policy_change(bigint, text),
    chokepoint.withdraw_policy_change(bigint, text), chokepoint.policy_change_problem(jsonb);
DROP TABLE IF EXISTS chokepoint.policy_change_requests;

DROP TRIGGER IF EXISTS screening_attempts_guard ON chokepoint.screening_attempts;
DROP FUNCTION IF EXISTS chokepoint.screening_attempts_guard();

DO $policy_triggers$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['indicator_keywords', 'indicator_hs_codes', 'country_sets', 'settings'] LOOP
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON chokepoint.%I', t || '_inserted', t);
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON chokepoint.%I', t || '_updated', t);
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON chokepoint.%I', t || '_deleted', t);
        EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON chokepoint.%I', t || '_truncated', t);
    END LOOP;
END
$policy_triggers$;

DROP TRIGGER IF EXISTS settings_max_message_bytes ON chokepoint.settings;
DROP FUNCTION IF EXISTS chokepoint.max_message_bytes_changed();
ALTER TABLE chokepoint.payments DROP CONSTRAINT IF EXISTS payments_message_size_check;
ALTER TABLE chokepoint.settings DROP CONSTRAINT IF EXISTS settings_value_check;
DELETE FROM chokepoint.settings WHERE key IN ('good_guy_validity_days', 'max_message_bytes');
DROP FUNCTION IF EXISTS chokepoint.setting_number(text, numeric);
DROP FUNCTION IF EXISTS chokepoint.setting_problem(text, jsonb);

CREATE OR REPLACE FUNCTION chokepoint.payments_guard() RETURNS trigger
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

CREATE OR REPLACE FUNCTION chokepoint.payments_decided() RETURNS trigger
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
    UPDATE chokepoint.policy_generation SET value = value + 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.list_version_current() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO chokepoint.audit_log (actor, action, detail)
    VALUES (session_user, 'list_version_loaded',
            jsonb_build_object('source', NEW.source, 'version_id', NEW.id, 'entries', NEW.entry_count, 'checksum', NEW.checksum));
    PERFORM pg_notify('chokepoint_lists', NEW.id::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.policy_data_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO chokepoint.audit_log (actor, action, reason, detail)
    VALUES (session_user, 'policy_data_changed', nullif(current_setting('chokepoint.reason', true), ''),
            jsonb_build_object('table', TG_TABLE_NAME, 'operation', TG_OP));
    PERFORM pg_notify('chokepoint_lists', TG_TABLE_NAME);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.release_hold(payment_id bigint, reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p chokepoint.payments%ROWTYPE;
    four_eyes boolean;
    other_requester text;
BEGIN
    IF release_hold.reason IS NULL OR btrim(release_hold.reason) = '' THEN
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
        OR EXISTS (SELECT 1 FROM chokepoint.hits AS h WHERE h.payment_id = p.id AND h.kind = 'sanctioned_party');
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
    PERFORM set_config('chokepoint.action', 'release_hold', true);
    PERFORM set_config('chokepoint.reason', release_hold.reason, true);
    UPDATE chokepoint.payments AS x SET status = 'released', decided_at = now() WHERE x.id = p.id;
    PERFORM set_config('chokepoint.action', '', true);
    PERFORM set_config('chokepoint.reason', '', true);
    RETURN CASE WHEN four_eyes THEN 'released (confirmed by a second operator after ' || other_requester || ')' ELSE 'released' END;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.reject_hold(payment_id bigint, reason text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    p chokepoint.payments%ROWTYPE;
BEGIN
    IF reject_hold.reason IS NULL OR btrim(reject_hold.reason) = '' THEN
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
    PERFORM set_config('chokepoint.action', 'reject_hold', true);
    PERFORM set_config('chokepoint.reason', reject_hold.reason, true);
    UPDATE chokepoint.payments AS x SET status = 'rejected', decided_at = now() WHERE x.id = p.id;
    PERFORM set_config('chokepoint.action', '', true);
    PERFORM set_config('chokepoint.reason', '', true);
    RETURN 'rejected';
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.add_good_guy(hit_id bigint, reason text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    h chokepoint.hits%ROWTYPE;
    fp text;
    new_id bigint;
BEGIN
    IF add_good_guy.reason IS NULL OR btrim(add_good_guy.reason) = '' THEN
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
    INSERT INTO chokepoint.good_guys (field, matched, list, entry_id, entry_fingerprint, reason, from_hit_id)
    VALUES (h.field, h.matched, h.list, h.entry_id, fp, add_good_guy.reason, h.id)
    RETURNING id INTO new_id;
    INSERT INTO chokepoint.audit_log (actor, action, payment_id, reason, detail)
    VALUES (session_user, 'good_guy_added', h.payment_id, add_good_guy.reason,
            jsonb_build_object('good_guy_id', new_id, 'field', h.field, 'list', h.list, 'entry_id', h.entry_id));
    PERFORM pg_notify('chokepoint_lists', 'good_guys');
    RETURN new_id;
END
$$;

CREATE OR REPLACE FUNCTION chokepoint.revoke_good_guy(good_guy_id bigint, reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF revoke_good_guy.reason IS NULL OR btrim(revoke_good_guy.reason) = '' THEN
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

CREATE OR REPLACE FUNCTION chokepoint.acknowledge_alert(alert_id bigint, reason text) RETURNS text
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
          FROM chokepoint.hits AS h WHERE h.payment_id = p.id) AS hits
  FROM chokepoint.payments AS p
 WHERE p.status = 'held'
 ORDER BY p.received_at, p.id;

DROP VIEW chokepoint.active_good_guys;
CREATE TRIGGER payments_guard BEFORE UPDATE ON chokepoint.payments
    FOR EACH ROW EXECUTE FUNCTION chokepoint.payments_guard();
CREATE TRIGGER payments_decided AFTER UPDATE OF status ON chokepoint.payments
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION chokepoint.payments_decided();
CREATE TRIGGER indicator_keywords_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.indicator_keywords
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed();
CREATE TRIGGER indicator_hs_codes_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.indicator_hs_codes
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed();
CREATE TRIGGER country_sets_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.country_sets
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed();
CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.settings
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed();

ALTER TABLE chokepoint.hits DROP COLUMN IF EXISTS suppressed_by;
ALTER TABLE chokepoint.payments DROP COLUMN IF EXISTS suppressions;
ALTER TABLE chokepoint.screening_runs DROP COLUMN IF EXISTS created_by;
GRANT INSERT ON chokepoint.screening_runs TO chokepoint_daemon;
ALTER TABLE chokepoint.good_guys DROP CONSTRAINT IF EXISTS good_guys_approval_check,
    DROP COLUMN IF EXISTS approved_by, DROP COLUMN IF EXISTS approved_at, DROP COLUMN IF EXISTS approve_reason,
    DROP COLUMN IF EXISTS expires_at;

CREATE VIEW chokepoint.active_good_guys AS
SELECT g.*
  FROM chokepoint.good_guys AS g
 WHERE g.revoked_at IS NULL
   AND EXISTS (SELECT 1 FROM chokepoint.list_entries AS e
                 JOIN chokepoint.list_versions AS v ON v.id = e.version_id AND v.is_current
                WHERE v.source = g.list AND e.source_id = g.entry_id AND e.fingerprint = g.entry_fingerprint);


GRANT SELECT ON chokepoint.active_good_guys TO chokepoint_operator, chokepoint_daemon;
ALTER TABLE chokepoint.hits DROP CONSTRAINT hits_kind_check;
ALTER TABLE chokepoint.hits ADD CONSTRAINT hits_kind_check CHECK (kind IN
    ('sanctioned_party', 'russian_lender', 'military_end_use', 'unparseable', 'lists_unavailable', 'screening_error'));
ALTER TABLE chokepoint.retrospective_alerts DROP CONSTRAINT retrospective_alerts_kind_check;
ALTER TABLE chokepoint.retrospective_alerts ADD CONSTRAINT retrospective_alerts_kind_check CHECK (kind IN
    ('sanctioned_party', 'russian_lender', 'military_end_use', 'unparseable', 'lists_unavailable', 'screening_error'));
DROP FUNCTION IF EXISTS chokepoint.reason_ok(text);
RESET ROLE;
REVOKE SELECT ON chokepoint_meta.schema_migrations FROM chokepoint_operator, chokepoint_policy_admin, chokepoint_auditor;
REVOKE USAGE ON SCHEMA chokepoint_meta FROM chokepoint_operator, chokepoint_policy_admin, chokepoint_auditor;
