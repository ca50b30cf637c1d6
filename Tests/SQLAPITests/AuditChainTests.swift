import Foundation
import IntegrationSupport
import Postgres
import Rescreen
import Screening
import Store
import TestSupport
import Testing

@Suite("audit chain: tampering in the real database", .enabled(if: TestDatabase.enabled))
struct AuditChainTests {
    /// A database with audit rows from several writers: decisions (daemon trigger), an operator release,
    /// a list import.
    static func populated() throws -> (TestDatabase, Connection) {
        let db = try TestDatabase.create()
        let c = try db.connect()
        try RescreenFixtures.importList(c, [RescreenFixtures.zorbex], tag: "v1")
        try RescreenFixtures.insert(c, (1...5).map { ("A\($0)", RescreenFixtures.mt103(ref: "A\($0)", beneficiary: $0 == 3 ? "ZORBEX HEAVY INDUSTRIES" : "DUPONT SARL")) })
        try RescreenFixtures.decideAll(c)
        let op = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "op", memberOf: "chokepoint_operator")))
        let held = try c.query("SELECT id FROM chokepoint.payments WHERE status = 'held'").scalar!
        try op.query("SELECT chokepoint.reject_hold($1, 'confirmed match')", [held])
        return (db, c)
    }

    /// As a superuser with triggers off, the way an attacker with that power would.
    static func tamper(_ c: Connection, _ sql: String) throws { try withTriggersOff(c, sql) }

    @Test("an untouched log verifies, including rows written by concurrent transactions")
    func intact() throws {
        let (db, c) = try Self.populated()
        defer { db.drop() }
        // Two writers interleaved: the second waits on the chain head until the first commits.
        let conninfo = db.conninfo
        try c.query("BEGIN")
        try c.query("INSERT INTO chokepoint.audit_log (action) VALUES ('first')")
        let waiting = Thread {
            guard let other = try? Connection(conninfo: conninfo) else { return }
            _ = try? other.query("INSERT INTO chokepoint.audit_log (action) VALUES ('second')")
            other.close()
        }
        waiting.start()
        Thread.sleep(forTimeInterval: 0.2)
        try c.query("COMMIT")
        #expect(eventually { (try? c.query("SELECT count(*) FROM chokepoint.audit_log WHERE action = 'second'").scalar) == "1" })
        let r = try AuditStore.verify(c)
        #expect(r.intact, "\(r.problems)")
        #expect(r.rowsChecked == Int(try c.query("SELECT count(*) FROM chokepoint.audit_log").scalar!)!)
        #expect(try c.query("SELECT string_agg(action, ',' ORDER BY chain_seq) FROM chokepoint.audit_log WHERE action IN ('first', 'second')").scalar == "first,second")
        // Verifying from the middle works too.
        let mid = try c.query("SELECT id FROM chokepoint.audit_log ORDER BY chain_seq OFFSET 3 LIMIT 1").scalar!
        #expect(try AuditStore.verify(c, fromId: Int64(mid)!).intact)
    }

    @Test("an UPDATE made with triggers disabled is found and named")
    func editedRow() throws {
        let (db, c) = try Self.populated()
        defer { db.drop() }
        let target = try c.query("SELECT id, chain_seq FROM chokepoint.audit_log WHERE action = 'reject_hold'").rows[0]
        try Self.tamper(c, "UPDATE chokepoint.audit_log SET action = 'release_hold', reason = 'approved' WHERE action = 'reject_hold'")
        let r = try AuditStore.verify(c)
        #expect(r.problems.first == .edited(id: target.int64(0)!, seq: target.int64(1)!))
    }

    @Test("a DELETE made with triggers disabled is found: in the middle, and at the end")
    func deletedRows() throws {
        let (db, c) = try Self.populated()
        defer { db.drop() }
        try Self.tamper(c, "DELETE FROM chokepoint.audit_log WHERE chain_seq = 3")
        #expect(try AuditStore.verify(c).problems.first == .deleted(from: 3, to: 3, nextId: try c.query("SELECT id FROM chokepoint.audit_log WHERE chain_seq = 4").scalar.flatMap { Int64($0) }))
        let head = Int64(try c.query("SELECT seq FROM chokepoint.audit_chain_head").scalar!)!
        try Self.tamper(c, "DELETE FROM chokepoint.audit_log WHERE chain_seq = (SELECT max(chain_seq) FROM chokepoint.audit_log)")
        #expect(try AuditStore.verify(c).problems.contains(.tailDeleted(lastPresent: head - 1, head: head)))
    }

    @Test("a row INSERTed with triggers disabled is found")
    func forgedInsert() throws {
        let (db, c) = try Self.populated()
        defer { db.drop() }
        try Self.tamper(c, "INSERT INTO chokepoint.audit_log (actor, action, payment_id, reason) VALUES ('boss', 'release_hold', 1, 'forged')")
        let forged = Int64(try c.query("SELECT id FROM chokepoint.audit_log WHERE reason = 'forged'").scalar!)!
        #expect(try AuditStore.verify(c).problems == [.unchained(id: forged)])
    }

    @Test("a consistent rewrite of the whole chain passes alone, and is caught by an anchor taken before it")
    func rewriteCaughtByAnchor() throws {
        let (db, c) = try Self.populated()
        defer { db.drop() }
        let anchor = try AuditStore.anchor(c)
        #expect(try AuditStore.verify(c, anchors: [anchor]).intact)
        // Rewrite row 2 and recompute every hash after it and the head, as a superuser could.
        try c.transaction { c in
            try c.query("SET LOCAL session_replication_role = replica")
            try c.query("UPDATE chokepoint.audit_log SET reason = 'rewritten' WHERE chain_seq = 2")
            try c.query("""
                DO $$
                DECLARE r record; prev text := repeat('0', 64);
                BEGIN
                    FOR r IN SELECT * FROM chokepoint.audit_log ORDER BY chain_seq LOOP
                        UPDATE chokepoint.audit_log SET prev_hash = prev,
                               row_hash = chokepoint.audit_row_hash(prev, r.chain_seq, r.id, r.at, r.actor, r.action, r.payment_id, r.reason, r.detail)
                         WHERE id = r.id RETURNING row_hash INTO prev;
                    END LOOP;
                    UPDATE chokepoint.audit_chain_head SET hash = prev;
                END $$
                """)
        }
        #expect(try AuditStore.verify(c).intact)
        let r = try AuditStore.verify(c, anchors: [anchor])
        #expect(r.problems.count == 1)
        if case .anchorMismatch(let a, let found)? = r.problems.first {
            #expect(a == anchor)
            #expect(found != nil && found != anchor.hash)
        } else {
            Issue.record("expected an anchor mismatch, got \(r.problems)")
        }
    }

    @Test("chokepoint audit verify and anchor: exit codes, messages, the anchor file")
    func commandLine() throws {
        let (db, c) = try Self.populated()
        defer { db.drop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("anchors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("audit-anchors").path

        // An auditor's login verifies; a submitter's cannot read the log.
        let auditor = try db.createLoginRole(prefix: "aud", memberOf: "chokepoint_auditor")
        let ok = try CLI.run(["audit", "verify"], database: db.conninfo(user: auditor))
        #expect(ok.status == 0, "\(ok.stderr)")
        let submitter = try db.createLoginRole(prefix: "sub", memberOf: "chokepoint_submitter")
        #expect(try CLI.run(["audit", "verify"], database: db.conninfo(user: submitter)).status != 0)
        #expect(ok.stdout.contains("audit chain intact"))
        // The anchor runs as the daemon's login (the nightly timer's user).
        let daemonRole = try db.createLoginRole(prefix: "dmn", memberOf: "chokepoint_daemon")
        let anchored = try CLI.run(["audit", "anchor", "--to", file], database: db.conninfo(user: daemonRole))
        #expect(anchored.status == 0, "\(anchored.stderr)")
        _ = try CLI.run(["audit", "anchor", "--to", file], database: db.conninfo(user: daemonRole))
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0] == Substring(anchored.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try CLI.run(["audit", "verify", "--anchor", file], database: db.conninfo).stdout.contains("2 anchors checked"))

        let target = try c.query("SELECT id FROM chokepoint.audit_log WHERE action = 'reject_hold'").scalar!
        try Self.tamper(c, "UPDATE chokepoint.audit_log SET reason = 'approved' WHERE action = 'reject_hold'")
        let broken = try CLI.run(["audit", "verify"], database: db.conninfo)
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("audit row id \(target)"))
        #expect(broken.stderr.contains("was edited"))
        let badFile = try CLI.run(["audit", "verify", "--anchor", dir.appendingPathComponent("missing").path], database: db.conninfo)
        #expect(badFile.status == 5)
    }
}
