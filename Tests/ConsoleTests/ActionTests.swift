import Foundation
import IntegrationSupport
import Postgres
import TestSupport
import Testing

@Suite("console: release, reject, four eyes, good guys, and every refusal", .enabled(if: TestDatabase.enabled))
struct ActionTests {
    /// The payment's audit rows after its screening decision: (actor, action, reason).
    static func operatorAudit(_ s: Setup, _ id: String) throws -> [[String?]] {
        let c = try s.connect()
        defer { c.close() }
        return try c.query("""
            SELECT actor, action, reason FROM chokepoint.audit_log WHERE payment_id = $1 AND action <> 'decision' ORDER BY id
            """, [id]).rows.map(\.values)
    }

    @Test("four eyes: the first operator requests, the same operator cannot confirm, a second releases; the audit names each person")
    func fourEyesRelease() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let id = try s.standardPayments()["Z1"]!
        try await s.withBrowser { a in
            try await a.login(s.operatorA)
            let token = try await a.sessionToken()
            let asked = try await a.post("/holds/\(id)/release", [("csrf", token), ("reason", "beneficiary is a different company")])
            #expect(asked.status == 303)
            #expect(asked.location == "/holds/\(id)")
            let page = try await a.get("/holds/\(id)")
            #expect(page.body.contains("Payment \(id): release requested: a second operator must confirm."))
            #expect(page.body.contains("Release requested by <strong>\(s.operatorA)</strong>"))
            #expect(page.body.contains("you asked already"))
            let twice = try await a.post("/holds/\(id)/release", [("csrf", token), ("reason", "asking again myself")])
            #expect(twice.status == 403)
            #expect(twice.body.contains("needs a second operator"))
            #expect(try s.scalar("SELECT status FROM chokepoint.payments WHERE id = $1", [id]) == "held")

            let queue = try await a.get("/holds")
            #expect(queue.body.contains("requested by \(s.operatorA)"))
        }
        try await s.withBrowser { b in
            try await b.login(s.operatorB)
            let page = try await b.get("/holds/\(id)")
            #expect(page.body.contains("Confirm release (second operator after \(s.operatorA))"))
            let token = try #require(page.csrf)
            let done = try await b.post("/holds/\(id)/release", [("csrf", token), ("reason", "agreed: registry number differs")])
            #expect(done.status == 303)
            #expect(done.location == "/holds")
            let queue = try await b.get("/holds")
            #expect(queue.body.contains("Payment \(id): released (confirmed by a second operator after \(s.operatorA))."))
            #expect(!queue.body.contains("href=\"/holds/\(id)\""))
        }
        #expect(try s.scalar("SELECT status FROM chokepoint.payments WHERE id = $1", [id]) == "released")
        #expect(try Self.operatorAudit(s, id) == [
            [s.operatorA, "release_requested", "beneficiary is a different company"],
            [s.operatorB, "release_hold", "agreed: registry number differs"],
        ])
    }

    @Test("one operator rejects a hold without a sanctions hit; the audit names them")
    func reject() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let id = try s.standardPayments()["R1"]!
        try await s.withBrowser { b in
            try await b.login(s.operatorA)
            let page = try await b.get("/holds/\(id)")
            #expect(page.body.contains(">Release</button>"))
            let done = try await b.post("/holds/\(id)/reject", [("csrf", try #require(page.csrf)), ("reason", "lender\r\nnot licensed")])
            #expect(done.status == 303)
            #expect(try await b.get("/holds").body.contains("Payment \(id): rejected."))
        }
        #expect(try s.scalar("SELECT status FROM chokepoint.payments WHERE id = $1", [id]) == "rejected")
        #expect(try Self.operatorAudit(s, id) == [[s.operatorA, "reject_hold", "lender\r\nnot licensed"]])
    }

    @Test("refused before the database: missing or blank reason, a control character, no or a wrong CSRF token, a repeated field, an oversized form")
    func refusedForms() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let id = try s.standardPayments()["R1"]!
        try await s.withBrowser { b in
            try await b.login(s.operatorA)
            let token = try await b.sessionToken()
            let path = "/holds/\(id)/release"
            let cases: [([(String, String)], Int, String)] = [
                ([("csrf", token)], 400, "a reason is required"),
                ([("csrf", token), ("reason", " \n\t ")], 400, "a reason is required"),
                ([("csrf", token), ("reason", "ok\u{0}hidden")], 400, "control characters"),
                ([("csrf", token), ("reason", String(repeating: "x", count: 2001))], 400, "longer than 2000"),
                ([("reason", "no token")], 403, "Form refused"),
                ([("csrf", String(repeating: "0", count: 64)), ("reason", "wrong token")], 403, "Form refused"),
                ([("csrf", token), ("reason", "one"), ("reason", "two")], 400, "twice"),
            ]
            for (fields, status, text) in cases {
                let page = try await b.post(path, fields)
                #expect(page.status == status, "\(fields.map(\.0)) \(text)")
                #expect(page.body.contains(text), "\(text)")
            }
            let huge = try await b.post(path, [("csrf", token), ("reason", String(repeating: "y", count: 20_000))])
            #expect(huge.status == 413)
            // The wrong kind of request is a page too.
            let get = try await b.get(path)
            #expect(get.status == 405 || get.status == 404)
        }
        #expect(try s.scalar("SELECT status FROM chokepoint.payments WHERE id = $1", [id]) == "held")
        #expect(try Self.operatorAudit(s, id).isEmpty)
    }

    @Test("an auditor's session cannot act: the database refuses the API functions")
    func auditorCannotAct() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let ids = try s.standardPayments()
        try await s.withBrowser { b in
            try await b.login(s.auditor)
            let token = try await b.sessionToken()
            for (path, _) in [("/holds/\(ids["R1"]!)/release", 0), ("/holds/\(ids["R1"]!)/reject", 0)] {
                let page = try await b.post(path, [("csrf", token), ("reason", "auditors may not")])
                #expect(page.status == 403, "\(path)")
                #expect(page.body.contains("permission denied"), "\(path)")
            }
            let hit = try #require(try s.scalar("SELECT id FROM chokepoint.hits WHERE payment_id = $1", [ids["Z1"]]))
            let gg = try await b.post("/hits/\(hit)/good-guy", [("csrf", token), ("reason", "auditors may not")])
            #expect(gg.status == 403)
        }
        #expect(try s.scalar("SELECT status FROM chokepoint.payments WHERE id = $1", [ids["R1"]]) == "held")
        #expect(try s.scalar("SELECT count(*) FROM chokepoint.good_guys") == "0")
    }

    @Test("a good-guy record: requested by one operator, refused to the same one, confirmed by a second")
    func goodGuy() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let id = try s.standardPayments()["Z1"]!
        let hit = try #require(try s.scalar("SELECT id FROM chokepoint.hits WHERE payment_id = $1", [id]))
        try await s.withBrowser { a in
            try await a.login(s.operatorA)
            let page = try await a.get("/holds/\(id)")
            #expect(page.body.contains("action=\"/hits/\(hit)/good-guy\""))
            let token = try #require(page.csrf)
            let asked = try await a.post("/hits/\(hit)/good-guy", [("csrf", token), ("reason", "other company: registry 778")])
            #expect(asked.status == 303)
            #expect(asked.location == "/holds/\(id)")
            let after = try await a.get("/holds/\(id)")
            #expect(after.body.contains("requested: a second operator must confirm it."))
            #expect(after.body.contains("Marked as a false positive by <strong>\(s.operatorA)</strong>"))
            let twice = try await a.post("/hits/\(hit)/good-guy", [("csrf", token), ("reason", "confirming my own")])
            #expect(twice.status == 403)
            #expect(twice.body.contains("needs a second operator"))
            let unknown = try await a.post("/hits/987654/good-guy", [("csrf", token), ("reason", "no such hit")])
            #expect(unknown.status == 404)
        }
        try await s.withBrowser { b in
            try await b.login(s.operatorB)
            let page = try await b.get("/holds/\(id)")
            #expect(page.body.contains("Confirm good-guy record (second operator)"))
            let done = try await b.post("/hits/\(hit)/good-guy", [("csrf", try #require(page.csrf)), ("reason", "agreed: not the listed company")])
            #expect(done.status == 303)
            #expect(try await b.get("/holds/\(id)").body.contains("confirmed: it is in force for new payments."))
        }
        let c = try s.connect()
        defer { c.close() }
        #expect(try c.query("SELECT created_by, approved_by FROM chokepoint.good_guys").rows.map(\.values) == [[s.operatorA, s.operatorB]])
    }
}
