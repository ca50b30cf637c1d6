import Foundation
import IntegrationSupport
import Postgres
import TestSupport
import Testing

@Suite("console: the queue, a hold's page, alerts, lists, summary", .enabled(if: TestDatabase.enabled))
struct PageTests {
    @Test("the queue lists open holds oldest first, with counts, and filters by reason, list, age and amount")
    func queue() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let ids = try s.standardPayments()
        // Z1 arrived two days ago: it must come first, and it alone is older than a day.
        let c = try s.connect()
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET received_at = now() - interval '2 days' WHERE external_ref = 'Z1'")
        c.close()
        try await s.withBrowser { b in
            try await b.login(s.operatorA)
            let all = try await b.get("/holds")
            #expect(all.status == 200)
            let z = try #require(all.body.range(of: "href=\"/holds/\(ids["Z1"]!)\""))
            let r = try #require(all.body.range(of: "href=\"/holds/\(ids["R1"]!)\""))
            #expect(z.lowerBound < r.lowerBound)
            #expect(!all.body.contains("href=\"/holds/\(ids["C1"]!)\""))
            #expect(all.body.contains("<strong>2</strong> open hold(s)"))
            #expect(all.body.contains("sanctioned_party: 1") && all.body.contains("russian_lender: 1"))
            #expect(all.body.contains("EUR 100.00"))
            #expect(all.body.contains("needed"))  // four eyes on the sanctions hold

            func shown(_ query: String) async throws -> [String] {
                let page = try await b.get("/holds?" + query)
                #expect(page.status == 200, "\(query)")
                return ["Z1", "R1"].filter { page.body.contains("href=\"/holds/\(ids[$0]!)\"") }
            }
            #expect(try await shown("reason=russian_lender") == ["R1"])
            #expect(try await shown("reason=sanctioned_party") == ["Z1"])
            #expect(try await shown("list=ofac-sdn") == ["Z1"])
            #expect(try await shown("min_age_hours=24") == ["Z1"])
            #expect(try await shown("min_amount=50&max_amount=100") == ["Z1", "R1"])
            #expect(try await shown("min_amount=100.01") == [])
            #expect(try await shown("reason=&list=&min_age_hours=&min_amount=&max_amount=") == ["Z1", "R1"])

            for bad in ["reason=bogus", "list=nowhere", "min_age_hours=-1", "min_amount=1e9", "max_amount=abc", "reason=a&reason=b"] {
                let page = try await b.get("/holds?" + bad)
                #expect(page.status == 400, "\(bad)")
                #expect(page.body.contains("Not accepted"), "\(bad)")
            }
        }
    }

    @Test("the queue shows at most its limit a page, oldest first, with links to the other pages that keep the filter")
    func queueLimit() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let ids = try s.standardPayments()
        let c = try s.connect()
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET received_at = now() - interval '1 hour' WHERE external_ref = 'R1'")
        c.close()
        try await s.withBrowser({ $0.queueLimit = 1 }) { b in
            try await b.login(s.operatorA)
            let page = try await b.get("/holds")
            #expect(page.body.contains("href=\"/holds/\(ids["R1"]!)\""))
            #expect(!page.body.contains("href=\"/holds/\(ids["Z1"]!)\""))
            #expect(page.body.contains("Showing 1–1 of 2, oldest first, 1 a page."))
            #expect(page.body.contains("<strong>2</strong> open hold(s)"))
            #expect(page.body.contains("<a href=\"/holds?page=2\" rel=\"next\">next page</a>"))
            #expect(!page.body.contains("rel=\"prev\""))
            // The second page: the other hold, a link back, none further.
            let second = try await b.get("/holds?page=2")
            #expect(second.body.contains("href=\"/holds/\(ids["Z1"]!)\""))
            #expect(!second.body.contains("href=\"/holds/\(ids["R1"]!)\""))
            #expect(second.body.contains("Showing 2–2 of 2"))
            #expect(second.body.contains("<a href=\"/holds?page=1\" rel=\"prev\">previous page</a>"))
            #expect(!second.body.contains("rel=\"next\""))
            // Past the end: nothing shown, a link back to the last page.
            let past = try await b.get("/holds?page=7")
            #expect(past.status == 200)
            #expect(past.body.contains("<a href=\"/holds?page=2\" rel=\"prev\">"))
            // The links keep the filter (escaped as the operator typed it), and a filter with one match has no pager.
            let filtered = try await b.get("/holds?min_age_hours=0&min_amount=1%2C5&page=1")
            #expect(filtered.body.contains("href=\"/holds?min_age_hours=0&amp;min_amount=1%2C5&amp;page=2\""))
            let one = try await b.get("/holds?reason=sanctioned_party")
            #expect(one.body.contains("href=\"/holds/\(ids["Z1"]!)\""))
            #expect(!one.body.contains("Showing"))
            for bad in ["page=0", "page=-1", "page=x", "page=1234567"] {
                #expect(try await b.get("/holds?" + bad).status == 400, "\(bad)")
            }
        }
    }

    @Test("a hold's page: the message with the match marked, the list entry, the rule and score, the history")
    func holdPage() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let c = try s.connect()
        let entry = F.entity("1001", "ZORBEX HEAVY INDUSTRIES", "ZORBEX HI")
        var full = entry
        full.programs = ["RUSSIA-EO14024"]
        full.countries = ["RU"]
        full.identifiers = [.init(type: "Registration Number", value: "1027700000000", country: "RU")]
        full.remarks = "DOB 01 Jan 1970; Website zorbex.example."
        try F.importList(c, [full], tag: "v1")
        // The name split across two 35-character lines, as MT messages do.
        try F.insert(c, [("Z1", F.mt103(ref: "Z1", beneficiary: "ZORBEX HEAVY\r\nINDUSTRIES"))])
        try F.decideAll(c)
        let id = try #require(try c.query("SELECT id FROM chokepoint.payments WHERE external_ref = 'Z1'").scalar)
        #expect(try c.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "held")
        c.close()
        try await s.withBrowser { b in
            try await b.login(s.operatorA)
            let page = try await b.get("/holds/\(id)")
            #expect(page.status == 200)
            #expect(page.body.contains("<mark"))
            #expect(page.body.range(of: #"<mark id="span-\d+" title="hit 1">ZORBEX HEAVY\r?\nINDUSTRIES<sup>1</sup></mark>"#,
                                    options: .regularExpression) != nil)
            for text in ["sanctioned_party", "ofac-sdn", "entry 1001", "ZORBEX HI", "RUSSIA-EO14024", "Registration Number: 1027700000000 (RU)",
                         "Dates of birth", "01 Jan 1970", "Remarks", "score 1.00", "Request release (four eyes)", "decision", "Reject"] {
                #expect(page.body.contains(text), "\(text)")
            }
            #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(page.headers[.cacheControl] == "no-store")
        }
    }

    @Test("bad payment ids: malformed, unknown, not held — each a clear page")
    func badIds() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let ids = try s.standardPayments()
        try await s.withBrowser { b in
            try await b.login(s.operatorA)
            for bad in ["abc", "-1", "0", "99999999999999999999", "1%27%20OR%201=1"] {
                let page = try await b.get("/holds/\(bad)")
                #expect(page.status == 400, "\(bad)")
                #expect(page.body.contains("a payment id must be a positive whole number"), "\(bad)")
            }
            let unknown = try await b.get("/holds/987654")
            #expect(unknown.status == 404)
            #expect(unknown.body.contains("Payment 987654 does not exist."))
            let released = try await b.get("/holds/\(ids["C1"]!)")
            #expect(released.status == 409)
            #expect(released.body.contains("is released, not held"))
            let nowhere = try await b.get("/no/such/page")
            #expect(nowhere.status == 404)
            #expect(nowhere.body.contains("There is no such page."))
            // Actions on them are refused by the database's rules, shown as pages.
            let token = try await b.sessionToken()
            let unknownRelease = try await b.post("/holds/987654/release", [("csrf", token), ("reason", "checked")])
            #expect(unknownRelease.status == 404)
            #expect(unknownRelease.body.contains("Payment 987654 does not exist."))
            let notHeld = try await b.post("/holds/\(ids["C1"]!)/reject", [("csrf", token), ("reason", "checked")])
            #expect(notHeld.status == 409)
            #expect(notHeld.body.contains("only held payments can be rejected"))
        }
    }

    @Test("hostile message text and references are escaped everywhere they are shown")
    func escaping() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let c = try s.connect()
        try F.importList(c, [F.zorbex], tag: "v1")
        let hostile = "<script>alert('x')</script> ZORBEX HEAVY INDUSTRIES \"><img src=x onerror=alert(1)> {{csrf}} &amp;"
        try F.insert(c, [("<b>REF\"'&", F.mt103(ref: "H1", beneficiary: hostile))])
        try F.decideAll(c)
        let id = try #require(try c.query("SELECT id FROM chokepoint.payments WHERE external_ref = '<b>REF\"''&'").scalar)
        #expect(try c.query("SELECT status FROM chokepoint.payments WHERE id = $1", [id]).scalar == "held")
        c.close()
        try await s.withBrowser { b in
            try await b.login(s.operatorA)
            for path in ["/holds", "/holds/\(id)"] {
                let page = try await b.get(path)
                #expect(page.status == 200)
                #expect(!page.body.contains("<script"), "\(path)")
                #expect(!page.body.contains("<img"), "\(path)")
                #expect(!page.body.contains("<b>REF"), "\(path)")
                #expect(page.body.contains("&lt;b&gt;REF&quot;&#39;&amp;"), "\(path)")
            }
            let page = try await b.get("/holds/\(id)")
            #expect(page.body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"))
            #expect(page.body.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
            // Template syntax in a message is text, not a template: no token leaks into it.
            #expect(page.body.contains("{{csrf}} &amp;amp;"))
        }
        // Neither the message nor the party's name reaches the logs.
        #expect(!s.logs.all.isEmpty)
        #expect(!s.logs.all.contains { $0.contains("ZORBEX") || $0.contains("script") || $0.contains("REF") })
    }

    @Test("retrospective alerts are listed and acknowledged with a reason, as the operator")
    func alerts() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let c = try s.connect()
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("K1", F.mt103(ref: "K1", beneficiary: "KRASNOV TRADING HOUSE"))])
        try F.decideAll(c)
        try F.importList(c, [F.zorbex, F.krasnov], tag: "v2")
        _ = try await F.rescreen(s.db.conninfo)
        let alert = try #require(try c.query("SELECT id FROM chokepoint.retrospective_alerts").scalar)
        c.close()
        try await s.withBrowser { b in
            try await b.login(s.operatorA)
            let page = try await b.get("/alerts")
            #expect(page.status == 200)
            #expect(page.body.contains("Open (1)"))
            #expect(page.body.contains("KRASNOV TRADING HOUSE"))
            let token = try #require(page.csrf)
            let noReason = try await b.post("/alerts/\(alert)/acknowledge", [("csrf", token), ("reason", "  ")])
            #expect(noReason.status == 400)
            #expect(noReason.body.contains("a reason is required"))
            let done = try await b.post("/alerts/\(alert)/acknowledge", [("csrf", token), ("reason", "reported to the regulator")])
            #expect(done.status == 303)
            let after = try await b.get("/alerts")
            #expect(after.body.contains("Alert \(alert): acknowledged."))
            #expect(after.body.contains("Open (0)"))
            #expect(after.body.contains("reported to the regulator"))
            let again = try await b.post("/alerts/\(alert)/acknowledge", [("csrf", token), ("reason", "twice")])
            #expect(again.status == 409)
        }
        #expect(try s.scalar("SELECT acknowledged_by FROM chokepoint.retrospective_alerts WHERE id = $1", [alert]) == s.operatorA)
        #expect(try s.scalar("SELECT actor FROM chokepoint.audit_log WHERE action = 'retrospective_alert_acknowledged'") == s.operatorA)
    }

    @Test("list status shows each source's current version and the last diff")
    func lists() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let c = try s.connect()
        var changed = F.zorbex
        changed.programs = ["NEW-PROGRAMME"]
        try F.importList(c, [F.zorbex, F.entity("1003", "GONE LTD")], tag: "v1")
        try F.importList(c, [changed, F.krasnov], tag: "v2")
        c.close()
        try await s.withBrowser { b in
            try await b.login(s.operatorA)
            let page = try await b.get("/lists")
            #expect(page.status == 200)
            #expect(page.body.contains("ofac-sdn"))
            #expect(page.body.contains("+1 added, −1 removed, 1 changed"))
        }
    }

    @Test("the daily summary counts screened, held by reason, decided, the median time, and draws a chart")
    func summary() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let ids = try s.standardPayments()
        let c = try Connection(conninfo: s.db.conninfo(user: s.operatorA))
        _ = try c.query("SELECT chokepoint.reject_hold($1, 'lender not licensed')", [ids["R1"]])
        c.close()
        try await s.withBrowser { b in
            try await b.login(s.auditor)
            let page = try await b.get("/summary")
            #expect(page.status == 200)
            #expect(page.body.contains(#"<dd class="num" id="screened">3</dd>"#))
            #expect(page.body.contains(#"<dd class="num" id="held">2</dd>"#))
            #expect(page.body.contains(#"<dd class="num" id="rejected">1</dd>"#))
            #expect(page.body.contains(#"<dd class="num" id="released">0</dd>"#))
            #expect(page.body.contains("<td>russian_lender</td><td class=\"num\">1</td>"))
            #expect(page.body.range(of: #"<dd id="median">\d+ s</dd>"#, options: .regularExpression) != nil)
            #expect(page.body.contains("<svg"))
            #expect(page.body.components(separatedBy: "<rect").count - 1 == 14 * 3)
            let other = try await b.get("/summary?day=2020-02-29")
            #expect(other.status == 200)
            #expect(other.body.contains(#"<dd class="num" id="screened">0</dd>"#))
            for bad in ["2020-02-30", "yesterday", "2020-1-1"] {
                #expect(try await b.get("/summary?day=\(bad)").status == 400, "\(bad)")
            }
        }
    }
}
