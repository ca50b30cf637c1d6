-- Watchlists as versions: each import is one transaction creating one version; exactly one
-- version per source is current. Entries are kept whole (jsonb) so a hit can name what it matched.

CREATE TABLE chokepoint.list_versions (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       text NOT NULL CONSTRAINT list_versions_source_check CHECK (source IN
                     ('ofac-sdn', 'csl', 'eu', 'uk', 'un', 'opensanctions', 'indicators', 'banks')),
    checksum     text NOT NULL,
    files        text[] NOT NULL,
    entry_count  integer NOT NULL DEFAULT 0,
    name_count   integer NOT NULL DEFAULT 0,
    bic_count    integer NOT NULL DEFAULT 0,
    warnings     text[] NOT NULL DEFAULT '{}',
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    loaded_by    text NOT NULL DEFAULT session_user,
    is_current   boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX list_versions_one_current ON chokepoint.list_versions (source) WHERE is_current;

CREATE TABLE chokepoint.list_entries (
    version_id   bigint NOT NULL REFERENCES chokepoint.list_versions (id) ON DELETE CASCADE,
    ord          integer NOT NULL,
    source_id    text NOT NULL,
    entry_type   text NOT NULL,
    primary_name text NOT NULL,
    -- md5 of the entry's canonical JSON: an entry "changed" when its fingerprint differs between versions.
    fingerprint  text NOT NULL,
    data         jsonb NOT NULL,
    PRIMARY KEY (version_id, ord)
);
CREATE INDEX list_entries_source_id_idx ON chokepoint.list_entries (version_id, source_id);

-- End-use indicators and policy settings: data, editable by an `indicators` import or by SQL.
-- kind 'keyword' fires; kind 'exclusion' is a benign phrase that contains a keyword ("FOOD PROCESSORS"):
-- a keyword found inside an exclusion is not an end-use hit.
CREATE TABLE chokepoint.indicator_keywords (
    keyword  text NOT NULL CONSTRAINT indicator_keywords_keyword_check CHECK (length(btrim(keyword)) > 0),
    language text NOT NULL,
    kind     text NOT NULL DEFAULT 'keyword' CONSTRAINT indicator_keywords_kind_check CHECK (kind IN ('keyword', 'exclusion')),
    PRIMARY KEY (keyword, language, kind)
);
CREATE TABLE chokepoint.indicator_hs_codes (
    code        text PRIMARY KEY CONSTRAINT indicator_hs_codes_code_check CHECK (code ~ '^[0-9]{6}$'),
    tier        text NOT NULL,
    description text NOT NULL DEFAULT ''
);
CREATE TABLE chokepoint.country_sets (
    set_name text NOT NULL,
    country  text NOT NULL CONSTRAINT country_sets_country_check CHECK (country ~ '^[A-Z]{2}$'),
    PRIMARY KEY (set_name, country)
);
CREATE TABLE chokepoint.settings (
    key   text PRIMARY KEY,
    value jsonb NOT NULL
);
INSERT INTO chokepoint.settings (key, value) VALUES
    ('name_match_threshold', '0.90'::jsonb);

-- Any change to indicators or settings is audited and wakes daemons to reload.
CREATE FUNCTION chokepoint.policy_data_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO chokepoint.audit_log (actor, action, reason, detail)
    VALUES (session_user, 'policy_data_changed', nullif(current_setting('chokepoint.reason', true), ''),
            jsonb_build_object('table', TG_TABLE_NAME, 'operation', TG_OP));
    PERFORM pg_notify('chokepoint_lists', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER indicator_keywords_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.indicator_keywords
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed();
CREATE TRIGGER indicator_hs_codes_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.indicator_hs_codes
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed();
CREATE TRIGGER country_sets_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.country_sets
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed();
CREATE TRIGGER settings_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.settings
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.policy_data_changed();

-- A new current list version is audited and announced.
CREATE FUNCTION chokepoint.list_version_current() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO chokepoint.audit_log (actor, action, detail)
    VALUES (session_user, 'list_version_loaded',
            jsonb_build_object('source', NEW.source, 'version_id', NEW.id, 'entries', NEW.entry_count, 'checksum', NEW.checksum));
    PERFORM pg_notify('chokepoint_lists', NEW.id::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER list_version_current AFTER INSERT OR UPDATE OF is_current ON chokepoint.list_versions
    FOR EACH ROW WHEN (NEW.is_current) EXECUTE FUNCTION chokepoint.list_version_current();

GRANT SELECT ON chokepoint.list_versions, chokepoint.list_entries, chokepoint.indicator_keywords,
    chokepoint.indicator_hs_codes, chokepoint.country_sets, chokepoint.settings
    TO chokepoint_daemon, chokepoint_operator;
-- Trigger functions are not API: nobody executes them directly.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA chokepoint FROM PUBLIC;
