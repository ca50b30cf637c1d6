import Foundation
import IntegrationSupport
import Postgres
import Screening
@testable import Store
import TestSupport
import Testing

@Suite("schema rules and roles", .enabled(if: TestDatabase.enabled))
struct SchemaTests {
    @Test("a duplicate external_ref is refused with a clear error")
    func duplicateReference() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ($1, 'mt103', 'x')", ["REF-1"])
        do {
            try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ($1, 'mt103', 'y')", ["REF-1"])
            Issue.record("duplicate accepted")
        } catch {
            #expect(error.sqlState == PostgresError.uniqueViolation)
            #expect(error.message.contains("payments_external_ref_key"))
        }
        #expect(try c.query("SELECT count(*) FROM chokepoint.payments").scalar == "1")
    }

    @Test("a claim locks at most n rows; a second session claims the rest")
    func claimTakesAtMostN() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let a = try db.connect(), b = try db.connect()
        try a.query("INSERT INTO chokepoint.payments (external_ref, format, message) SELECT 'R' || g, 'mt103', 'm' FROM generate_series(1, 50) g")
        try a.query("BEGIN")
        let first = try PaymentStore.claim(a, limit: 10)
        #expect(first.count == 10)
        let locks = try a.query("""
            SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
            WHERE l.pid = pg_backend_pid() AND c.relname = 'payments' AND l.locktype = 'relation'
            """).scalar
        #expect(locks == "1")
        try b.query("BEGIN")
        let second = try PaymentStore.claim(b, limit: 100)
        #expect(second.count == 40)
        #expect(Set(first.map(\.id)).isDisjoint(with: second.map(\.id)))
        try a.query("ROLLBACK")
        try b.query("ROLLBACK")
        // Rolled back claims are pending again.
        try a.query("BEGIN")
        #expect(try PaymentStore.claim(a, limit: 100).count == 50)
        try a.query("ROLLBACK")
    }

    @Test("the claim query uses the partial index on pending payments")
    func claimUsesPartialIndex() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) SELECT 'R' || g, 'mt103', 'm' FROM generate_series(1, 20000) g")
        let run = try PaymentStore.startRun(c, kind: "daemon", host: "test", pid: 1, listVersions: "{}")
        try c.query("UPDATE chokepoint.payments SET status = 'released', decided_at = now(), screening_run_id = $1 WHERE id <= 19990", [String(run)])
        try c.query("ANALYZE chokepoint.payments")
        let plan = try c.query("EXPLAIN SELECT id, format, message FROM chokepoint.payments WHERE status = 'pending' ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED")
            .rows.compactMap { $0[0] }.joined(separator: "\n")
        // payments is partitioned by month: each partition has its own copy of the partial index.
        let pendingIndexes = try c.query("""
            SELECT string_agg(c.relname, ',') FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'chokepoint.payments_pending_idx'::regclass
            """).scalar!.split(separator: ",").map(String.init)
        let month = try c.query("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY\"m\"MM')").scalar!
        #expect(pendingIndexes.count >= 4)
        #expect(pendingIndexes.contains { plan.contains("\($0) on payments_y\(month)") }, "\(plan)")
        // Only the empty partitions of the months ahead may be read whole.
        #expect(!plan.contains("Seq Scan on payments_y\(month)"), "\(plan)")
    }

    @Test("a status only moves forward, and a payment's content never changes")
    func statusGuard() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let id = try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('G1', 'mt103', 'm') RETURNING id").scalar!
        let run = try PaymentStore.startRun(c, kind: "daemon", host: "test", pid: 1, listVersions: "{}")
        #expect(throws: PostgresError.self) { try c.query("UPDATE chokepoint.payments SET status = 'rejected', decided_at = now(), screening_run_id = $2 WHERE id = $1", [id, String(run)]) }
        try c.query("UPDATE chokepoint.payments SET status = 'released', decided_at = now(), screening_run_id = $2 WHERE id = $1", [id, String(run)])
        #expect(throws: PostgresError.self) { try c.query("UPDATE chokepoint.payments SET status = 'held' WHERE id = $1", [id]) }
        #expect(throws: PostgresError.self) { try c.query("UPDATE chokepoint.payments SET message = 'changed' WHERE id = $1", [id]) }
        // The decision was audited once, and announced.
        #expect(try c.query("SELECT count(*) FROM chokepoint.audit_log WHERE payment_id = $1", [id]).scalar == "1")
    }

    @Test("the audit log refuses UPDATE, DELETE and TRUNCATE, even by its owner")
    func auditAppendOnly() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try c.query("INSERT INTO chokepoint.audit_log (action) VALUES ('test')")
        let before = try c.query("SELECT count(*) FROM chokepoint.audit_log").scalar
        #expect(throws: PostgresError.self) { try c.query("UPDATE chokepoint.audit_log SET action = 'x'") }
        #expect(throws: PostgresError.self) { try c.query("DELETE FROM chokepoint.audit_log") }
        #expect(throws: PostgresError.self) { try c.query("TRUNCATE chokepoint.audit_log") }
        #expect(try c.query("SELECT count(*) FROM chokepoint.audit_log").scalar == before)
        #expect(try c.query("SELECT count(*) FROM chokepoint.audit_log WHERE action = 'test'").scalar == "1")
    }

    @Test("a submitter inserts and reads status, but cannot decide, read hits or set its own status")
    func submitterPrivileges() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let role = try db.createLoginRole(prefix: "sub", memberOf: "chokepoint_submitter")
        let s = try Connection(conninfo: db.conninfo(user: role))
        try s.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('S1', 'mt103', 'm')")
        #expect(try s.query("SELECT status FROM chokepoint.payments WHERE external_ref = 'S1'").scalar == "pending")
        func denied(_ sql: String) {
            do { try s.query(sql); Issue.record("allowed: \(sql)") } catch { #expect(error.sqlState == PostgresError.insufficientPrivilege) }
        }
        denied("UPDATE chokepoint.payments SET status = 'released' WHERE external_ref = 'S1'")
        denied("INSERT INTO chokepoint.payments (external_ref, format, message, status) VALUES ('S2', 'mt103', 'm', 'released')")
        denied("SELECT * FROM chokepoint.hits")
        denied("DELETE FROM chokepoint.payments")
        denied("INSERT INTO chokepoint.audit_log (action) VALUES ('forged')")
    }

    @Test("the daemon role decides and records hits but cannot insert payments or write the audit log")
    func daemonPrivileges() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let admin = try db.connect()
        try admin.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('D1', 'mt103', 'm')")
        let role = try db.createLoginRole(prefix: "dmn", memberOf: "chokepoint_daemon")
        let d = try Connection(conninfo: db.conninfo(user: role))
        let run = try PaymentStore.startRun(d, kind: "daemon", host: "h", pid: 1, listVersions: "{}")
        try d.query("BEGIN")
        let claimed = try PaymentStore.claim(d, limit: 10)
        let hit = Hit(kind: .russianLender, field: "receiver", matched: "SABRRUMM", score: 1, explanation: "RU BIC")
        let decided = try PaymentStore.record(d, runId: run, decisions: [(claimed[0].id, Decision(hits: [hit]))])
        try d.query("COMMIT")
        #expect(decided.count == 1)
        #expect(try admin.query("SELECT status, reasons::text FROM chokepoint.payments").rows.first?.values == ["held", "{russian_lender}"])
        #expect(try admin.query("SELECT actor FROM chokepoint.audit_log WHERE payment_id = $1", [String(claimed[0].id)]).scalar == role)
        #expect(throws: PostgresError.self) { try d.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('D2', 'mt103', 'm')") }
        #expect(throws: PostgresError.self) { try d.query("INSERT INTO chokepoint.audit_log (action) VALUES ('forged')") }
    }

    /// Pending MT103 payments with these references, inserted in order; their ids.
    static func pending(_ c: Connection, _ refs: [String]) throws -> [Int64] {
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message) SELECT r, 'mt103', 'm' FROM unnest($1::text[]) WITH ORDINALITY AS u(r, n)
             ORDER BY n RETURNING id
            """, [PostgresArray.text(refs)]).rows.compactMap { $0.int64(0) }.sorted()
    }

    @Test("the claim says how many attempts each payment had before it, which decides whether the worker waits for the attempt record")
    func claimReadsAttempts() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let ids = try Self.pending(c, ["A1", "A2", "A3"])
        _ = try PaymentStore.noteScreeningStarted(c, ids: [ids[0], ids[1]])
        _ = try PaymentStore.noteScreeningStarted(c, ids: [ids[0]])
        let claimed = try c.transaction { c in try PaymentStore.claimWithGeneration(c, limit: 10).payments }
        #expect(claimed.map(\.id) == ids)
        #expect(claimed.map(\.attemptsBefore) == [2, 1, 0])
        // The record sent without waiting names the payments seen before, with their counts including this attempt.
        try PaymentStore.sendScreeningStarted(c, ids: ids)
        #expect(try PaymentStore.collectScreeningStarted(c) == [ids[0]: 3, ids[1]: 2])
        #expect(try c.query("SELECT attempts FROM chokepoint.screening_attempts WHERE payment_id = $1", [String(ids[2])]).scalar == "1")
        // Sent for a whole batch and the connection gone at once (as when a poison message kills the daemon while
        // the server writes the record): the record is committed all the same.
        let batch = try Self.pending(c, (1...2000).map { "B\($0)" })
        let gone = try db.connect()
        try PaymentStore.sendScreeningStarted(gone, ids: batch)
        gone.close()
        let deadline = Date().addingTimeInterval(10)
        while try Fixtures.count(c, "SELECT count(*) FROM chokepoint.screening_attempts") < 2003 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.screening_attempts WHERE payment_id = ANY($1::bigint[])",
                                   [PostgresArray.int64(batch)]) == 2000)
    }

    @Test("recording decides only pending payments: it writes the hits and clears the attempt records of those it decided, nothing of the others")
    func recordTouchesOnlyWhatItDecides() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let ids = try Self.pending(c, ["R1", "R2", "R3"])
        _ = try PaymentStore.noteScreeningStarted(c, ids: ids)
        let run = try PaymentStore.startRun(c, kind: "daemon", host: "h", pid: 1, listVersions: "{}")
        // R2 is decided first, by another transaction.
        try PaymentStore.record(c, runId: run, decisions: [(ids[1], .release)])
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.screening_attempts WHERE payment_id = \(ids[1])") == 0)
        // An attempt record the batch below must leave alone: it does not decide R2.
        _ = try PaymentStore.noteScreeningStarted(c, ids: [ids[1]])
        let hit = Hit(kind: .russianLender, field: "receiver", matched: "SABRRUMM", score: 1, explanation: "RU BIC")
        let other = Hit(kind: .russianLender, field: "intermediary", matched: "VTBRRUMM", score: 1, explanation: "RU BIC")
        try c.query("BEGIN")
        let decided = try PaymentStore.record(c, runId: run, decisions: [(ids[0], Decision(hits: [hit, other])),
                                                                          (ids[1], Decision(hits: [hit])),
                                                                          (ids[2], .release)])
        try c.query("COMMIT")
        #expect(decided == [ids[0], ids[2]])
        #expect(try c.query("SELECT payment_id, matched FROM chokepoint.hits ORDER BY id").rows.map(\.values)
                == [[String(ids[0]), "SABRRUMM"], [String(ids[0]), "VTBRRUMM"]])
        #expect(try c.query("SELECT status FROM chokepoint.payments ORDER BY id").rows.map { $0.string(0) } == ["held", "released", "released"])
        #expect(try c.query("SELECT payment_id FROM chokepoint.screening_attempts").rows.map { $0.int64(0) } == [ids[1]])
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.audit_log WHERE payment_id = \(ids[1])") == 1)
    }

    @Test("the record statement finds earlier hits by index, with a generic plan made while hits was empty")
    func recordDuplicateCheckUsesIndex() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message) SELECT 'R' || g, 'mt103', 'm' FROM generate_series(1, 2000) g
            """)
        let run = try PaymentStore.startRun(c, kind: "rescreen", host: "h", pid: 1, listVersions: "{}")
        let payment = try c.query("SELECT id, received_at FROM chokepoint.payments ORDER BY id LIMIT 1").rows[0]
        let id = payment.int64(0)!, receivedAt = payment.string(1)!
        let earlier = Hit(kind: .sanctionedParty, field: "creditor", matched: "NAME 3", list: "ofac_sdn", entryId: "3", score: 0.9, explanation: "x")
        let new = Hit(kind: .sanctionedParty, field: "creditor", matched: "OTHER", list: "ofac_sdn", entryId: "77", score: 0.9, explanation: "y")
        var hits = PaymentStore.HitRows()
        hits.append(id, earlier, suppressedBy: nil)
        hits.append(id, new, suppressedBy: nil)
        let parameters: [String?] = [PostgresArray.int64([id]), PostgresArray.text(["held"]), PostgresArray.text([PostgresArray.text(["sanctioned_party"])]),
                                     PostgresArray.text([nil]), String(run), PostgresArray.text([PostgresArray.int64([])]),
                                     PostgresArray.text([receivedAt])] + hits.parameters + PaymentStore.keysParameters([])
        let literals = parameters.map { $0.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL" }.joined(separator: ", ")
        let month = try c.query("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY\"m\"MM')").scalar!
        // As the worker plans it: prepared, one generic plan per connection, made at its first execution, here while
        // hits is empty (a new month, or a month analysed while empty) and kept as hits fills up.
        try c.query("ANALYZE chokepoint.hits")
        try c.query("SET plan_cache_mode = force_generic_plan")
        try c.query("PREPARE with_settings AS " + PaymentStore.recordStatement(pruned: true))
        try c.query("PREPARE without_settings AS " + PaymentStore.recordStatement(pruned: true))
        func plan(_ name: String, settings: Connection.LocalSettings) throws -> String {
            try c.transaction { c in
                for s in settings { try c.query("SELECT set_config($1, $2, true)", [s.name, s.value]) }
                return try c.query("EXPLAIN (COSTS OFF) EXECUTE \(name)(\(literals))").rows.compactMap { $0.string(0) }.joined(separator: "\n")
            }
        }
        let planned = try plan("with_settings", settings: PaymentStore.recordSettings)
        let bare = try plan("without_settings", settings: [])
        // The setting up reproduces the hazard: without the statement's settings, the month's hits are read whole.
        #expect(bare.contains("Seq Scan on hits_y\(month)"), "\(bare)")
        #expect(!planned.contains("Seq Scan on hits_"), "\(planned)")
        // By index: an index scan, or a bitmap scan of the index (either may be planned; neither reads the partition whole).
        let probesIndex = { (plan: String) in
            plan.contains("Index Scan using hits_y\(month)_payment_id_idx") || plan.contains("Bitmap Index Scan on hits_y\(month)_payment_id_idx")
        }
        #expect(probesIndex(planned), "\(planned)")
        #expect(!planned.contains("Anti Join"), "\(planned)")
        // The daemon's own path makes its plan now too: its first record, while hits is empty.
        let second = try c.query("SELECT id, received_at FROM chokepoint.payments ORDER BY id OFFSET 1 LIMIT 1").rows[0]
        let daemonRun = try PaymentStore.startRun(c, kind: "daemon", host: "h", pid: 1, listVersions: "{}")
        try c.query("BEGIN")
        #expect(try PaymentStore.record(c, runId: daemonRun, decisions: [(second.int64(0)!, .release)],
                                        receivedAt: [second.int64(0)!: second.string(1)!]) == [second.int64(0)!])
        try c.query("COMMIT")
        // Ten earlier hits for each payment (as a rescreen records them on pending ones): the plan in hand is kept.
        try c.query("""
            INSERT INTO chokepoint.hits (payment_id, run_id, kind, field, matched, list, entry_id, score, explanation)
            SELECT p.id, $1, 'sanctioned_party', 'creditor', 'NAME ' || g, 'ofac_sdn', g::text, 0.9, 'x'
              FROM chokepoint.payments AS p, generate_series(1, 10) AS g
            """, [String(run)])
        // Whether kept or made again (autovacuum may analyse the filled partition meanwhile; a plan made again used a
        // bitmap scan of the index in one CI run), the plan probes by index.
        let filled = try plan("with_settings", settings: PaymentStore.recordSettings)
        #expect(!filled.contains("Seq Scan on hits_"), "\(filled)")
        #expect(probesIndex(filled), "\(filled)")
        // And the statement still records only the hit that is new.
        try c.query("BEGIN")
        let decided = try PaymentStore.record(c, runId: daemonRun, decisions: [(id, Decision(hits: [earlier, new]))], receivedAt: [id: receivedAt])
        // With the plan made on the empty partition, the month's hits were probed by index, never read whole.
        let scans = try c.query("SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = $1", ["hits_y\(month)"]).rows[0]
        try c.query("COMMIT")
        #expect(scans.int(0) == 0)
        #expect((scans.int(1) ?? 0) > 0)
        #expect(decided == [id])
        #expect(try c.query("SELECT matched FROM chokepoint.hits WHERE payment_id = $1 AND run_id = $2", [String(id), String(daemonRun)])
                .rows.map { $0.string(0) } == ["OTHER"])
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.hits WHERE payment_id = \(id)") == 11)
    }
}
