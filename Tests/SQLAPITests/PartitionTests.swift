import Foundation
import IntegrationSupport
import Postgres
import Store
import TestSupport
import Testing

@Suite("monthly partitions of payments, hits and the audit log", .enabled(if: TestDatabase.enabled))
struct PartitionTests {
    /// A database at schema 11 with payments, hits and audit rows spread over the last three months, decided
    /// the way the daemon does (under a run of the session's own).
    static func schema11WithHistory() throws -> (TestDatabase, Connection, Migrator) {
        let db = try TestDatabase.create(migrated: false)
        let c = try db.connect()
        let m = try Migrator(directory: TestDatabase.sqlDirectory)
        try m.migrateUp(c, to: 11)
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message, received_at)
            SELECT 'OLD' || g, 'mt103', 'message ' || g, now() - (g * interval '1 day') FROM generate_series(0, 89, 3) AS g
            """)
        let run = try c.query("INSERT INTO chokepoint.screening_runs (kind) VALUES ('daemon') RETURNING id").scalar!
        try c.query("""
            UPDATE chokepoint.payments SET status = CASE WHEN id % 4 = 0 THEN 'held' ELSE 'released' END,
                   decided_at = received_at + interval '1 second', screening_run_id = $1
             WHERE id % 2 = 0
            """, [run])
        try c.query("""
            INSERT INTO chokepoint.hits (payment_id, run_id, kind, field, matched, score, created_at)
            SELECT id, $1, 'sanctioned_party', 'beneficiary', 'ZORBEX', 0.95, received_at FROM chokepoint.payments WHERE status = 'held'
            """, [run])
        return (db, c, m)
    }

    static func snapshot(_ c: Connection) throws -> [String] {
        try ["SELECT string_agg(id || ':' || external_ref || ':' || status || ':' || received_at, ',' ORDER BY id) FROM chokepoint.payments",
             "SELECT string_agg(id || ':' || payment_id || ':' || created_at, ',' ORDER BY id) FROM chokepoint.hits",
             "SELECT string_agg(id || ':' || chain_seq || ':' || row_hash, ',' ORDER BY id) FROM chokepoint.audit_log"]
            .map { try c.query($0).scalar ?? "" }
    }

    @Test("migrating converts the three tables in place: rows, ids, the audit chain, views and grants survive; down and up again too")
    func convertsInPlace() throws {
        let (db, c, m) = try Self.schema11WithHistory()
        defer { db.drop() }
        let before = try Self.snapshot(c)
        let maxId = try c.query("SELECT max(id) FROM chokepoint.payments").scalar!
        #expect(try m.migrateUp(c) == Array(12...Migrator.requiredVersion))
        #expect(try Self.snapshot(c) == before)
        for t in ["payments", "hits", "audit_log"] {
            #expect(try c.query("SELECT relkind FROM pg_class WHERE oid = $1::regclass", ["chokepoint." + t]).scalar == "p")
            // Every month of the history, the current one and three ahead.
            #expect(try Int(c.query("SELECT count(*) FROM pg_inherits WHERE inhparent = $1::regclass", ["chokepoint." + t]).scalar!)! >= 7)
        }
        let report = try AuditStore.verify(c)
        #expect(report.intact, "\(report.problems)")
        #expect(report.rowsChecked == Int(try c.query("SELECT count(*) FROM chokepoint.audit_log").scalar!)!)
        #expect(report.rowsChecked > 10)

        // New rows continue the ids and the chain; an old reference is still taken.
        let sub = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "sub", memberOf: "chokepoint_submitter")))
        try sub.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('NEW1', 'mt103', 'x')")
        #expect(try Int64(c.query("SELECT id FROM chokepoint.payments WHERE external_ref = 'NEW1'").scalar!)! > Int64(maxId)!)
        do {
            try sub.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('OLD3', 'mt103', 'again')")
            Issue.record("a repeated reference was accepted")
        } catch {
            #expect(error.sqlState == PostgresError.uniqueViolation)
            #expect(error.message.contains("payments_external_ref_key"))
        }
        #expect(try c.query("SELECT count(*) FROM chokepoint.payments WHERE external_ref = 'OLD3'").scalar == "1")
        // The operators' view still shows the held payments with their hits.
        let op = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "op", memberOf: "chokepoint_operator")))
        let held = try c.query("SELECT count(*) FROM chokepoint.payments WHERE status = 'held'").scalar!
        #expect(try op.query("SELECT count(*) FROM chokepoint.open_holds WHERE jsonb_array_length(hits) = 1").scalar == held)

        // Down keeps every row; up again too.
        let withNew = try Self.snapshot(c)
        #expect(try m.migrateDown(c, to: 11) == Array((12...Migrator.requiredVersion).reversed()))
        #expect(try c.query("SELECT relkind FROM pg_class WHERE oid = 'chokepoint.payments'::regclass").scalar == "r")
        #expect(try Self.snapshot(c) == withNew)
        #expect(try m.migrateUp(c) == Array(12...Migrator.requiredVersion))
        #expect(try Self.snapshot(c) == withNew)
        #expect(try AuditStore.verify(c).intact)
    }

    @Test("a row for a month without a partition is refused and nothing is written (fail closed)")
    func noPartitionFailsClosed() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        SecurityTests.refused(c, """
            INSERT INTO chokepoint.payments (external_ref, format, message, received_at) VALUES ('FAR', 'mt103', 'x', now() + interval '5 years')
            """, state: "23514", containing: "no partition")
        #expect(try c.query("SELECT count(*) FROM chokepoint.payment_refs WHERE external_ref = 'FAR'").scalar == "0")
        SecurityTests.refused(c, "INSERT INTO chokepoint.audit_log (action, at) VALUES ('x', now() - interval '30 years')", state: "23514")
        // Partitions made ahead take this month's and the next three months' rows.
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message, received_at)
            VALUES ('NEAR', 'mt103', 'x', date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '3 months 27 days')
            """)
        #expect(try c.query("SELECT chokepoint.partitions_until() >= (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '4 months')::date").scalar == "t")
    }

    @Test("ensure_partitions creates what is missing, as the daemon; other roles are refused; a new audit partition refuses TRUNCATE")
    func ensurePartitions() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let daemon = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "dmn", memberOf: "chokepoint_daemon")))
        #expect(try Partitions.ensure(daemon) == 0)
        // The furthest month's partitions go (as if migrate ran a month ago): the daemon's call makes them again.
        let far = try c.query("SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', 'YYYY\"m\"MM')").scalar!
        try c.executeScript("DROP TABLE chokepoint.payments_y\(far), chokepoint.hits_y\(far), chokepoint.audit_log_y\(far)")
        #expect(try Partitions.until(daemon) != nil)
        #expect(try Partitions.ensure(daemon) == 3)
        #expect(try Partitions.ensure(daemon) == 0)
        // The bound the load bench checks its --months-ahead against is the database's (three tables a month).
        #expect(try Partitions.ensure(daemon, monthsAhead: Partitions.maxMonthsAhead) == (Partitions.maxMonthsAhead - 3) * 3)
        #expect(throws: PostgresError.self) { try Partitions.ensure(daemon, monthsAhead: Partitions.maxMonthsAhead + 1) }
        #expect(try c.query("SELECT relowner::regrole::text FROM pg_class WHERE oid = 'chokepoint.payments_y\(far)'::regclass").scalar == "chokepoint_owner")
        SecurityTests.refused(c, "TRUNCATE chokepoint.audit_log_y\(far)", containing: "append-only")
        SecurityTests.refused(daemon, "SELECT chokepoint.ensure_partitions(99)", state: "22023")
        for role in ["chokepoint_submitter", "chokepoint_operator", "chokepoint_auditor", "chokepoint_policy_admin"] {
            let other = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "r", memberOf: role)))
            SecurityTests.refused(other, "SELECT chokepoint.ensure_partitions(1)")
            SecurityTests.refused(other, "SELECT chokepoint.create_month_partitions('2040-01-01')")
            other.close()
        }
        // Migrate keeps the months ahead as well.
        try c.executeScript("DROP TABLE chokepoint.payments_y\(far)")
        try Migrator(directory: TestDatabase.sqlDirectory).migrateUp(c)
        #expect(try c.query("SELECT to_regclass('chokepoint.payments_y\(far)') IS NOT NULL").scalar == "t")
    }

    @Test("the foreign keys that became checks still refuse rows naming a payment or hit that does not exist")
    func referenceChecks() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let run = try c.query("INSERT INTO chokepoint.screening_runs (kind) VALUES ('daemon') RETURNING id").scalar!
        SecurityTests.refused(c, """
            INSERT INTO chokepoint.hits (payment_id, run_id, kind, field, matched, score) VALUES (424242, $1, 'unparseable', 'message', 'x', 1)
            """, [run], state: "23503", containing: "424242")
        SecurityTests.refused(c, "INSERT INTO chokepoint.release_requests (payment_id, requested_by, reason) VALUES (424242, 'x', 'y')", state: "23503")
        SecurityTests.refused(c, """
            INSERT INTO chokepoint.good_guys (field, matched, list, entry_id, entry_fingerprint, reason, from_hit_id)
            VALUES ('f', 'm', 'ofac-sdn', '1', 'fp', 'r', 424242)
            """, state: "23503")
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('P1', 'mt103', 'x')")
        let id = try c.query("SELECT id FROM chokepoint.payments WHERE external_ref = 'P1'").scalar!
        try c.query("INSERT INTO chokepoint.hits (payment_id, run_id, kind, field, matched, score) VALUES ($1, $2, 'unparseable', 'message', 'x', 1)",
                    [id, run])
    }

    @Test("the existence checks look in the recent months first, and still accept an older payment and refuse a missing one")
    func recentMonthsFirst() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let daemon = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "dmn", memberOf: "chokepoint_daemon")))
        let run = try c.query("INSERT INTO chokepoint.screening_runs (kind) VALUES ('daemon') RETURNING id").scalar!
        try c.query("SELECT chokepoint.create_month_partitions((date_trunc('month', now() AT TIME ZONE 'UTC') - interval '6 months')::date)")
        let recent = try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('NEW', 'mt103', 'x') RETURNING id").scalar!
        // Inserted last, so it has the highest id, but received six months ago: outside the months looked at first.
        let old = try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message, received_at)
            VALUES ('OLD', 'mt103', 'x', now() - interval '6 months') RETURNING id
            """).scalar!
        #expect(Int64(old)! > Int64(recent)!)
        #expect(try PaymentStore.noteScreeningStarted(daemon, ids: [Int64(old)!]) == [Int64(old)!: 1])
        #expect(try PaymentStore.noteScreeningStarted(daemon, ids: [Int64(recent)!]) == [Int64(recent)!: 1])
        SecurityTests.refused(daemon, "INSERT INTO chokepoint.screening_attempts (payment_id, attempts) VALUES ($1::bigint + 1, 1)", [old],
                              state: "23503")
        let hit = "INSERT INTO chokepoint.hits (payment_id, run_id, kind, field, matched, score) SELECT unnest($1::bigint[]), $2, 'unparseable', 'message', 'x', 1"
        try c.query(hit, ["{\(old),\(recent)}", run])
        SecurityTests.refused(c, hit, ["{\(recent),424242}", run], state: "23503", containing: "424242")
        #expect(try c.query("SELECT count(*) FROM chokepoint.hits").scalar == "2")
    }
}
