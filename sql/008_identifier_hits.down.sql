-- Back to version 7: the views without identifier types, then the columns dropped.
SET LOCAL ROLE chokepoint_owner;

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

DROP VIEW chokepoint.open_retrospective_alerts;
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
REVOKE ALL ON chokepoint.open_retrospective_alerts FROM PUBLIC;
GRANT SELECT ON chokepoint.open_retrospective_alerts TO chokepoint_operator;

ALTER TABLE chokepoint.hits DROP COLUMN identifier_type;
ALTER TABLE chokepoint.retrospective_alerts DROP COLUMN identifier_type;

RESET ROLE;
