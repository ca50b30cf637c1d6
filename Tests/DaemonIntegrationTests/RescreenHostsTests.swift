import Foundation
import IntegrationSupport
import Postgres
@testable import Rescreen
import Screening
import Store
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Several `chokepoint rescreen` processes of the built binary on one run, as the timers of several hosts start them.
@Suite("rescreen on several hosts: one run", .enabled(if: TestDatabase.enabled))
struct RescreenHostsTests {
    typealias F = RescreenFixtures

    /// One `chokepoint rescreen` process; its output and its log go to files, so neither can block it.
    final class RescreenProcess {
        let process = Process()
        let outPath: String
        let errPath: String

        init(database: String, arguments: [String]) throws {
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("rescreen-\(UUID().uuidString.prefix(8))").path
            outPath = base + ".out"
            errPath = base + ".err"
            for path in [outPath, errPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            process.executableURL = URL(fileURLWithPath: CLI.binary)
            process.arguments = ["rescreen"] + arguments
            var env = ProcessInfo.processInfo.environment
            env["CHOKEPOINT_DATABASE_URL"] = database
            env["CHOKEPOINT_SQL_DIR"] = TestDatabase.sqlDirectory
            env["CHOKEPOINT_LOG_LEVEL"] = "info"
            process.environment = env
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
            try process.run()
        }

        deinit {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }

        var pid: Int32 { process.processIdentifier }
        func wait() -> Int32 { process.waitUntilExit(); return process.terminationStatus }
        var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
    }

    /// Lists v1, 240 payments decided against them (20 of them name an entry only v2 has), 12 payments still
    /// pending (4 of them naming it), then lists v2: a rescreen finds 20 alerts and adds 4 hits.
    static func populate(_ c: Connection) throws {
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, (0..<240).map { i in
            ("N\(i)", F.mt103(ref: "N\(i)", beneficiary: i % 12 == 0 ? "KRASNOV TRADING HOUSE" : "DUPONT SARL \(i)"))
        })
        try F.decideAll(c)
        try F.insert(c, (0..<12).map { i in
            ("P\(i)", F.mt103(ref: "P\(i)", beneficiary: i % 3 == 0 ? "KRASNOV TRADING HOUSE" : "DUPONT SARL P\(i)"))
        })
        try F.importList(c, [F.zorbex, F.krasnov], tag: "v2")
    }

    /// What one process alone finds on the same data: (findings, payments screened).
    static func baseline() throws -> (findings: [[String?]], screened: Int) {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try populate(c)
        let p = try RescreenProcess(database: db.conninfo, arguments: ["--workers", "2", "--batch-size", "5"])
        #expect(p.wait() == 0, "\(p.stderr)")
        let findings = try RescreenTests.findings(c)
        #expect(findings.filter { $0[0] == "alert" }.count == 20)
        #expect(findings.filter { $0[0] == "hit" }.count == 4)
        return (findings, try F.count(c, "SELECT payments_screened FROM chokepoint.rescreen_runs"))
    }

    /// Waits (up to a minute) until `condition` holds.
    static func waitUntil(_ what: String, _ condition: () throws -> Bool) throws {
        let end = Date().addingTimeInterval(60)
        while try !condition() {
            guard Date() < end else { throw TestFailure("timed out waiting until \(what)") }
            Thread.sleep(forTimeInterval: 0.005)
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// The run is finished once, by one process, with every in-scope payment screened once.
    static func expectOneFinishedRun(_ c: Connection, screened: Int) throws -> String {
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.rescreen_runs") == 1)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.screening_runs WHERE kind = 'rescreen'") == 1)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.screening_runs WHERE kind = 'rescreen' AND finished_at IS NOT NULL") == 1)
        #expect(try F.scalar(c, "SELECT status FROM chokepoint.rescreen_runs") == "finished")
        #expect(try F.count(c, "SELECT payments_screened FROM chokepoint.rescreen_runs") == screened)
        #expect(try F.count(c, "SELECT sum(payments_screened) FROM chokepoint.rescreen_ranges") == screened)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.rescreen_ranges WHERE NOT done OR lease_holder IS NOT NULL") == 0)
        return try F.scalar(c, "SELECT finished_by FROM chokepoint.rescreen_runs") ?? ""
    }

    @Test("two and three processes started at once make one run and find exactly what one process finds", arguments: [2, 3])
    func severalProcesses(count: Int) throws {
        let expected = try Self.baseline()
        #expect(expected.screened == 252)
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try Self.populate(c)

        // The test holds the run-creation lock until every process waits on it: they all try to create the run at once.
        try c.query("SELECT pg_advisory_lock(7432003)")
        let processes = try (0..<count).map { _ in
            try RescreenProcess(database: db.conninfo, arguments: ["--workers", "2", "--batch-size", "5", "--lease-seconds", "10"])
        }
        try Self.waitUntil("every process waits on the run-creation lock") {
            try F.count(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7432003 AND NOT granted") == count
        }
        try c.query("SELECT pg_advisory_unlock(7432003)")
        for p in processes { #expect(p.wait() == 0, "\(p.stderr)") }

        #expect(try RescreenTests.findings(c) == expected.findings)
        let finishedBy = try Self.expectOneFinishedRun(c, screened: expected.screened)
        let runId = try F.scalar(c, "SELECT id FROM chokepoint.rescreen_runs") ?? "?"
        #expect(processes.filter { $0.stderr.contains("participation=created") }.count == 1)
        #expect(processes.filter { $0.stderr.contains("participation=joined") }.count == count - 1)
        // One summary, printed by the process that finished the run; the others name it.
        let summaries = processes.filter { $0.stdout.contains("payments screened:") }
        #expect(summaries.count == 1)
        #expect(summaries.first.map { finishedBy.hasSuffix(":\($0.pid)") } == true)
        #expect(summaries.first?.stdout.contains("rescreen run \(runId)") == true)
        for p in processes where !summaries.contains(where: { $0 === p }) {
            #expect(p.stdout.contains("rescreen run \(runId): finished by \(finishedBy)"), "\(p.stdout)")
        }
    }

    @Test("a process killed mid-range: another takes its range over once the lease expires and continues from the cursor")
    func killedMidRange() throws {
        let expected = try Self.baseline()
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try Self.populate(c)

        // One worker, one payment per batch: it is caught with a range half done.
        let a = try RescreenProcess(database: db.conninfo, arguments: ["--workers", "1", "--batch-size", "1", "--lease-seconds", "6"])
        var range = ""
        try Self.waitUntil("process A has committed a batch of a range") {
            range = try F.scalar(c, """
                SELECT range_no FROM chokepoint.rescreen_ranges WHERE lease_holder LIKE '%:' || $1 AND cursor_id > first_id AND NOT done
                """, [String(a.pid)]) ?? ""
            return !range.isEmpty
        }
        kill(a.pid, SIGKILL)
        _ = a.wait()
        #expect(a.process.terminationReason == .uncaughtSignal)
        // A's server backends may still be committing the batch it sent last: its state is final once they are gone.
        try Self.waitUntil("process A's connections are closed") {
            try F.count(c, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'chokepoint-rescreen%'") == 0
        }
        let killed = try #require(c.query("""
            SELECT cursor_id, lease_count FROM chokepoint.rescreen_ranges WHERE range_no = $1 AND NOT done AND cursor_id < last_id
            """, [range]).rows.first)
        #expect(killed.int(1) == 1)

        // While A's lease lasts, the run counts as worked on: a process asking for another kind of run does nothing.
        let other = try RescreenProcess(database: db.conninfo, arguments: ["--full"])
        #expect(other.wait() == 1)
        #expect(other.stderr.contains("cannot join it: this invocation asked for --full"), "\(other.stderr)")
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.rescreen_runs") == 1)

        let b = try RescreenProcess(database: db.conninfo, arguments: ["--workers", "2", "--batch-size", "5", "--lease-seconds", "6"])
        #expect(b.wait() == 0, "\(b.stderr)")
        #expect(b.stderr.contains("taking over a range whose lease expired"))
        #expect(b.stderr.contains("cursor=\(killed.string(0) ?? "?")"))
        #expect(b.stdout.contains("payments screened:          252"), "\(b.stdout)")
        #expect(try F.count(c, "SELECT lease_count FROM chokepoint.rescreen_ranges WHERE range_no = $1", [range]) == 2)
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.rescreen_ranges WHERE range_no <> $1 AND lease_count <> 1", [range]) == 0)
        #expect(try RescreenTests.findings(c) == expected.findings)
        let finishedBy = try Self.expectOneFinishedRun(c, screened: expected.screened)
        #expect(finishedBy.hasSuffix(":\(b.pid)"))
    }

    @Test("a range is committed to only under its latest lease; a taken range is not taken again; a run is finished once")
    func leaseFencing() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try Self.populate(c)
        let released = try #require(try F.scalar(c, "SELECT id FROM chokepoint.payments WHERE external_ref = 'N12'").flatMap { Int64($0) })
        let hit = Hit(kind: .sanctionedParty, field: "beneficiary", matched: "KRASNOV TRADING HOUSE", list: "ofac-sdn", entryId: "1002",
                      explanation: "test")
        let run = try c.transaction { c in
            let sr = try PaymentStore.startRun(c, kind: "rescreen", host: "h", pid: 1, listVersions: "{}")
            return try RescreenStore.createRun(c, screeningRunId: sr, fullRequested: false, since: nil, listVersions: [:], host: "h", pid: 1,
                                               rangeCount: 1, leaseSeconds: 30)
        }
        // A lease of 0 s has expired by the next statement: process B takes the range over from A.
        let a = try #require(try RescreenStore.takeRange(c, runId: run.id, holder: "a:1", leaseSeconds: 0))
        let b = try #require(try RescreenStore.takeRange(c, runId: run.id, holder: "b:2", leaseSeconds: 30))
        #expect(a.range.rangeNo == b.range.rangeNo && a.leaseCount == 1 && b.leaseCount == 2)
        #expect(try RescreenStore.takeRange(c, runId: run.id, holder: "c:3", leaseSeconds: 30) == nil)

        func commit(_ lease: RescreenStore.Lease, done: Bool) throws -> (alerts: Int, hits: Int) {
            try RescreenStore.commit(c, runId: run.id, screeningRunId: run.screeningRunId, lease: lease, leaseSeconds: 30,
                                     cursor: done ? lease.range.lastId : released, done: done, screened: 13, full: 13,
                                     candidates: [.init(paymentId: released, hit: hit, listVersionId: nil)], keys: [])
        }
        // A, late, cannot commit: its batch (the alert with it) is rolled back and the cursor stays.
        #expect(throws: RescreenStore.LeaseLost.self) { try commit(a, done: false) }
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.retrospective_alerts") == 0)
        #expect(try F.scalar(c, "SELECT cursor_id = first_id FROM chokepoint.rescreen_ranges") == "t")
        #expect(try F.scalar(c, "SELECT lease_holder FROM chokepoint.rescreen_ranges") == "b:2")

        #expect(try RescreenStore.finish(c, run: run, finishedBy: "b:2") == nil)
        #expect(try commit(b, done: false) == (1, 0))
        #expect(try F.scalar(c, "SELECT cursor_id FROM chokepoint.rescreen_ranges") == String(released))
        #expect(try commit(b, done: true) == (0, 0))
        #expect(try F.scalar(c, "SELECT done AND lease_holder IS NULL AND lease_expires_at IS NULL FROM chokepoint.rescreen_ranges") == "t")
        #expect(throws: RescreenStore.LeaseLost.self) { try commit(b, done: true) }
        #expect(try RescreenStore.takeRange(c, runId: run.id, holder: "c:3", leaseSeconds: 30) == nil)

        let t = try #require(try RescreenStore.finish(c, run: run, finishedBy: "b:2"))
        #expect(t.screened == 26 && t.alerts == 1)
        #expect(try RescreenStore.finish(c, run: run, finishedBy: "c:3") == nil)
        #expect(try F.scalar(c, "SELECT status || ' ' || finished_by FROM chokepoint.rescreen_runs") == "finished b:2")
    }
}

/// A worker with nothing to take waits for its process's other workers to leave their ranges: it looks again
/// when one does, not after its poll interval (the last range of a delta run is often the process's own).
@Suite("rescreen: a waiting worker wakes when a range ends")
struct RescreenRangeEndTests {
    @Test("a range end wakes the waiter long before its timeout; a range end before the wait is not missed")
    func wakes() throws {
        let progress = Rescreener.Progress()
        let before = progress.rangeEnds
        // Ended before the wait began (between reading `rangeEnds` and waiting): the wait returns at once.
        progress.rangeEnded()
        let start = Date()
        progress.waitForRangeEnd(after: before, seconds: 60)
        #expect(Date().timeIntervalSince(start) < 30)
        // Ended by another thread while waiting.
        let seen = progress.rangeEnds
        #expect(seen == before + 1)
        let thread = Thread { Thread.sleep(forTimeInterval: 0.2); progress.rangeEnded() }
        thread.start()
        let start2 = Date()
        progress.waitForRangeEnd(after: seen, seconds: 60)
        #expect(Date().timeIntervalSince(start2) < 30)
        #expect(progress.rangeEnds == seen + 1)
        // Nothing ends: the wait lasts its timeout.
        let start3 = Date()
        progress.waitForRangeEnd(after: progress.rangeEnds, seconds: 0.3)
        #expect(Date().timeIntervalSince(start3) >= 0.29)
    }
}
