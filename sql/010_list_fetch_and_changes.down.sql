-- Back to version 9: the fetch status and the diffs go; list versions stay.
SET LOCAL ROLE chokepoint_owner;

DROP TABLE chokepoint.list_fetch_status;
DROP TABLE chokepoint.list_changes;
ALTER TABLE chokepoint.list_versions DROP COLUMN previous_version_id;

RESET ROLE;
