-- A counter of policy changes (list versions, indicators, settings, good guys), bumped in the same
-- transaction as each change. Because the single row is locked until commit, the values increase in
-- commit order. A worker reads it in its claim statement: if it is newer than what its screener was
-- built from, the worker does not screen that batch until it has reloaded. So a list import is in force
-- for every payment claimed after the import committed, not merely "soon".
CREATE TABLE chokepoint.policy_generation (
    singleton boolean PRIMARY KEY DEFAULT true CONSTRAINT policy_generation_singleton CHECK (singleton),
    value     bigint NOT NULL DEFAULT 0
);
INSERT INTO chokepoint.policy_generation DEFAULT VALUES;

CREATE FUNCTION chokepoint.bump_policy_generation() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE chokepoint.policy_generation SET value = value + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER list_versions_generation AFTER INSERT OR UPDATE OF is_current ON chokepoint.list_versions
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.bump_policy_generation();
CREATE TRIGGER indicator_keywords_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.indicator_keywords
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.bump_policy_generation();
CREATE TRIGGER indicator_hs_codes_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.indicator_hs_codes
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.bump_policy_generation();
CREATE TRIGGER country_sets_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.country_sets
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.bump_policy_generation();
CREATE TRIGGER settings_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chokepoint.settings
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.bump_policy_generation();
CREATE TRIGGER good_guys_generation AFTER INSERT OR UPDATE OR DELETE ON chokepoint.good_guys
    FOR EACH STATEMENT EXECUTE FUNCTION chokepoint.bump_policy_generation();

GRANT SELECT ON chokepoint.policy_generation TO chokepoint_daemon, chokepoint_operator;
-- Trigger functions are not API: nobody executes them directly.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA chokepoint FROM PUBLIC;
