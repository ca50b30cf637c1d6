-- Lists fetched on a schedule (`chokepoint lists fetch`), and what each new list version changed.
--
-- `list_changes`: one row per entry added, removed or changed (names, identifiers, anything else in the
-- entry) by a list version against the version it replaced (`list_versions.previous_version_id`); written
-- by every import, in the import's own transaction, so a version is never current without its diff.
-- `list_fetch_status`: per source, when it was last fetched, what happened, its last error, and the HTTP
-- validators (ETag, Last-Modified) of the files of the version in force, for conditional GETs.
SET LOCAL ROLE chokepoint_owner;

ALTER TABLE chokepoint.list_versions
    ADD COLUMN previous_version_id bigint REFERENCES chokepoint.list_versions (id) ON DELETE SET NULL;

CREATE TABLE chokepoint.list_changes (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version_id          bigint NOT NULL REFERENCES chokepoint.list_versions (id) ON DELETE CASCADE,
    source              text NOT NULL,
    change              text NOT NULL CONSTRAINT list_changes_change_check CHECK (change IN ('added', 'removed', 'changed')),
    source_id           text NOT NULL,
    entry_type          text NOT NULL,
    -- The entry's primary name in the new version (in the old one for a removed entry).
    primary_name        text NOT NULL,
    -- For a changed entry whose primary name changed: the old one.
    previous_name       text,
    -- For a changed entry: names and identifiers (BICs as `BIC …`, others as `TYPE value`) gained and lost.
    names_added         text[] NOT NULL DEFAULT '{}',
    names_removed       text[] NOT NULL DEFAULT '{}',
    identifiers_added   text[] NOT NULL DEFAULT '{}',
    identifiers_removed text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX list_changes_version_idx ON chokepoint.list_changes (version_id, change, source_id);

CREATE TABLE chokepoint.list_fetch_status (
    source           text PRIMARY KEY CONSTRAINT list_fetch_status_source_check CHECK (source IN
                         ('ofac-sdn', 'ofac-cons', 'csl', 'eu', 'uk', 'un', 'opensanctions', 'banks')),
    last_attempt_at  timestamptz NOT NULL,
    last_outcome     text NOT NULL CONSTRAINT list_fetch_status_outcome_check CHECK (last_outcome IN
                         ('imported', 'unchanged', 'not_modified', 'failed')),
    -- The last time the source was confirmed current at its publisher (imported, byte-identical or 304).
    last_success_at  timestamptz,
    last_error       text,
    last_error_at    timestamptz,
    -- {"<url>": {"etag": "…", "last_modified": "…"}} of the files of `validators_version_id`; sent as
    -- If-None-Match / If-Modified-Since only while that version is still the one in force.
    validators       jsonb NOT NULL DEFAULT '{}'::jsonb,
    validators_version_id bigint REFERENCES chokepoint.list_versions (id) ON DELETE SET NULL,
    -- The last error stays after a success (with its time), so `lists status` can tell how long ago it was.
    CONSTRAINT list_fetch_status_error_check CHECK ((last_error IS NULL) = (last_error_at IS NULL)
                                                    AND (last_outcome <> 'failed' OR last_error IS NOT NULL))
);

-- Operators read both (what changed in the lists, whether fetching works); the daemon reads the fetch status
-- for `chokepoint_list_age_seconds`. Only the owner writes them (the login that imports lists, as before).
GRANT SELECT ON chokepoint.list_changes, chokepoint.list_fetch_status TO chokepoint_operator;
GRANT SELECT ON chokepoint.list_fetch_status TO chokepoint_daemon;

RESET ROLE;
