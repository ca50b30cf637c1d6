-- Poison-message protection. Before screening a batch, a worker records (in its own, immediately
-- committed statement) that it is screening these payments. A payment is decided in the same transaction
-- that deletes its row, so a row that survives means the daemon died while screening it. A payment seen
-- twice is screened alone in its own transaction; one that keeps killing the daemon is held as
-- `screening_error` without being screened again. No foreign key: checking it would wait on the claim's
-- row locks.
CREATE TABLE chokepoint.screening_attempts (
    payment_id      bigint PRIMARY KEY,
    attempts        integer NOT NULL CONSTRAINT screening_attempts_positive CHECK (attempts > 0),
    last_attempt_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
GRANT SELECT, INSERT, UPDATE, DELETE ON chokepoint.screening_attempts TO chokepoint_daemon;
GRANT SELECT ON chokepoint.screening_attempts TO chokepoint_operator;
