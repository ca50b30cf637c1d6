import Foundation
import IntegrationSupport
import Postgres
import Screening
import Store
import TestSupport
import Testing

@Suite("operators' SQL workflow with real roles", .enabled(if: TestDatabase.enabled))
struct OperatorTests {
    /// Inserts a payment and decides it with `hits` (held if any) as the daemon would.
    static func decided(_ c: Connection, ref: String, hits: [Hit]) throws -> String {
        let id = try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ($1, 'mt103', 'm') RETURNING id", [ref]).scalar!
        let run = try PaymentStore.startRun(c, kind: "daemon", host: "test", pid: 1, listVersions: "{}")
        try c.query("BEGIN")
        _ = try PaymentStore.claim(c, limit: 1000)
        try PaymentStore.record(c, runId: run, decisions: [(Int64(id)!, Decision(hits: hits))])
        try c.query("COMMIT")
        return id
    }

    static let sanctionsHit = Hit(kind: .sanctionedParty, field: "beneficiary", matched: "SBERBANK", list: "ofac-sdn",
                                  entryId: "123", entryName: "SBERBANK", score: 1, explanation: "exact name")
    static let lenderHit = Hit(kind: .russianLender, field: "account_with_institution", matched: "ABCDRUMM", score: 1, explanation: "RU BIC")

    struct Roles {
        let db: TestDatabase
        let admin: Connection
        let opA: Connection
        let opB: Connection
        let submitter: Connection
        let nameA: String
        let nameB: String
    }

    func roles() throws -> Roles {
        let db = try TestDatabase.create()
        let a = try db.createLoginRole(prefix: "opa", memberOf: "chokepoint_operator")
        let b = try db.createLoginRole(prefix: "opb", memberOf: "chokepoint_operator")
        let s = try db.createLoginRole(prefix: "sub", memberOf: "chokepoint_submitter")
        return Roles(db: db, admin: try db.connect(), opA: try Connection(conninfo: db.conninfo(user: a)),
                     opB: try Connection(conninfo: db.conninfo(user: b)), submitter: try Connection(conninfo: db.conninfo(user: s)),
                     nameA: a, nameB: b)
    }

    @Test("a hold without sanctions hits is released by one operator, with reason, audited under that operator")
    func singleRelease() throws {
        let r = try roles()
        defer { r.db.drop() }
        let id = try Self.decided(r.admin, ref: "L1", hits: [Self.lenderHit])
        #expect(try r.opA.query("SELECT chokepoint.release_hold($1, $2)", [id, "correspondent confirmed licence"]).scalar == "released")
        #expect(try r.admin.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "released")
        let audit = try r.admin.query("SELECT actor, action, reason FROM chokepoint.audit_log WHERE payment_id = $1 ORDER BY id", [id]).rows.map(\.values)
        #expect(audit.count == 2)
        #expect(audit.last! == [r.nameA, "release_hold", "correspondent confirmed licence"])
    }

    @Test("four eyes: a sanctions hold needs two different operators")
    func fourEyes() throws {
        let r = try roles()
        defer { r.db.drop() }
        let id = try Self.decided(r.admin, ref: "S1", hits: [Self.sanctionsHit])
        let first = try r.opA.query("SELECT chokepoint.release_hold($1, $2)", [id, "name only, different DOB"]).scalar
        #expect(first?.hasPrefix("release requested") == true)
        #expect(try r.admin.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "held")
        do {
            try r.opA.query("SELECT chokepoint.release_hold($1, $2)", [id, "again"])
            Issue.record("the same operator released alone")
        } catch { #expect(error.sqlState == PostgresError.insufficientPrivilege) }
        #expect(try r.opB.query("SELECT chokepoint.release_hold($1, $2)", [id, "agree: false positive"]).scalar?.hasPrefix("released") == true)
        #expect(try r.admin.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "released")
        let actions = try r.admin.query("SELECT actor, action FROM chokepoint.audit_log WHERE payment_id = $1 ORDER BY id", [id]).rows.map(\.values)
        #expect(actions.dropFirst().map { $0 } == [[r.nameA, "release_requested"], [r.nameB, "release_hold"]])
        // The queue shows the request while pending; nothing once released.
        #expect(try r.opA.query("SELECT count(*) FROM chokepoint.open_holds").scalar == "0")
    }

    @Test("only held payments can be released or rejected; a reason is required")
    func onlyHeld() throws {
        let r = try roles()
        defer { r.db.drop() }
        let released = try Self.decided(r.admin, ref: "R1", hits: [])
        let pending = try r.admin.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('P1', 'mt103', 'm') RETURNING id").scalar!
        let held = try Self.decided(r.admin, ref: "H1", hits: [Self.lenderHit])
        for id in [released, pending] {
            for fn in ["release_hold", "reject_hold"] {
                do {
                    try r.opA.query("SELECT chokepoint.\(fn)($1, 'x')", [id])
                    Issue.record("\(fn) accepted a payment that is not held")
                } catch { #expect(error.sqlState == "55000") }
            }
        }
        do {
            try r.opA.query("SELECT chokepoint.reject_hold($1, $2)", [held, "  "])
            Issue.record("rejected without a reason")
        } catch { #expect(error.sqlState == "22023") }
        #expect(try r.opA.query("SELECT chokepoint.reject_hold($1, $2)", [held, "sanctions evasion suspected"]).scalar == "rejected")
        do {
            try r.opB.query("SELECT chokepoint.release_hold($1, 'oops')", [held])
            Issue.record("released a rejected payment")
        } catch { #expect(error.sqlState == "55000") }
    }

    @Test("a submitter cannot release; an operator cannot bypass the functions or edit the audit log")
    func privileges() throws {
        let r = try roles()
        defer { r.db.drop() }
        let id = try Self.decided(r.admin, ref: "X1", hits: [Self.lenderHit])
        func denied(_ c: Connection, _ sql: String, _ params: [String?] = []) {
            do { try c.query(sql, params); Issue.record("allowed: \(sql)") } catch { #expect(error.sqlState == PostgresError.insufficientPrivilege) }
        }
        denied(r.submitter, "SELECT chokepoint.release_hold($1, 'mine')", [id])
        denied(r.opA, "UPDATE chokepoint.payments SET status = 'released' WHERE id = $1", [id])
        denied(r.opA, "UPDATE chokepoint.audit_log SET reason = 'edited'")
        denied(r.opA, "DELETE FROM chokepoint.audit_log")
        denied(r.opA, "INSERT INTO chokepoint.audit_log (action) VALUES ('forged')")
        #expect(try r.admin.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "held")
    }

    @Test("open_holds lists held payments oldest first, with their hits")
    func openHolds() throws {
        let r = try roles()
        defer { r.db.drop() }
        let first = try Self.decided(r.admin, ref: "Q1", hits: [Self.sanctionsHit, Self.lenderHit])
        _ = try Self.decided(r.admin, ref: "Q2", hits: [])
        let third = try Self.decided(r.admin, ref: "Q3", hits: [Self.lenderHit])
        let rows = try r.opA.query("SELECT payment_id, needs_four_eyes, jsonb_array_length(hits), hits->0->>'kind' FROM chokepoint.open_holds").rows
        #expect(rows.map { $0[0] } == [first, third])
        #expect(rows[0].values == [first, "t", "2", "sanctioned_party"])
        #expect(rows[1].values == [third, "f", "1", "russian_lender"])
    }
}
