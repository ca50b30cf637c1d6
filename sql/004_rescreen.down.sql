REVOKE SELECT ON chokepoint_meta.schema_migrations FROM chokepoint_daemon;
REVOKE USAGE ON SCHEMA chokepoint_meta FROM chokepoint_daemon;
REVOKE SELECT (at, action) ON chokepoint.audit_log FROM chokepoint_daemon;
DROP FUNCTION IF EXISTS chokepoint.acknowledge_alert(bigint, text);
DROP VIEW IF EXISTS chokepoint.open_retrospective_alerts;
DROP INDEX IF EXISTS chokepoint.audit_log_policy_changed_idx;
DROP TABLE IF EXISTS chokepoint.retrospective_alerts, chokepoint.rescreen_ranges, chokepoint.rescreen_runs;
