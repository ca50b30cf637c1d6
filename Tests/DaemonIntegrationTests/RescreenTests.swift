import Daemon
import Foundation
import IntegrationSupport
import Logging
import Postgres
import Rescreen
import Screening
import Store
import TestSupport
import Testing
import Watchlists

@Suite("rescreen against the real database", .enabled(if: TestDatabase.enabled))
struct RescreenTests {
    typealias F = RescreenFixtures

    @Test("a released payment that hits a new entry gets an alert; the payment, its hits and its audit never change")
    func releasedGetsAlert() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("R1", F.mt103(ref: "R1", beneficiary: "DUPONT SARL")),
                         ("R2", F.mt103(ref: "R2", beneficiary: "KRASNOV TRADING HOUSE"))])
        try F.decideAll(c)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'released'") == 2)
        let before = try c.query("SELECT id, status, decided_at::text, reasons::text, screening_run_id, screened_at::text FROM chokepoint.payments WHERE external_ref = 'R2'").rows[0].values
        let auditBefore = try F.count(c, "SELECT count(*) FROM chokepoint.audit_log")
        let v2 = try F.importList(c, [F.zorbex, F.krasnov], tag: "v2")
        let auditAfterImport = try F.count(c, "SELECT count(*) FROM chokepoint.audit_log")
        #expect(auditAfterImport > auditBefore)

        // The rescreen runs as the daemon role: its grants are enough.
        let daemonRole = try db.createLoginRole(prefix: "rsd", memberOf: "chokepoint_daemon")
        let s = try await F.rescreen(db.conninfo(user: daemonRole))
        #expect(s.mode == "delta")
        #expect(s.deltaEntries == 1)
        #expect(s.paymentsScreened == 2)
        #expect(s.newAlerts == 1)
        #expect(s.newHits == 0)

        let alert = try c.query("""
            SELECT p.external_ref, a.kind, a.field, a.list, a.entry_id, a.list_version_id, a.rescreen_run_id
              FROM chokepoint.retrospective_alerts a JOIN chokepoint.payments p ON p.id = a.payment_id
            """).rows.map(\.values)
        #expect(alert == [["R2", "sanctioned_party", "beneficiary", "ofac-sdn", "1002", String(v2), String(s.runId)]])
        let after = try c.query("SELECT id, status, decided_at::text, reasons::text, screening_run_id, screened_at::text FROM chokepoint.payments WHERE external_ref = 'R2'").rows[0].values
        #expect(after == before)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.hits") == 0)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.audit_log") == auditAfterImport)
        #expect(try F.scalar(c, "SELECT status || ' ' || mode FROM chokepoint.rescreen_runs WHERE id = $1", [String(s.runId)]) == "finished delta")

        // Running again finds nothing new (and, covered by the finished run, screens against nothing changed).
        let again = try await F.rescreen(db.conninfo)
        #expect(again.newAlerts == 0)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.retrospective_alerts") == 1)

        // Operators see it in the view and acknowledge it, audited under their own name.
        let op = try db.createLoginRole(prefix: "rso", memberOf: "chokepoint_operator")
        let oc = try Connection(conninfo: db.conninfo(user: op))
        defer { oc.close() }
        let open = try oc.query("SELECT alert_id, external_ref, decided_at IS NOT NULL, kind, entry_id FROM chokepoint.open_retrospective_alerts").rows
        #expect(open.count == 1)
        #expect(Array(open[0].values.dropFirst()) == ["R2", "t", "sanctioned_party", "1002"])
        let alertId = open[0].string(0)!
        do {
            try oc.query("SELECT chokepoint.acknowledge_alert($1, '  ')", [alertId])
            Issue.record("acknowledged without a reason")
        } catch { #expect(error.sqlState == "22023") }
        #expect(try F.scalar(oc, "SELECT chokepoint.acknowledge_alert($1, $2)", [alertId, "payment recalled, reported to compliance"]) == "acknowledged")
        #expect(try F.count(oc, "SELECT count(*) FROM chokepoint.open_retrospective_alerts") == 0)
        #expect(try c.query("SELECT actor, action, reason FROM chokepoint.audit_log WHERE action = 'retrospective_alert_acknowledged'").rows.map(\.values)
                == [[op, "retrospective_alert_acknowledged", "payment recalled, reported to compliance"]])
        do {
            try oc.query("UPDATE chokepoint.retrospective_alerts SET acknowledged_by = 'x'")
            Issue.record("an operator edited an alert directly")
        } catch { #expect(error.sqlState == PostgresError.insufficientPrivilege) }
    }

    @Test("a held payment gets the new hit added under the rescreen's run; a pending one too; nothing is duplicated")
    func heldGetsHit() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("H1", F.mt103(ref: "H1", orderer: "KRASNOV TRADING HOUSE", beneficiary: "ZORBEX HEAVY INDUSTRIES"))])
        try F.decideAll(c)
        #expect(try F.scalar(c, "SELECT status FROM chokepoint.payments WHERE external_ref = 'H1'") == "held")
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.hits") == 1)
        try F.importList(c, [F.zorbex, F.krasnov], tag: "v2")
        try F.insert(c, [("P1", F.mt103(ref: "P1", beneficiary: "KRASNOV TRADING HOUSE"))])

        let s = try await F.rescreen(db.conninfo)
        #expect(s.newHits == 2)
        #expect(s.newAlerts == 0)
        #expect(s.paymentsScreened == 2)
        // The pending payment has no baseline: it is screened against the whole lists.
        #expect(s.paymentsScreenedInFull == 1)
        let rescreenRun = try F.scalar(c, "SELECT screening_run_id FROM chokepoint.rescreen_runs WHERE id = $1", [String(s.runId)])
        let hits = try c.query("""
            SELECT p.external_ref, p.status, h.field, h.entry_id, h.run_id::text = $1
              FROM chokepoint.hits h JOIN chokepoint.payments p ON p.id = h.payment_id ORDER BY p.external_ref, h.entry_id
            """, [rescreenRun]).rows.map(\.values)
        #expect(hits == [["H1", "held", "beneficiary", "1001", "f"], ["H1", "held", "ordering_customer", "1002", "t"],
                         ["P1", "pending", "beneficiary", "1002", "t"]])
        #expect(try F.scalar(c, "SELECT kind FROM chokepoint.screening_runs WHERE id = $1", [rescreenRun]) == "rescreen")

        let again = try await F.rescreen(db.conninfo) { $0.forceFull = true }
        #expect(again.mode == "full")
        #expect(again.newHits == 0)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.hits") == 3)
    }

    @Test("released payments outside the look-back are not screened unless --all (or an earlier --since)")
    func lookBack() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("OLD", F.mt103(ref: "OLD", beneficiary: "KRASNOV TRADING HOUSE")),
                         ("NEW", F.mt103(ref: "NEW", beneficiary: "DUPONT SARL"))])
        try F.decideAll(c)
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET decided_at = now() - interval '100 days' WHERE external_ref = 'OLD'")
        // Earlier than the last hour (a keyed delta run reads the payments decided since an hour before it anyway).
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET decided_at = now() - interval '2 hours' WHERE external_ref = 'NEW'")
        try F.importList(c, [F.zorbex, F.krasnov], tag: "v2")

        let def = try await F.rescreen(db.conninfo)
        #expect(def.paymentsScreened == 1)
        #expect(def.newAlerts == 0)
        // The first run read NEW (its prefilter keys were unknown) and stored its keys; from then on a delta run
        // reads only payments whose keys meet a changed entry's: NEW's meet none of KRASNOV's.
        let recent = try await F.rescreen(db.conninfo) { $0.since = Self.date(daysAgo: 30) }
        #expect(recent.mode == "delta")
        #expect(recent.paymentsScreened == 0)
        #expect(recent.newAlerts == 0)
        let older = try await F.rescreen(db.conninfo) { $0.since = Self.date(daysAgo: 120) }
        #expect(older.paymentsScreened == 1)
        #expect(older.newAlerts == 1)
        let all = try await F.rescreen(db.conninfo) { $0.all = true }
        #expect(all.paymentsScreened == 0)
        #expect(all.newAlerts == 0)
        // In full mode, the scope is every payment read: NEW alone by default, OLD too with --all.
        #expect(try await F.rescreen(db.conninfo) { $0.forceFull = true }.paymentsScreened == 1)
        #expect(try await F.rescreen(db.conninfo) { $0.forceFull = true; $0.all = true }.paymentsScreened == 2)
        #expect(try F.scalar(c, "SELECT p.external_ref FROM chokepoint.retrospective_alerts a JOIN chokepoint.payments p ON p.id = a.payment_id") == "OLD")
    }

    static func date(daysAgo: Int) -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyy-MM-dd"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date().addingTimeInterval(-Double(daysAgo) * 86_400))
    }

    @Test("a killed run is continued from its saved cursor and adds no duplicate")
    func resumesKilledRun() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try F.importList(c, [F.zorbex], tag: "v1")
        var payments: [(String, String)] = []
        for i in 1...10 {
            payments.append(("K\(i)", F.mt103(ref: "K\(i)", beneficiary: i == 3 || i == 8 ? "KRASNOV TRADING HOUSE" : "DUPONT SARL \(i)")))
        }
        try F.insert(c, payments)
        try F.decideAll(c)
        let v2 = try F.importList(c, [F.zorbex, F.krasnov], tag: "v2")
        let ids = try c.query("SELECT id FROM chokepoint.payments ORDER BY id").rows.compactMap { $0.int64(0) }

        // What a run killed after committing payments K1…K5 leaves behind: a running record, one range with
        // its cursor at K5 and counts, and the alert on K3 it found.
        let versions = try ListStore.loadScreeningData(c).versionsJSON
        let sr = try PaymentStore.startRun(c, kind: "rescreen", host: "dead-host", pid: 99, listVersions: versions)
        let run = try F.scalar(c, """
            INSERT INTO chokepoint.rescreen_runs (screening_run_id, mode, since, max_payment_id, list_versions, host, pid)
            VALUES ($1, 'delta', now() - interval '90 days', $2, $3::jsonb, 'dead-host', 99) RETURNING id
            """, [String(sr), String(ids.last!), versions])!
        try c.query("""
            INSERT INTO chokepoint.rescreen_ranges (run_id, range_no, first_id, last_id, cursor_id, payments_screened, new_alerts)
            VALUES ($1, 1, $2, $3, $4, 5, 1)
            """, [run, String(ids.first! - 1), String(ids.last!), String(ids[4])])
        try c.query("""
            INSERT INTO chokepoint.retrospective_alerts (payment_id, rescreen_run_id, kind, field, matched, list, entry_id, entry_name,
                                                         list_version_id, score, explanation)
            VALUES ($1, $2, 'sanctioned_party', 'beneficiary', 'KRASNOV TRADING HOUSE', 'ofac-sdn', '1002', 'KRASNOV TRADING HOUSE', $3, 1, 'x')
            """, [String(ids[2]), run, String(v2)])

        let s = try await F.rescreen(db.conninfo)
        #expect(s.resumed)
        #expect(String(s.runId) == run)
        // 5 payments before the kill + 5 after: had it restarted, it would have screened 15.
        #expect(s.paymentsScreened == 10)
        #expect(s.newAlerts == 2)
        let alerts = try c.query("""
            SELECT p.external_ref FROM chokepoint.retrospective_alerts a JOIN chokepoint.payments p ON p.id = a.payment_id ORDER BY p.id
            """).rows.map { $0.string(0)! }
        #expect(alerts == ["K3", "K8"])
        #expect(try F.scalar(c, "SELECT status || ' ' || resumed_count || ' ' || host FROM chokepoint.rescreen_runs WHERE id = $1", [run])
                == "finished 1 \(ProcessInfo.processInfo.hostName)")

        // A stale run made with other lists is not continued: it is marked failed and a new run starts.
        let sr2 = try PaymentStore.startRun(c, kind: "rescreen", host: "dead-host", pid: 99, listVersions: "{}")
        let stale = try F.scalar(c, """
            INSERT INTO chokepoint.rescreen_runs (screening_run_id, mode, since, max_payment_id, list_versions)
            VALUES ($1, 'full', NULL, 1, '{"ofac-sdn": 1}'::jsonb) RETURNING id
            """, [String(sr2)])!
        let fresh = try await F.rescreen(db.conninfo)
        #expect(!fresh.resumed)
        #expect(String(fresh.runId) != stale)
        #expect(try F.scalar(c, "SELECT status || ': ' || error FROM chokepoint.rescreen_runs WHERE id = $1", [stale])
                == "failed: abandoned: lists changed since it started")
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.retrospective_alerts") == 2)
    }

    @Test("two rescreens at once share one run (or the later one finds nothing new); no alert is duplicated")
    func concurrentRuns() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try F.importList(c, [F.zorbex], tag: "v1")
        var payments: [(String, String)] = []
        for i in 0..<300 {
            payments.append(("C\(i)", F.mt103(ref: "C\(i)", beneficiary: i % 15 == 0 ? "KRASNOV TRADING HOUSE" : "DUPONT SARL \(i)")))
        }
        try F.insert(c, payments)
        try F.decideAll(c)
        try F.importList(c, [F.zorbex, F.krasnov], tag: "v2")

        async let a = Self.outcome { try await F.rescreen(db.conninfo) { $0.batchSize = 5 } }
        async let b = Self.outcome { try await F.rescreen(db.conninfo) { $0.batchSize = 5 } }
        let results = await [a, b]
        var summaries: [RescreenSummary] = []
        for r in results {
            switch r {
            case .success(let s): summaries.append(s)
            case .failure(let e): Issue.record("unexpected error \(e)")
            }
        }
        // Sharing one run, both report its totals and exactly one finished it; one after the other, the second finds nothing new.
        if summaries.count == 2 && summaries[0].runId == summaries[1].runId {
            #expect(summaries.filter(\.finishedHere).count == 1)
            #expect(summaries.allSatisfy { $0.newAlerts == 20 })
            #expect(summaries.map(\.screenedHere).reduce(0, +) == 300)
        } else {
            #expect(summaries.map(\.newAlerts).sorted() == [0, 20])
        }
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.retrospective_alerts") == 20)
        #expect(try F.count(c, "SELECT count(DISTINCT payment_id) FROM chokepoint.retrospective_alerts") == 20)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.rescreen_runs WHERE status = 'running'") == 0)
    }

    static func outcome(_ body: () async throws -> RescreenSummary) async -> Result<RescreenSummary, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// The same data in two databases: lists v1 (sanctions + banks), payments decided against v1, then v2
    /// with added, changed, unchanged and removed entries and a good guy revoked.
    static func deltaFixture(_ c: Connection) throws {
        var v1: [ListEntry] = []
        let words = ["ALPHA", "BRAVO", "CORVUS", "DELTA", "EMBER", "FALCON", "GRANITE", "HELIX", "ICARUS", "JUNIPER", "KESTREL", "LUMEN"]
        for (i, w) in words.enumerated() { v1.append(F.entity("E\(i)", "\(w) ORBITAL DYNAMICS")) }
        try F.importList(c, v1, tag: "v1")
        try F.importList(c, [F.entity("B1", "FIRST RIVER BANK", bics: ["FRIVATWW"])], source: .banks, tag: "b1")

        var payments: [(String, String)] = []
        // Hits on v1 entries (held), clean ones (released), and ones that only v2 entries will hit.
        let beneficiaries = ["ALPHA ORBITAL DYNAMICS", "DUPONT SARL", "NOVA STEEL WORKS", "BRAVO ORBITAL DYNAMICS", "MARTIN ET FILS",
                             "CORVUS ORBITAL DYNAMICS", "TARKOV MARINE SUPPLY", "HELIX ORBITAL DYNAMICS", "QUASAR CHEMICALS",
                             "PETROV KARGO LIMITED", "GRANITE ORBITAL DYNAMICS", "ACME WIDGETS"]
        let banks = ["BNPAFRPP", "BKAUATWW", "DEUTDEFF"]
        for (i, b) in beneficiaries.enumerated() {
            for (j, bank) in banks.enumerated() {
                let ref = "D\(i)-\(j)"
                payments.append((ref, F.mt103(ref: ref, orderer: j == 1 ? "LUMEN ORBITAL DYNAMICS" : "MUELLER GMBH", beneficiary: b, bank: bank)))
            }
        }
        // A confirmed false positive for entry E7 (HELIX…) in the beneficiary field: those payments are released.
        try F.addGoodGuy(c, field: "beneficiary", matched: "HELIX ORBITAL DYNAMICS", entryId: "E7")
        try F.insert(c, payments)
        try F.decideAll(c)
        // An operator releases one of the held payments (its hits stay recorded).
        try F.rewriteHistory(c, """
            UPDATE chokepoint.payments SET status = 'released', decided_at = now() WHERE external_ref = 'D0-0'
            """)
        // The good guy is revoked after the decisions: E7 may hit HELIX again.
        try c.query("UPDATE chokepoint.good_guys SET revoked_at = now(), revoked_by = 'x', revoke_reason = 'wrong'")
        var v2 = Array(v1.dropLast())                                              // LUMEN removed
        v2[1].names.append(EntryName(name: "NOVA STEEL WORKS", kind: "aka", strength: .strong))   // BRAVO changed
        v2[2].names[0].name = "CORVUS ORBITAL DYNAMICS"                              // CORVUS re-written identically: unchanged
        v2.append(F.entity("N1", "TARKOV MARINE SUPPLY"))                            // added
        v2.append(F.entity("N2", "PETROV KARGO"))                                    // added
        v2.append(F.entity("N3", "QUASAR CHEMICALS", bics: ["DEUTDEFF"]))            // added, with a BIC
        try F.importList(c, v2, tag: "v2")
        try F.importList(c, [F.entity("B1", "FIRST RIVER BANK", bics: ["FRIVATWW"]),
                             F.entity("B2", "AUSTRIAN UNION BANK", bics: ["BKAUATWW"])], source: .banks, tag: "b2")
    }

    static func findings(_ c: Connection) throws -> [[String?]] {
        try c.query("""
            SELECT 'alert', p.external_ref, a.kind, a.field, a.list, a.entry_id, a.matched
              FROM chokepoint.retrospective_alerts a JOIN chokepoint.payments p ON p.id = a.payment_id
            UNION ALL
            SELECT 'hit', p.external_ref, h.kind, h.field, h.list, h.entry_id, h.matched
              FROM chokepoint.hits h JOIN chokepoint.payments p ON p.id = h.payment_id
              JOIN chokepoint.screening_runs r ON r.id = h.run_id AND r.kind = 'rescreen'
             ORDER BY 1, 2, 3, 4, 5, 6, 7
            """).rows.map(\.values)
    }

    @Test("delta mode finds exactly what full mode finds")
    func deltaEqualsFull() async throws {
        let pair = try F.DeltaAndFull(Self.deltaFixture)
        defer { pair.close() }
        let (dc, fc, deltaDB) = (pair.dc, pair.fc, pair.delta)
        let (delta, full) = try await pair.rescreen()
        #expect(delta.mode == "delta")
        #expect(delta.paymentsScreenedInFull == 0)
        #expect(full.mode == "full")
        #expect(delta.paymentsScreened == full.paymentsScreened)
        let d = try Self.findings(dc), f = try Self.findings(fc)
        #expect(d == f)
        #expect(delta.newAlerts == full.newAlerts && delta.newHits == full.newHits)
        // The fixture exercises every kind of change: added names, an added alias, a listed BIC, a banks
        // entry, a revoked good guy; and both alerts and hits.
        let entries = Set(d.compactMap { $0[5] })
        #expect(entries.isSuperset(of: ["N1", "N2", "N3", "E1", "E7", "B2"]))
        #expect(!entries.contains("E2"))
        #expect(d.contains { $0[0] == "alert" } && d.contains { $0[0] == "hit" })

        // A change of settings makes delta impossible: the next run is full, and still finds nothing new.
        try dc.query("UPDATE chokepoint.settings SET value = '0.91'::jsonb WHERE key = 'name_match_threshold'")
        try dc.query("UPDATE chokepoint.settings SET value = '0.90'::jsonb WHERE key = 'name_match_threshold'")
        let after = try await F.rescreen(deltaDB.conninfo)
        #expect(after.mode == "full")
        #expect(after.newAlerts == 0 && after.newHits == 0)
    }
}
