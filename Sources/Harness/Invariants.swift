import Foundation
import Postgres

/// The invariants every drill ends with, measured in the database.
public struct Invariants {
    public var payments = 0
    public var expected = 0
    public var decided = 0
    public var pendingLeft = 0
    public var duplicated = 0
    public var auditDecisions = 0
    public var releasedUnscreened = 0
    public var heldWithoutHits = 0
    public var hitsFromTwoRuns = 0
    public var wronglyReleased = 0
    /// Held because screening was interrupted too often: only real daemon crashes may cause these.
    public var heldAsScreeningError = 0

    public init() {}

    /// Payments inserted but not decided (missing ones included).
    public var lost: Int { max(0, expected - decided) }

    public var ok: Bool {
        payments == expected && lost == 0 && pendingLeft == 0 && duplicated == 0 && auditDecisions == decided
            && releasedUnscreened == 0 && heldWithoutHits == 0 && hitsFromTwoRuns == 0 && wronglyReleased == 0
    }

    /// Measures them. `mustHold` is a SQL condition on `p` naming payments that must not be released
    /// (by default the `H-` and `G-` references: sanctioned names and garbage).
    public static func measure(_ c: Connection, expected: Int, mustHold: String = "p.external_ref LIKE 'H-%' OR p.external_ref LIKE 'G-%'") throws -> Invariants {
        func n(_ sql: String) throws -> Int { Int(try c.query(sql).scalar ?? "") ?? -1 }
        var i = Invariants()
        i.expected = expected
        i.payments = try n("SELECT count(*) FROM chokepoint.payments")
        i.decided = try n("SELECT count(*) FROM chokepoint.payments WHERE status <> 'pending'")
        i.pendingLeft = try n("SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")
        i.duplicated = try n("SELECT count(*) FROM (SELECT payment_id FROM chokepoint.audit_log WHERE action = 'decision' GROUP BY payment_id HAVING count(*) > 1) d")
        i.auditDecisions = try n("SELECT count(DISTINCT payment_id) FROM chokepoint.audit_log WHERE action = 'decision'")
        i.releasedUnscreened = try n("SELECT count(*) FROM chokepoint.payments WHERE status = 'released' AND (screening_run_id IS NULL OR screened_at IS NULL)")
        i.heldWithoutHits = try n("""
            SELECT count(*) FROM chokepoint.payments p WHERE status = 'held'
               AND NOT EXISTS (SELECT 1 FROM chokepoint.hits h WHERE h.payment_id = p.id)
            """)
        i.hitsFromTwoRuns = try n("SELECT count(*) FROM (SELECT payment_id FROM chokepoint.hits GROUP BY payment_id HAVING count(DISTINCT run_id) > 1) d")
        i.wronglyReleased = try n("SELECT count(*) FROM chokepoint.payments p WHERE p.status = 'released' AND (\(mustHold))")
        i.heldAsScreeningError = try n("SELECT count(*) FROM chokepoint.payments WHERE 'screening_error' = ANY(reasons)")
        return i
    }

    public var json: [String: Any] {
        ["payments": payments, "lost": lost, "duplicated": duplicated, "wrongly_released": wronglyReleased, "pending_left": pendingLeft,
         "released_without_screening": releasedUnscreened, "held_without_hits": heldWithoutHits,
         "audit_decisions": auditDecisions, "hits_from_two_runs": hitsFromTwoRuns, "held_as_screening_error": heldAsScreeningError]
    }
}

/// Waits until no payment is pending (or `timeout`); returns true when the queue is empty.
///
/// The poll asks only whether a pending payment exists (the partial index answers it); the whole table is
/// counted once the queue looks empty. Counting it every 50 ms would be a parallel scan of the table that
/// competes with the daemons for the same two cores and distorts what is measured.
public func waitUntilDrained(_ c: Connection, expected: Int, timeout: Double, whileWaiting: () throws -> Void = {}) throws -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        try whileWaiting()
        if (try? c.query("SELECT EXISTS (SELECT 1 FROM chokepoint.payments WHERE status = 'pending')").scalar) == "f",
           let r = try? c.query("SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FROM chokepoint.payments").rows.first,
           r.int(0) == 0, (r.int(1) ?? 0) >= expected {
            return true
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return false
}
