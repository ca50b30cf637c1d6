DROP VIEW IF EXISTS chokepoint.active_good_guys, chokepoint.open_holds;
DROP FUNCTION IF EXISTS chokepoint.release_hold(bigint, text), chokepoint.reject_hold(bigint, text),
    chokepoint.add_good_guy(bigint, text), chokepoint.revoke_good_guy(bigint, text);
DROP TABLE IF EXISTS chokepoint.good_guys, chokepoint.release_requests;
