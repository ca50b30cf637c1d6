import Foundation
import IntegrationSupport
import Postgres
import Harness
import Store
import TestSupport
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the quick version of a fault drill: the built `chokepoint-bench drill` (the same code as the long
/// version) against a test database, with real `chokepoint run` processes beside it.
enum Drill {
    static var bench: String {
        URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("chokepoint-bench").path
    }

    struct Outcome {
        var status: Int32
        var figures: [String: Any]
        var stderr: String

        func int(_ key: String) -> Int? { figures[key] as? Int }
    }

    /// `chokepoint-bench drill --kind KIND --existing` on `database` with a synthetic list.
    static func run(kind: String, database: String, duration: Double = 3, rate: Double = 100, faults: Int? = nil,
                    extra: [String] = []) throws -> Outcome {
        var args = ["drill", "--kind", kind, "--existing", "--database-url", database, "--lists", "synthetic",
                    "--duration", "\(duration)", "--rate", "\(rate)", "--settle-timeout", "60", "--seed", "7"]
        if let faults { args += ["--faults", "\(faults)"] }
        return try bench(args + extra)
    }

    /// Runs the built `chokepoint-bench` with `arguments`; its last line of output is its figures.
    static func bench(_ arguments: [String]) throws -> Outcome {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bench)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["CHOKEPOINT_SQL_DIR"] = TestDatabase.sqlDirectory
        p.environment = env
        // Progress goes to a file, so a chatty drill cannot block on a full pipe.
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("drill-\(UUID().uuidString.prefix(8)).err").path
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        try p.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let errText = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        let line = stdout.split(separator: "\n").last.map(String.init) ?? ""
        let figures = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        return Outcome(status: p.terminationStatus, figures: figures, stderr: errText)
    }

    /// Why the disk-full drill cannot run here (it mounts a small tmpfs, which needs root), or nil: the same
    /// probe as `chokepoint-bench drill --kind all` uses.
    static let mountUnavailable: String? = FullDiskVolume.unavailableReason().map { "skipped: " + $0 }

    /// What every drill must show, from its own report and from the database itself.
    static func expectInvariants(_ r: Outcome, _ c: Connection, payments: Int, minFaults: Int,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(r.status == 0, "drill failed: \(r.figures) \(r.stderr.suffix(2000))", sourceLocation: sourceLocation)
        #expect(r.figures["ok"] as? Bool == true, "\(r.figures)", sourceLocation: sourceLocation)
        #expect(r.int("payments") == payments, sourceLocation: sourceLocation)
        #expect((r.int("faults_injected") ?? 0) >= minFaults, "\(r.figures)", sourceLocation: sourceLocation)
        for key in ["lost", "duplicated", "wrongly_released", "pending_left"] {
            #expect(r.int(key) == 0, "\(key): \(r.figures)", sourceLocation: sourceLocation)
        }
        // Independently of the drill's own accounting:
        try Fixtures.checkInvariants(c, expected: payments)
        #expect(try Fixtures.count(c, """
            SELECT count(*) FROM chokepoint.payments
             WHERE status = 'released' AND (external_ref LIKE 'H-%' OR external_ref LIKE 'G-%')
            """) == 0, "a payment naming a sanctioned party, or garbage, was released", sourceLocation: sourceLocation)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'held' AND external_ref LIKE 'H-%'") > 0,
                "the drill's payments included no sanctioned party", sourceLocation: sourceLocation)
        // A clean payment may be held only as `screening_error`: the daemon died while screening it as often as the
        // poison-message rule allows (`AttemptLedger`), which a drill that kills every second or so can cause by
        // chance. That hold is fail-closed by design (a poison message looks the same); it must stay rare.
        let cleanHeld = """
            SELECT count(*) FROM chokepoint.payments p
             WHERE p.status = 'held' AND p.external_ref LIKE 'C-%' AND %@
               (SELECT 1 FROM chokepoint.hits h WHERE h.payment_id = p.id AND h.kind = 'screening_error')
            """
        #expect(try Fixtures.count(c, cleanHeld.replacingOccurrences(of: "%@", with: "NOT EXISTS")) == 0,
                "a clean payment was held for another reason than screening_error", sourceLocation: sourceLocation)
        #expect(try Fixtures.count(c, cleanHeld.replacingOccurrences(of: "%@", with: "EXISTS")) <= 2,
                "more than 2 clean payments held as screening_error", sourceLocation: sourceLocation)
    }
}

@Suite("fault drills, quick versions (chokepoint-bench drill for the long ones)", .enabled(if: TestDatabase.enabled), .serialized)
struct FaultDrillTests {
    @Test("the load benchmark at a rate reports latency and the longest pause of the inserter, with nothing lost")
    func loadAtRate() throws {
        let r = try Drill.bench(["load", "--rate", "400", "--count", "400", "--lists", "synthetic", "--settle-timeout", "60",
                                 "--database-url", TestDatabase.adminURL ?? ""])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.figures["mode"] as? String == "rate")
        #expect(r.int("decided") == 400)
        #expect(r.int("lost") == 0)
        #expect(r.int("duplicated") == 0)
        #expect((r.figures["p99_ms"] as? Double ?? -1) > 0)
        // 400 payments at 400/s come in a few hundred insert transactions, one every 2.5 ms or so: their longest pause
        // (start to start) is at least that, and under ten seconds on any machine that finishes the run.
        let gap = r.figures["insert_gap_max_ms"] as? Double ?? -1
        #expect(gap >= 1 && gap < 10_000, "insert_gap_max_ms \(gap)")
        #expect(r.int("insert_stalls_over_50ms").map { (0..<400).contains($0) } == true)
        // Payments over 10 ms, in the first second and after it: none when none took that long, every one when the
        // median did.
        let first = r.int("over_10ms_first_second") ?? -1, later = r.int("over_10ms_later") ?? -1
        #expect(first >= 0 && later >= 0 && first + later <= 400, "\(first) \(later)")
        if (r.figures["max_ms"] as? Double ?? 0) <= 10 { #expect(first + later == 0) }
        if (r.figures["p50_ms"] as? Double ?? 0) > 10 { #expect(first + later >= 200) }
    }

    @Test("the load benchmark refuses more months ahead than the database makes, before loading anything")
    func loadRefusesMonthsAhead() throws {
        let r = try Drill.bench(["load", "--months-ahead", "\(Partitions.maxMonthsAhead + 1)", "--lists", "synthetic",
                                 "--database-url", TestDatabase.adminURL ?? ""])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--months-ahead must be between 0 and 24"), "\(r.stderr)")
        #expect(!r.stderr.contains("[bench] lists:"), "the lists were loaded first: \(r.stderr)")
    }

    @Test("the daemon SIGKILLed at random moments and restarted: nothing lost, nothing decided twice")
    func sigkill() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let r = try Drill.run(kind: "sigkill", database: db.conninfo, duration: 4, faults: 5)
        try Drill.expectInvariants(r, try db.connect(), payments: 400, minFaults: 5)
        #expect((r.int("daemon_starts") ?? 0) >= 6)
    }

    @Test("all daemon connections terminated, and the LISTEN connection alone: the daemon reconnects and catches up")
    func terminate() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let r = try Drill.run(kind: "terminate", database: db.conninfo, faults: 4)
        try Drill.expectInvariants(r, try db.connect(), payments: 300, minFaults: 4)
        #expect((r.int("terminated_backends") ?? 0) >= 2, "\(r.figures)")
        #expect((r.int("terminated_listeners") ?? 0) >= 1, "\(r.figures)")
    }

    @Test("two daemons, one killed; then three, one killed: the survivors decide everything once")
    func multi() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let r = try Drill.run(kind: "multi", database: db.conninfo, duration: 4)
        let c = try db.connect()
        try Drill.expectInvariants(r, c, payments: 400, minFaults: 2)
        #expect(try Fixtures.count(c, "SELECT count(DISTINCT r.pid) FROM chokepoint.payments p JOIN chokepoint.screening_runs r ON r.id = p.screening_run_id") >= 3)
    }

    @Test("list imports during load: each decision uses one whole version, and a name is in force from its commit on")
    func listImport() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let r = try Drill.run(kind: "import", database: db.conninfo, duration: 4, faults: 3)
        let c = try db.connect()
        try Drill.expectInvariants(r, c, payments: 400, minFaults: 3)
        #expect(r.int("released_after_import_commit") == 0, "\(r.figures)")
        // Every marker payment screened with a version that lists its name is held for it.
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE external_ref LIKE 'E%' AND status = 'held'") > 0)
        #expect(try Fixtures.count(c, "SELECT count(DISTINCT list_versions->>'ofac-sdn') FROM chokepoint.screening_runs") >= 2)
    }

    @Test("read-only database for a while: the daemon backs off, says so, resumes, and decides nothing meanwhile")
    func readOnly() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let r = try Drill.run(kind: "readonly", database: db.conninfo, duration: 4, faults: 1)
        try Drill.expectInvariants(r, try db.connect(), payments: 400, minFaults: 1)
        #expect(r.figures["logged_read_only"] as? Bool == true, "\(r.figures)")
        #expect(r.int("decided_while_read_only") == 0, "\(r.figures)")
    }

    @Test("the disk under the decision tables full for a while: the daemon backs off, says why, resumes, holds nothing for it",
          .enabled(if: Drill.mountUnavailable == nil, "\(Drill.mountUnavailable ?? "")"))
    func diskFull() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let r = try Drill.run(kind: "diskfull", database: db.conninfo, duration: 4, faults: 1)
        let c = try db.connect()
        try Drill.expectInvariants(r, c, payments: 400, minFaults: 1)
        #expect((r.int("logged_disk_full") ?? 0) > 0, "the daemon never said the disk was full: \(r.figures)")
        #expect(r.int("held_as_screening_error") == 0, "\(r.figures)")
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.screening_attempts") == 0)
        // The drill puts everything back: no tablespace is left behind.
        #expect(try Fixtures.count(c, "SELECT count(*) FROM pg_tablespace WHERE spcname LIKE 'chokepoint_drill_full_%'") == 0)
    }

    @Test("garbage and XML bombs during load: held as unparseable, the rest flows")
    func garbage() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let r = try Drill.run(kind: "garbage", database: db.conninfo, duration: 3, rate: 150)
        let c = try db.connect()
        try Drill.expectInvariants(r, c, payments: 450, minFaults: 10)
        let garbage = try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE external_ref LIKE 'G-%'")
        #expect(garbage >= 10)
        #expect(try Fixtures.count(c, """
            SELECT count(*) FROM chokepoint.payments WHERE external_ref LIKE 'G-%' AND status = 'held' AND 'unparseable' = ANY(reasons)
            """) == garbage)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE external_ref LIKE 'C-%' AND status = 'released'") > 0)
    }

    @Test("PostgreSQL restarted with fast and immediate shutdown under load, in a cluster of its own")
    func pgRestart() throws {
        guard let (cluster, admin) = startPrivateCluster() else { return }
        defer { cluster.destroy() }
        let a = try Connection(conninfo: admin)
        try a.executeScript("CREATE DATABASE drill")
        a.close()
        let url = TestDatabase.url(admin, database: "drill")
        let m = try Connection(conninfo: url)
        try Migrator(directory: TestDatabase.sqlDirectory).migrateUp(m)
        m.close()
        let r = try Drill.run(kind: "pg-restart", database: url, duration: 5, faults: 2,
                              extra: ["--cluster-dir", cluster.directory, "--pg-script", cluster.script])
        try Drill.expectInvariants(r, try Connection(conninfo: url), payments: 500, minFaults: 2)
    }

    @Test("several databases of a new cluster migrated at the same moment: each succeeds and the roles exist once")
    func concurrentMigrationsOfOneCluster() throws {
        guard let (cluster, admin) = startPrivateCluster() else { return }
        defer { cluster.destroy() }
        let a = try Connection(conninfo: admin)
        defer { a.close() }
        let names = (1...6).map { "m\($0)" }
        for n in names { try a.executeScript("CREATE DATABASE \(n)") }
        let migrator = try Migrator(directory: TestDatabase.sqlDirectory)
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            do {
                let c = try Connection(conninfo: TestDatabase.url(admin, database: names[i]))
                defer { c.close() }
                try migrator.migrateUp(c)
                try Migrator.checkCurrent(c)
            } catch {
                failures.withLock { $0.append("\(names[i]): \(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        let roles = try a.query("SELECT rolname FROM pg_roles WHERE rolname LIKE 'chokepoint\\_%' ORDER BY 1").rows.compactMap { $0.string(0) }
        #expect(roles == Migrator.clusterRoles.sorted())
    }

    /// A PostgreSQL cluster of the test's own (`scripts/pg` in a new folder), or nil with an issue recorded
    /// when it cannot start.
    private func startPrivateCluster() -> (cluster: ScratchCluster, admin: String)? {
        let cluster = ScratchCluster(directory: "/tmp/cp-drill-\(UUID().uuidString.prefix(8).lowercased())",
                                     script: TestDatabase.packageRoot + "/scripts/pg")
        do {
            return (cluster, try cluster.start())
        } catch {
            Issue.record("could not start a private PostgreSQL cluster with scripts/pg in \(cluster.directory): \(error)")
            cluster.destroy()
            return nil
        }
    }
}

@Suite("poison messages", .enabled(if: TestDatabase.enabled), .serialized)
struct PoisonMessageTests {
    static var bench: String {
        URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("chokepoint-bench").path
    }

    @Test("a message that crashes the daemon every time ends held as screening_error; the rest is decided once")
    func poisonIsHeld() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try Fixtures.insert(c, count: 120, prefix: "OK")
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('POISON', 'mt103', $1)",
                    [Fixtures.mt103(ref: "POISON").replacingOccurrences(of: "MUELLER GMBH", with: "POISONPILL GMBH")])
        try Fixtures.insert(c, count: 120, prefix: "LATE")
        var starts = 0
        var crashes = 0
        while starts < 12 {
            starts += 1
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Self.bench)
            p.arguments = ["poison-daemon", "--database-url", db.conninfo, "--marker", "POISONPILL", "--batch-size", "50"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            if p.terminationReason == .exit && p.terminationStatus == 0 { break }
            crashes += 1
        }
        #expect(crashes >= 1)
        #expect(starts < 12)
        let poison = try c.query("SELECT status, reasons::text FROM chokepoint.payments WHERE external_ref = 'POISON'").rows.first?.values
        #expect(poison == ["held", "{screening_error}"])
        try Fixtures.checkInvariants(c, expected: 241)
        // Only the poison was held for it: the payments that shared its batches were screened normally.
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE 'screening_error' = ANY(reasons)") == 1)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'released'") == 240)
        #expect(try Fixtures.count(c, "SELECT count(*) FROM chokepoint.screening_attempts") == 0)
    }
}
