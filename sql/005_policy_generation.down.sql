DROP TRIGGER IF EXISTS list_versions_generation ON chokepoint.list_versions;
DROP TRIGGER IF EXISTS indicator_keywords_generation ON chokepoint.indicator_keywords;
DROP TRIGGER IF EXISTS indicator_hs_codes_generation ON chokepoint.indicator_hs_codes;
DROP TRIGGER IF EXISTS country_sets_generation ON chokepoint.country_sets;
DROP TRIGGER IF EXISTS settings_generation ON chokepoint.settings;
DROP TRIGGER IF EXISTS good_guys_generation ON chokepoint.good_guys;
DROP FUNCTION IF EXISTS chokepoint.bump_policy_generation();
DROP TABLE IF EXISTS chokepoint.policy_generation;
