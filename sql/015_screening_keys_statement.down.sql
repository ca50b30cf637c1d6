SET LOCAL ROLE chokepoint_owner;

DROP TRIGGER payments_screening_keys_update ON chokepoint.payments;
CREATE TRIGGER payments_screening_keys_update AFTER UPDATE OF status ON chokepoint.payments
    FOR EACH ROW WHEN (OLD.status = 'pending' AND NEW.status <> 'pending') EXECUTE FUNCTION chokepoint.payment_screening_keys_row();
DROP FUNCTION chokepoint.payment_screening_keys_rows();

RESET ROLE;
