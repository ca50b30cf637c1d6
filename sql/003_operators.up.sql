-- The operators' workflow in SQL: release or reject holds (four eyes for sanctions hits),
-- the queue of open holds, and the good-guy memory of confirmed false positives.
-- The operator is the login role of the session (session_user), never a parameter.

CREATE TABLE chokepoint.release_requests (
    payment_id   bigint NOT NULL REFERENCES chokepoint.payments (id),
    requested_by text NOT NULL,
    reason       text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (payment_id, requested_by)
);

CREATE FUNCTION chokepoint.release_hold(payment_id bigint, reason text) RETURNS text
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

CREATE FUNCTION chokepoint.reject_hold(payment_id bigint, reason text) RETURNS text
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

CREATE VIEW chokepoint.open_holds AS
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

-- Good-guy memory: "this party in this field is not that list entry". Suppression holds only while
-- the entry is unchanged: the fingerprint of the entry at the time is kept and compared on load.
CREATE TABLE chokepoint.good_guys (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    field             text NOT NULL,
    matched           text NOT NULL,
    list              text NOT NULL,
    entry_id          text NOT NULL,
    entry_fingerprint text NOT NULL,
    reason            text NOT NULL,
    from_hit_id       bigint REFERENCES chokepoint.hits (id),
    created_by        text NOT NULL DEFAULT session_user,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    revoked_by        text,
    revoked_at        timestamptz,
    revoke_reason     text
);

CREATE FUNCTION chokepoint.add_good_guy(hit_id bigint, reason text) RETURNS bigint
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

CREATE FUNCTION chokepoint.revoke_good_guy(good_guy_id bigint, reason text) RETURNS void
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

-- Suppressions in force: not revoked, and the entry unchanged in the current list version.
CREATE VIEW chokepoint.active_good_guys AS
SELECT g.*
  FROM chokepoint.good_guys AS g
 WHERE g.revoked_at IS NULL
   AND EXISTS (SELECT 1 FROM chokepoint.list_entries AS e
                 JOIN chokepoint.list_versions AS v ON v.id = e.version_id AND v.is_current
                WHERE v.source = g.list AND e.source_id = g.entry_id AND e.fingerprint = g.entry_fingerprint);

REVOKE ALL ON FUNCTION chokepoint.release_hold(bigint, text), chokepoint.reject_hold(bigint, text),
    chokepoint.add_good_guy(bigint, text), chokepoint.revoke_good_guy(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chokepoint.release_hold(bigint, text), chokepoint.reject_hold(bigint, text),
    chokepoint.add_good_guy(bigint, text), chokepoint.revoke_good_guy(bigint, text) TO chokepoint_operator;
GRANT SELECT ON chokepoint.open_holds, chokepoint.release_requests, chokepoint.good_guys, chokepoint.active_good_guys TO chokepoint_operator;
GRANT SELECT ON chokepoint.active_good_guys, chokepoint.good_guys TO chokepoint_daemon;
