SET LOCAL ROLE chokepoint_owner;

ALTER FUNCTION chokepoint.payments_guard() RESET enable_nestloop;
ALTER FUNCTION chokepoint.payments_decided() RESET enable_nestloop;

RESET ROLE;
