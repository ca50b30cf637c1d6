import Foundation
import IntegrationSupport
import Postgres
import Store
import TestSupport
import Testing

@Suite("archive: closed months exported with checksums and detached; the audit chain across the cut", .enabled(if: TestDatabase.enabled))
struct ArchiveTests {
    /// Last month (UTC) with payments (two held with a hit each, four released), their hits and three audit
    /// rows of its own; the current month has the decisions' and the set-up's audit rows. Returns the month.
    static func lastMonthWithHistory(_ c: Connection) throws -> Archive.Month {
        let month = Archive.Month(try c.query("SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month', 'YYYY-MM')").scalar!)!
        try c.query("SELECT chokepoint.create_month_partitions($1::date)", [month.firstDay])
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message, received_at)
            SELECT 'OLD' || g, 'mt103', 'message ' || g, $1::timestamptz + g * interval '1 day' FROM generate_series(1, 6) AS g
            """, [month.firstDay + " 00:00:00+00"])
        let run = try c.query("INSERT INTO chokepoint.screening_runs (kind) VALUES ('daemon') RETURNING id").scalar!
        try c.query("""
            UPDATE chokepoint.payments SET status = CASE WHEN external_ref IN ('OLD2', 'OLD4') THEN 'held' ELSE 'released' END,
                   decided_at = now(), screening_run_id = $1
             WHERE external_ref LIKE 'OLD%'
            """, [run])
        try c.query("""
            INSERT INTO chokepoint.hits (payment_id, run_id, kind, field, matched, score, created_at)
            SELECT id, $1, 'sanctioned_party', 'beneficiary', 'ZORBEX', 0.95, received_at FROM chokepoint.payments WHERE status = 'held'
            """, [run])
        try c.query("""
            INSERT INTO chokepoint.audit_log (action, at) SELECT 'note', $1::timestamptz + g * interval '1 hour' FROM generate_series(1, 3) AS g
            """, [month.firstDay + " 00:00:00+00"])
        return month
    }

    static func rejectHolds(_ db: TestDatabase, _ c: Connection) throws {
        let op = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "op", memberOf: "chokepoint_operator")))
        defer { op.close() }
        for id in try c.query("SELECT id FROM chokepoint.payments WHERE status = 'held'").rows.compactMap({ $0.string(0) }) {
            try op.query("SELECT chokepoint.reject_hold($1, 'confirmed match')", [id])
        }
    }

    static func temporaryDirectory() -> String {
        let dir = NSTemporaryDirectory() + "chokepoint-archive-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("an open month is refused; a closed one is exported with checksums, detached, and the chain verifies across the cut")
    func archivesClosedMonth() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let month = try Self.lastMonthWithHistory(c)
        let archiver = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "arc", memberOf: "chokepoint_archiver")))
        #expect(try Archive.problem(archiver, month: month)?.contains("2 payment(s) pending or held") == true)
        #expect(try Archive.problem(archiver, month: month.next)?.contains("is not over yet") == true)
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The database refuses even when asked directly.
        let early = try Archive.export(archiver, month: month, to: dir)
        #expect(throws: PostgresError.self) { try Archive.detach(archiver, early) }

        try Self.rejectHolds(db, c)
        #expect(try Archive.problem(archiver, month: month) == nil)
        #expect(try Archive.attachedMonths(archiver, before: month.next) == [month])
        let export = try Archive.export(archiver, month: month, to: dir)
        #expect((export.payments, export.hits, export.auditRows) == (6, 2, 3))
        // SHA256SUMS names each file's hash; the recorded checksum is the hash of SHA256SUMS.
        let sums = try String(contentsOfFile: export.directory + "/SHA256SUMS", encoding: .utf8)
        #expect(SHA256.hex(Array(sums.utf8)) == export.checksum)
        for line in sums.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: export.directory + "/" + parts[1]))
            #expect(SHA256.hex(bytes) == String(parts[0]), "\(parts[1])")
        }
        #expect(try String(contentsOfFile: export.directory + "/payments.copy", encoding: .utf8).split(separator: "\n").count == 6)
        #expect(try String(contentsOfFile: export.directory + "/MANIFEST", encoding: .utf8).contains("audit_rows=3\n"))

        let before = try c.query("SELECT count(*) FROM chokepoint.audit_log").scalar!
        #expect(try Archive.detach(archiver, export).contains("archived: 6 payments, 2 hits, 3 audit rows"))
        #expect(try c.query("SELECT count(*) FROM chokepoint.payments WHERE external_ref LIKE 'OLD%'").scalar == "0")
        #expect(try c.query("SELECT relispartition FROM pg_class WHERE oid = 'chokepoint.payments_y\(month.year)m\(String(format: "%02d", month.month))'::regclass").scalar == "f")
        #expect(try c.query("SELECT export_checksum FROM chokepoint.archived_months WHERE month = $1::date", [month.firstDay]).scalar == export.checksum)
        // Three rows left, one ("month_archived") was written.
        #expect(try c.query("SELECT count(*) FROM chokepoint.audit_log").scalar == String(Int(before)! - 2))
        let report = try AuditStore.verify(c)
        #expect(report.intact, "\(report.problems)")
        #expect(report.positionsArchived == 3)
        // An archived reference is still taken.
        SecurityTests.refused(c, "INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('OLD1', 'mt103', 'again')",
                     state: PostgresError.uniqueViolation, containing: "payments_external_ref_key")

        // Again: nothing happens twice; --drop drops the detached tables, once.
        #expect(try Archive.attachedMonths(archiver, before: month.next).isEmpty)
        #expect(try Archive.detach(archiver, export).contains("already archived"))
        #expect(try Archive.archivedMonths(archiver, before: month.next).map(\.dropped) == [false])
        try Archive.drop(archiver, month: month)
        #expect(try c.query("SELECT to_regclass('chokepoint.payments_y\(month.year)m\(String(format: "%02d", month.month))') IS NULL").scalar == "t")
        #expect(try Archive.archivedMonths(archiver, before: month.next).map(\.dropped) == [true])
        try Archive.drop(archiver, month: month)
        #expect(try AuditStore.verify(c).intact)
        // The archive's records are append-only, even for the owner.
        SecurityTests.refused(c, "DELETE FROM chokepoint.audit_archived_runs", containing: "append-only")
        SecurityTests.refused(c, "UPDATE chokepoint.archived_months SET payments = 0", containing: "append-only")
    }

    @Test("a rewritten or deleted record of the cut breaks verification")
    func tamperedCut() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let month = try Self.lastMonthWithHistory(c)
        try Self.rejectHolds(db, c)
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Archive.detach(c, Archive.export(c, month: month, to: dir))
        #expect(try AuditStore.verify(c).intact)

        try withTriggersOff(c, "UPDATE chokepoint.audit_archived_runs SET last_hash = repeat('a', 64)")
        let rewritten = try AuditStore.verify(c)
        #expect(!rewritten.intact)
        #expect(rewritten.problems.contains { if case .archiveLinkBroken = $0 { return true } else { return false } }, "\(rewritten.problems)")
        #expect(rewritten.problems.first?.description.contains("audit_archived_runs") == true)

        try withTriggersOff(c, "DELETE FROM chokepoint.audit_archived_runs")
        let deleted = try AuditStore.verify(c)
        #expect(deleted.problems.contains { if case .deleted = $0 { return true } else { return false } }, "\(deleted.problems)")
    }

    @Test("only chokepoint_archiver archives; nobody detaches a partition by hand")
    func refusedRoles() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let month = try Self.lastMonthWithHistory(c)
        try Self.rejectHolds(db, c)
        for role in ["chokepoint_operator", "chokepoint_daemon", "chokepoint_auditor", "chokepoint_submitter", "chokepoint_policy_admin"] {
            let other = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "r", memberOf: role)))
            SecurityTests.refused(other, "SELECT chokepoint.archive_month_problem($1::date)", [month.firstDay])
            SecurityTests.refused(other, "SELECT chokepoint.archive_detach($1::date, 6, 2, 3, repeat('a', 64))", [month.firstDay])
            SecurityTests.refused(other, "SELECT chokepoint.archive_drop($1::date)", [month.firstDay])
            other.close()
        }
        let archiver = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "arc", memberOf: "chokepoint_archiver")))
        SecurityTests.refused(archiver, "ALTER TABLE chokepoint.payments DETACH PARTITION chokepoint.payments_y\(month.year)m\(String(format: "%02d", month.month))")
        SecurityTests.refused(archiver, "INSERT INTO chokepoint.archived_months (month, payments, hits, audit_rows, export_checksum) VALUES ('2000-01-01', 0, 0, 0, repeat('a', 64))")
        SecurityTests.refused(archiver, "DELETE FROM chokepoint.payments")
        #expect(try c.query("SELECT count(*) FROM chokepoint.archived_months").scalar == "0")
    }

    @Test("chokepoint archive: refuses an open month with exit 1, archives, runs again safely, refuses a login without the role")
    func command() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let month = try Self.lastMonthWithHistory(c)
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let archiver = db.conninfo(user: try db.createLoginRole(prefix: "arc", memberOf: "chokepoint_archiver"))
        let args = ["archive", "--before", month.next.description, "--output", dir]

        let open = try CLI.run(args, database: archiver)
        #expect(open.status == 1)
        #expect(open.stderr.contains("cannot archive \(month): \(month) still has 2 payment(s) pending or held"), "\(open.stderr)")

        let operatorLogin = db.conninfo(user: try db.createLoginRole(prefix: "op", memberOf: "chokepoint_operator"))
        let refused = try CLI.run(args, database: operatorLogin)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("chokepoint_archiver"), "\(refused.stderr)")

        try Self.rejectHolds(db, c)
        let done = try CLI.run(args, database: archiver)
        #expect(done.status == 0, "\(done.stderr)")
        #expect(done.stdout.contains("\(month): exported 6 payments, 2 hits, 3 audit rows"), "\(done.stdout)")
        #expect(FileManager.default.fileExists(atPath: "\(dir)/\(month)/SHA256SUMS"))

        let again = try CLI.run(args + ["--drop"], database: archiver)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("\(month): detached tables dropped"), "\(again.stdout)")
        let third = try CLI.run(args, database: archiver)
        #expect(third.stdout.contains("\(month): already archived (tables dropped)"), "\(third.stdout)")

        let auditor = db.conninfo(user: try db.createLoginRole(prefix: "aud", memberOf: "chokepoint_auditor"))
        let verified = try CLI.run(["audit", "verify"], database: auditor)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(try CLI.run(["archive", "--before", "2026-13", "--output", dir], database: archiver).status == 64)
    }
}
