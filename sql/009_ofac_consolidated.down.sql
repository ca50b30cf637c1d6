-- Back to version 8: `ofac-cons` versions are removed (their entries with them), then the old check.
SET LOCAL ROLE chokepoint_owner;

DELETE FROM chokepoint.list_versions WHERE source = 'ofac-cons';
ALTER TABLE chokepoint.list_versions DROP CONSTRAINT list_versions_source_check;
ALTER TABLE chokepoint.list_versions ADD CONSTRAINT list_versions_source_check CHECK (source IN
    ('ofac-sdn', 'csl', 'eu', 'uk', 'un', 'opensanctions', 'indicators', 'banks'));

RESET ROLE;
