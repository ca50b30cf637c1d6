-- OFAC's Consolidated (non-SDN) list is a source of its own (`ofac-cons`), versioned beside `ofac-sdn`:
-- importing one never replaces the other.
SET LOCAL ROLE chokepoint_owner;

ALTER TABLE chokepoint.list_versions DROP CONSTRAINT list_versions_source_check;
ALTER TABLE chokepoint.list_versions ADD CONSTRAINT list_versions_source_check CHECK (source IN
    ('ofac-sdn', 'ofac-cons', 'csl', 'eu', 'uk', 'un', 'opensanctions', 'indicators', 'banks'));

RESET ROLE;
