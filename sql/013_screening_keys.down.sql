SET LOCAL ROLE chokepoint_owner;

DROP TRIGGER payments_screening_keys_update ON chokepoint.payments;
DROP TRIGGER payments_screening_keys_insert ON chokepoint.payments;
DROP FUNCTION chokepoint.payment_screening_keys_row();
DROP TABLE chokepoint.payment_screening_keys;

RESET ROLE;
