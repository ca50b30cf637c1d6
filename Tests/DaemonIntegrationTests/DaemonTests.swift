import Daemon
import Foundation
import IntegrationSupport
import Logging
import Postgres
import Screening
import Store
import TestSupport
import Testing

@Suite("the daemon end to end", .enabled(if: TestDatabase.enabled), .serialized)
struct DaemonEndToEndTests {
    @Test("payments inserted before start and while running are all decided, announced and audited")
    func decidesEverything() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let watcher = try db.connect()
        try watcher.listen("chokepoint_decisions")
        try Fixtures.insert(c, count: 120, prefix: "BEFORE", russianEvery: 10)
        let d = RunningDaemon(db)
        try Fixtures.insert(c, count: 80, prefix: "DURING", russianEvery: 10)
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('BAD1', 'mt999', 'x'), ('BAD2', 'mt103', '  ')")
        #expect(await eventually { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        try await d.stop()
        try Fixtures.checkInvariants(c, expected: 202)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'held' AND 'russian_lender' = ANY(reasons)") == 20)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'held' AND reasons = '{unparseable}'") == 2)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'released'") == 180)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.hits WHERE kind = 'russian_lender' AND matched = 'SABRRUMM'") == 20)
        // One decision notification per payment, carrying its id.
        var ids = Set<String>()
        let deadline = Date().addingTimeInterval(5)
        while ids.count < 202 && Date() < deadline {
            _ = watcher.waitForInput(timeoutMilliseconds: 100)
            for n in try watcher.drainNotifications() { ids.insert(n.payload) }
        }
        let all = Set(try c.query("SELECT id FROM chokepoint.payments").rows.compactMap { $0[0] })
        #expect(ids == all)
    }

    @Test("the daemon creates missing partitions of the coming months at start, and decides payments of an older month")
    func keepsPartitionsAhead() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let far = try c.query("SELECT to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months', 'YYYY\"m\"MM')").scalar!
        try c.executeScript("DROP TABLE chokepoint.payments_y\(far), chokepoint.hits_y\(far), chokepoint.audit_log_y\(far)")
        // A payment received last month (a backlog across the turn of the month).
        let last = try c.query("SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date").scalar!
        try c.query("SELECT chokepoint.create_month_partitions($1::date)", [last])
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message, received_at) VALUES ('LAST', 'mt103', $1, $2::date + interval '2 days')",
                    [Fixtures.mt103(ref: "LAST"), last])
        try Fixtures.insert(c, count: 30, prefix: "NOW")
        let d = RunningDaemon(db)
        #expect(await eventually { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        #expect(await eventually { (try? c.query("SELECT to_regclass('chokepoint.audit_log_y\(far)') IS NOT NULL").scalar) == "t" })
        try await d.stop()
        try Fixtures.checkInvariants(c, expected: 31)
        #expect(try AuditStore.verify(c).intact)
    }

    @Test("two daemons on one database decide nothing twice")
    func twoDaemons() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let a = RunningDaemon(db, workers: 2, batchSize: 7)
        let b = RunningDaemon(db, workers: 2, batchSize: 13)
        for round in 0..<10 {
            try Fixtures.insert(c, count: 300, prefix: "R\(round)-", russianEvery: 7)
        }
        #expect(await eventually { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        try await a.stop()
        try await b.stop()
        try Fixtures.checkInvariants(c, expected: 3000)
        // Both daemons took part.
        #expect(try Fixtures.count(c, "SELECT count(DISTINCT screening_run_id) FROM chokepoint.payments") >= 2)
    }

    /// A burst's batches in the order they were decided: each deciding transaction's payments (their `xmin`), and
    /// the screening run of the worker that decided them.
    static func batches(_ c: Connection, prefix: String) throws -> [(run: Int64, size: Int)] {
        try c.query("""
            SELECT screening_run_id, count(*) FROM chokepoint.payments WHERE external_ref LIKE $1 || '%'
             GROUP BY xmin, screening_run_id ORDER BY min(decided_at)
            """, [prefix]).rows.map { ($0.int64(0) ?? -1, $0.int(1) ?? -1) }
    }

    /// Starts a daemon of `workers` with no polling to speak of (only notifications, and the workers' own wake-ups,
    /// wake an idle worker), lets it go idle, inserts a burst of 1,000 payments in one statement, and returns the
    /// burst's batches once the daemon has stopped.
    static func burst(_ db: TestDatabase, _ c: Connection, workers: Int, prefix: String) async throws -> [(run: Int64, size: Int)] {
        let pending = "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'"
        let daemon = RunningDaemon(db, workers: workers, batchSize: 500, pollInterval: 30)
        try Fixtures.insert(c, count: 1, prefix: "idle-\(prefix)")
        #expect(await eventually { (try? Fixtures.count(c, pending)) == 0 })
        try Fixtures.insert(c, count: 1000, prefix: prefix)
        #expect(await eventually { (try? Fixtures.count(c, pending)) == 0 })
        try await daemon.stop()
        return try batches(c, prefix: prefix)
    }

    @Test("a burst announced by one notification is shared by the workers, in claims that start small and double")
    func burstIsShared() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        // One worker alone: small first, doubling up to the batch size, then what was left.
        #expect(try await Self.burst(db, c, workers: 1, prefix: "B1-").map(\.size) == [32, 64, 128, 256, 500, 20])
        let batches = try await Self.burst(db, c, workers: 2, prefix: "B2-")
        try Fixtures.checkInvariants(c, expected: 2002)
        // The notification woke one worker; its first full claim woke the other, and both took part.
        #expect(Set(batches.map(\.run)).count == 2)
        for run in Set(batches.map(\.run)) { #expect((batches.first { $0.run == run }?.size ?? 0) <= 32) }
        #expect(batches.reduce(0) { $0 + $1.size } == 1000)
        #expect(batches.allSatisfy { $0.size <= 500 })
    }

    @Test("terminating every daemon connection mid-run loses nothing; the daemon recovers")
    func survivesTerminatedConnections() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let d = RunningDaemon(db, workers: 2, batchSize: 20)
        for round in 0..<6 {
            try Fixtures.insert(c, count: 500, prefix: "K\(round)-", russianEvery: 5)
            try c.query("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND pid <> pg_backend_pid()
                """)
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(await eventually(timeout: 60) { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        try await d.stop()
        try Fixtures.checkInvariants(c, expected: 3000)
        #expect(d.daemon.stats.reconnects.load(ordering: .relaxed) >= 1)
    }

    @Test("batches the database refuses after screening began (disk full) are retried, not counted as crashes")
    func refusedBatchesAreNotPoison() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        // Every decision's audit row fails as a full disk would, while the fault row exists. The sequence
        // (not rolled back with the failing transaction) counts the refusals.
        try c.executeScript("""
            CREATE TABLE public.fault (on_ boolean);
            CREATE SEQUENCE public.refusals;
            CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
            BEGIN
                IF EXISTS (SELECT 1 FROM public.fault) THEN
                    PERFORM nextval('public.refusals');
                    RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON chokepoint.audit_log FOR EACH ROW EXECUTE FUNCTION public.refuse();
            INSERT INTO public.fault VALUES (true);
            """)
        try Fixtures.insert(c, count: 12, prefix: "F")
        // Two daemons of two workers each: a worker's take-back must not race the others into poison counts.
        let d = RunningDaemon(db, workers: 2, batchSize: 6, pollInterval: 0.05)
        let e = RunningDaemon(db, workers: 2, batchSize: 6, pollInterval: 0.05)
        // More refusals than the poison limit: each payment's screening started that often.
        #expect(await eventually(timeout: 30) {
            ((try? c.query("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM public.refusals").rows.first?.int(0)) ?? 0) >= 4 * (Worker.poisonAttempts + 2)
        })
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'") == 12)
        try c.executeScript("DELETE FROM public.fault")
        #expect(await eventually(timeout: 30) { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        try await d.stop()
        try await e.stop()
        try Fixtures.checkInvariants(c, expected: 12)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'released'") == 12)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE 'screening_error' = ANY(reasons)") == 0)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.screening_attempts") == 0)
    }

    @Test("a payment whose decision the database always refuses is isolated; the rest of its batch is decided")
    func refusedPaymentIsIsolated() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try Fixtures.insert(c, count: 12, prefix: "R")
        let bad = try c.query("SELECT id FROM chokepoint.payments WHERE external_ref = 'R5'").scalar ?? ""
        // Not an outage (check_violation): this payment's audit row is refused every time, until the trigger goes.
        try c.executeScript("""
            CREATE FUNCTION public.refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.payment_id = \(bad) THEN RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_one BEFORE INSERT ON chokepoint.audit_log FOR EACH ROW EXECUTE FUNCTION public.refuse_one();
            """)
        let d = RunningDaemon(db, workers: 1, batchSize: 12, pollInterval: 0.05)
        // Its attempts keep counting, so it is screened alone and the eleven others go through.
        #expect(await eventually(timeout: 30) { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'released'")) == 11 })
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'") == 1)
        // Its screening keeps starting (and its decision keeps being refused) until it reaches the limit.
        #expect(await eventually(timeout: 30) {
            ((try? Fixtures.count(c, "SELECT coalesce(max(attempts), 0) FROM chokepoint.screening_attempts WHERE payment_id = \(bad)")) ?? 0) >= Worker.poisonAttempts
        })
        try c.executeScript("DROP TRIGGER refuse_one ON chokepoint.audit_log")
        #expect(await eventually(timeout: 30) { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        try await d.stop()
        try Fixtures.checkInvariants(c, expected: 12)
        // By then its screening had started more often than the limit: held without screening, fail closed.
        let got = try c.query("SELECT status, reasons::text FROM chokepoint.payments WHERE id = $1", [bad]).rows.first?.values
        #expect(got == ["held", "{screening_error}"], "\(String(describing: got))")
    }

    @Test("with no notifications at all, the polling fallback decides every payment")
    func pollingOnly() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let d = RunningDaemon(db, workers: 1, pollInterval: 0.3, listen: false)
        try await Task.sleep(for: .milliseconds(500))
        for round in 0..<3 {
            try Fixtures.insert(c, count: 40, prefix: "P\(round)-")
            try await Task.sleep(for: .milliseconds(150))
        }
        #expect(await eventually(timeout: 10) { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        try await d.stop()
        try Fixtures.checkInvariants(c, expected: 120)
        #expect(d.daemon.listenerBackendPID == 0)
    }

    @Test("with the LISTEN connection cut, new payments are still decided")
    func pollingFallback() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        // A long poll interval: the first payment proves notifications work at all.
        let d = RunningDaemon(db, workers: 1, pollInterval: 0.5)
        #expect(await eventually { d.daemon.listenerBackendPID != 0 })
        try Fixtures.insert(c, count: 1, prefix: "N")
        #expect(await eventually(timeout: 5) { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        // Block the listener's reconnect by making the database refuse new connections briefly, and kill it.
        try c.query("SELECT pg_terminate_backend($1::int)", [String(d.daemon.listenerBackendPID)])
        try Fixtures.insert(c, count: 50, prefix: "M")
        #expect(await eventually(timeout: 10) { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        try await d.stop()
        try Fixtures.checkInvariants(c, expected: 51)
    }

    @Test("a daemon with no lists loaded holds everything as lists_unavailable")
    func failsClosedWithoutLists() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try Fixtures.insert(c, count: 10, prefix: "U")
        let d = RunningDaemon(db, screener: ListsUnavailableScreener())
        #expect(await eventually { (try? Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")) == 0 })
        try await d.stop()
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'held' AND reasons = '{lists_unavailable}'") == 10)
    }

    @Test("the daemon refuses to start on an unmigrated database")
    func refusesUnmigrated() async throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let d = RunningDaemon(db)
        await #expect(throws: MigrationError.self) { try await d.task.value }
    }
}
