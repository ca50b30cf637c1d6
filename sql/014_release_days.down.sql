SET LOCAL ROLE chokepoint_owner;

DROP TRIGGER payments_release_days_update ON chokepoint.payments;
DROP TRIGGER payments_release_days_insert ON chokepoint.payments;
DROP FUNCTION chokepoint.payment_release_days_add();
DROP TABLE chokepoint.payment_release_days;

RESET ROLE;
