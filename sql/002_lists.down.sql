DROP TABLE IF EXISTS chokepoint.settings, chokepoint.country_sets, chokepoint.indicator_hs_codes,
    chokepoint.indicator_keywords, chokepoint.list_entries, chokepoint.list_versions CASCADE;
DROP FUNCTION IF EXISTS chokepoint.policy_data_changed(), chokepoint.list_version_current();
