SET LOCAL ROLE chokepoint_owner;

REVOKE UPDATE (status, mode, finished_at, resumed_count, host, pid, delta_entries, payments_screened, payments_full, new_alerts,
               new_hits, error, active_until, finished_by) ON chokepoint.rescreen_runs FROM chokepoint_daemon;
REVOKE UPDATE (cursor_id, done, payments_screened, payments_full, new_alerts, new_hits, updated_at, lease_holder, lease_expires_at,
               lease_count) ON chokepoint.rescreen_ranges FROM chokepoint_daemon;
GRANT UPDATE ON chokepoint.rescreen_runs, chokepoint.rescreen_ranges TO chokepoint_daemon;
DROP INDEX chokepoint.rescreen_runs_one_running;
ALTER TABLE chokepoint.rescreen_runs DROP COLUMN active_until, DROP COLUMN finished_by;
ALTER TABLE chokepoint.rescreen_ranges DROP CONSTRAINT rescreen_ranges_lease_check,
    DROP COLUMN lease_holder, DROP COLUMN lease_expires_at, DROP COLUMN lease_count;

RESET ROLE;
