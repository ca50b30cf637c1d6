-- Several `chokepoint rescreen` processes (one per host, each started by its own timer) work on one run.
--
-- At most one run is `running` (a unique index, beside the advisory lock the processes take while they
-- create or join it), so two different runs never race. A process takes a range with FOR UPDATE SKIP LOCKED
-- and holds it by a lease: who holds it (host:pid), until when, and how many times it was taken. Each batch
-- commit renews the lease in the transaction that moves the cursor, and only while the range was not taken
-- again (`lease_count` unchanged), so a process that stalled past its lease cannot commit over its successor.
-- A range whose lease expired (its process was killed) is taken by another process and continued from its
-- cursor. `active_until` keeps a run that is being planned (no range taken yet) from looking abandoned.
SET LOCAL ROLE chokepoint_owner;

ALTER TABLE chokepoint.rescreen_ranges
    ADD COLUMN lease_holder     text,
    ADD COLUMN lease_expires_at timestamptz,
    ADD COLUMN lease_count      integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT rescreen_ranges_lease_check CHECK ((lease_holder IS NULL) = (lease_expires_at IS NULL));

ALTER TABLE chokepoint.rescreen_runs
    ADD COLUMN active_until timestamptz,
    -- host:pid of the process that marked the run finished and wrote its summary.
    ADD COLUMN finished_by  text;

-- Before this version a later invocation abandoned older stale runs itself; do it here so that the index holds.
UPDATE chokepoint.rescreen_runs
   SET status = 'failed', finished_at = clock_timestamp(), error = 'abandoned: superseded by a newer run (migration 011)'
 WHERE status = 'running' AND id < (SELECT max(id) FROM chokepoint.rescreen_runs WHERE status = 'running');
CREATE UNIQUE INDEX rescreen_runs_one_running ON chokepoint.rescreen_runs ((true)) WHERE status = 'running';

-- The daemon role moves cursors, leases, counts and statuses; a run's scope and a range's bounds are fixed
-- when they are created, so it may no longer update those.
REVOKE UPDATE ON chokepoint.rescreen_runs, chokepoint.rescreen_ranges FROM chokepoint_daemon;
GRANT UPDATE (status, mode, finished_at, resumed_count, host, pid, delta_entries, payments_screened, payments_full, new_alerts,
              new_hits, error, active_until, finished_by) ON chokepoint.rescreen_runs TO chokepoint_daemon;
GRANT UPDATE (cursor_id, done, payments_screened, payments_full, new_alerts, new_hits, updated_at, lease_holder, lease_expires_at,
              lease_count) ON chokepoint.rescreen_ranges TO chokepoint_daemon;

RESET ROLE;
