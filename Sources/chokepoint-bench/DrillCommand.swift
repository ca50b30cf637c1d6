import ArgumentParser
import Daemon
import Foundation
import Harness
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// Fault drills: a stream of payments into real `chokepoint run` daemons while a fault is injected again and
/// again, then the invariants: every payment decided exactly once, none pending, no release without a
/// screening record, every hold with its hits, nothing that must be held released.
///
/// Prints one JSON line per kind (`kind, payments, faults_injected, lost, duplicated, wrongly_released,
/// pending_left, ok` and details) and exits 1 if any kind is not ok. The quick versions in the test suite
/// (`FaultDrillTests`) run this command with a small duration against a test database (`--existing`).
struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Run a fault drill (sigkill, pg-restart, terminate, multi, import, readonly, diskfull, garbage, or all) and check the invariants.")

    static let kinds = ["sigkill", "terminate", "multi", "import", "readonly", "diskfull", "garbage", "pg-restart"]

    @Option(help: "sigkill, pg-restart, terminate, multi, import, readonly, diskfull (root: mounts a tmpfs), garbage, or all.") var kind: String
    @Option(help: "Seconds of load per drill.") var duration = 30.0
    @Option(help: "Payments per second during the drill.") var rate = 300.0
    @Option(help: "Faults to inject (default: from the duration).") var faults: Int?
    @Option(help: "Workers per daemon.") var workers = 2
    @Option(help: "Payments per claim transaction.") var batchSize = 50
    @Option(help: "Share of payments naming a sanctioned party.") var hitShare = 0.1
    @Option(name: .customLong("database-url"), help: "Admin connection (default CHOKEPOINT_DATABASE_URL), or the database itself with --existing.")
    var databaseURL: String?
    @Flag(help: "Use the database of --database-url as is (migrated, no payments) instead of creating one; it is not dropped.")
    var existing = false
    @Option(help: "pg-restart: the scripts/pg cluster folder that serves --database-url (default: a new cluster in a temporary folder).")
    var clusterDir: String?
    @Option(help: "Path of scripts/pg (default: found above the executable).") var pgScript: String?
    @Option(help: "The shared data folder with ofac/ and russia/.") var shared = "../shared/data"
    @Option(help: "auto (real lists when present), real, or synthetic.") var lists = "auto"
    @Option(help: "Seed (default: random, printed).") var seed: UInt64?
    @Option(help: "Seconds to wait for the queue to drain after the load.") var settleTimeout = 180.0

    func validate() throws {
        guard kind == "all" || Self.kinds.contains(kind) else { throw ValidationError("unknown --kind \(kind); use one of \(Self.kinds.joined(separator: ", ")) or all") }
        guard duration > 0, rate > 0 else { throw ValidationError("--duration and --rate must be positive") }
        guard ["auto", "real", "synthetic"].contains(lists) else { throw ValidationError("--lists must be auto, real or synthetic") }
        if existing && kind == "all" { throw ValidationError("--existing runs one kind (each drill needs an empty database)") }
        if existing && kind == "pg-restart" && clusterDir == nil { throw ValidationError("pg-restart with --existing needs --cluster-dir") }
    }

    func run() async throws {
        let seed = self.seed ?? UInt64.random(in: 0...UInt64(Int32.max))
        var settings = DrillSettings(
            kind: kind, duration: duration, rate: rate, faults: faults, workers: workers, batchSize: batchSize, hitShare: hitShare,
            url: databaseURL ?? ProcessInfo.processInfo.environment["CHOKEPOINT_DATABASE_URL"] ?? "", existing: existing,
            clusterDir: clusterDir, pgScript: pgScript, seed: seed, settle: settleTimeout,
            command: CommandLine.arguments.map { $0.contains(" ") || $0.contains("&") ? "'\($0)'" : $0 }.joined(separator: " "))
        _ = try Executables.chokepoint()
        let (shared, mode) = (self.shared, lists)
        let (benchLists, generator) = try await onDedicatedThread(name: "bench-generate") { () throws -> (BenchLists, PaymentGenerator) in
            let l = try BenchLists.load(mode: mode, shared: shared)
            return (l, PaymentGenerator(lists: l, data: l.screeningData(), seed: seed))
        }
        var allOK = true
        for k in kind == "all" ? Self.kinds : [kind] {
            if kind == "all", k == "diskfull", let why = FullDiskVolume.unavailableReason() {
                // Asked for by name it fails with this reason; as part of "all" it is reported as skipped.
                progress("drill diskfull skipped: \(why)")
                print(jsonLine(["kind": k, "skipped": why]))
                continue
            }
            settings.kind = k
            let s = settings
            progress("drill \(k): \(Int(s.rate * s.duration)) payments over \(s.duration) s (seed \(seed))")
            let line = try await onDedicatedThread(name: "bench-drill") { () throws -> String in
                var out = try FaultDrill(settings: s, lists: benchLists, generator: generator).run()
                out["command"] = s.command
                out["seed"] = Int(seed)
                out["lists"] = benchLists.origin
                return jsonLine(out)
            }
            allOK = allOK && line.contains("\"ok\":true")
            print(line)
            fflush(nil)
        }
        if !allOK { throw ExitCode(1) }
    }
}

struct DrillSettings: Sendable {
    var kind: String
    var duration: Double
    var rate: Double
    var faults: Int?
    var workers: Int
    var batchSize: Int
    var hitShare: Double
    var url: String
    var existing: Bool
    var clusterDir: String?
    var pgScript: String?
    var seed: UInt64
    var settle: Double
    var command: String
}

/// One drill, run on one dedicated thread from start to end (it owns the connections and the processes).
final class FaultDrill {
    let s: DrillSettings
    let lists: BenchLists
    var generator: PaymentGenerator
    private var control: Connection!
    private var db: TargetDatabase!
    private var daemons: [DaemonProcess] = []
    private var logs = ""

    init(settings: DrillSettings, lists: BenchLists, generator: PaymentGenerator) {
        self.s = settings
        self.lists = lists
        self.generator = generator
    }

    func run() throws -> [String: Any] {
        var url = s.url
        var cluster: ScratchCluster?
        var ownCluster = false
        if s.kind == "pg-restart" {
            let script = try Executables.pgScript(explicit: s.pgScript)
            if let dir = s.clusterDir {
                cluster = ScratchCluster(directory: dir, script: script)
            } else {
                // Never restart a cluster others use: this drill brings its own.
                let c = ScratchCluster(directory: "/tmp/chokepoint-drill-pg-\(getpid())", script: script)
                url = try c.start()
                cluster = c
                ownCluster = true
            }
        }
        defer { if ownCluster { cluster?.destroy() } }
        db = try TargetDatabase.open(url: url, existing: s.existing && !ownCluster)
        defer { db.drop() }
        logs = FileManager.default.temporaryDirectory.appendingPathComponent("chokepoint-drill-\(getpid())-\(s.kind)").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        control = try Connection(conninfo: db.conninfo)
        var volume: FullDiskVolume?
        defer {
            for d in daemons { d.kill() }
            volume?.tearDown(control)
            control?.close()
        }

        // Payments: the import drill adds marker names, the garbage drill hostile input.
        let total = max(1, Int(s.rate * s.duration))
        var out0: [String: Any] = [:]
        var markers: [PaymentGenerator.ListedName] = []
        if s.kind == "import" {
            let wanted = min(10, s.faults ?? max(2, Int(s.duration / 5)))
            var g = generator
            let ids = Set(g.listed.prefix(wanted * 3).map(\.entryId))
            g.keepListedNamesReleasedBy(lists.screeningData(excluding: ids), ids: ids)
            markers = Array(g.listed.filter { ids.contains($0.entryId) }.prefix(wanted))
            generator = g
            guard !markers.isEmpty else { throw BenchFailure("no sanctioned name usable as an import marker") }
        }
        let versionZero = try lists.importLists(control, excluding: Set(markers.map(\.entryId)))
        if s.kind == "diskfull" {
            // Room for the drill's hits and audit rows, and some slack: the ballast takes the rest.
            let megabytes = 32 + total * 8 / 1024
            let v = try FullDiskVolume(control: control, megabytes: megabytes)
            volume = v
            try v.moveDecisionTables(control)
            out0["volume_mb"] = megabytes
        }
        var rows: [PaymentRow] = []
        rows.reserveCapacity(total)
        var garbageCount = 0
        for i in 0..<total {
            if s.kind == "garbage" && generator.chance(0.1) {
                rows.append(generator.garbage(ref: "G-\(i)"))
                garbageCount += 1
            } else if !markers.isEmpty && generator.chance(0.15) {
                let k = generator.uniform(markers.count)
                rows.append(generator.payment(ref: "E\(k + 1)-\(i)", naming: markers[k].name))
            } else {
                rows.append(contentsOf: generator.batch(count: 1, hitShare: s.hitShare, start: i))
            }
        }

        let started = Date()
        let count = s.kind == "multi" ? 2 : 1
        for i in 0..<count { try addDaemon(i) }
        for d in daemons { try d.waitReady(control) }
        let inserter = Inserter(conninfo: db.conninfo, rows: rows, rate: s.rate, maxBatch: 200)
        inserter.start()

        var out: [String: Any] = out0
        out["kind"] = s.kind
        var faults = 0
        var mustHold = "p.external_ref LIKE 'H-%' OR p.external_ref LIKE 'G-%'"
        var extraOK = true
        func sleepUntil(_ t: Date) { while Date() < t && !inserter.finished { Thread.sleep(forTimeInterval: 0.01) } }
        func schedule(_ n: Int) -> [Date] {
            // Fault times spread over the load, each jittered within its slot ("random moments").
            let slot = s.duration / Double(n + 1)
            return (1...n).map { started.addingTimeInterval(slot * (Double($0) + Double.random(in: -0.4...0.4))) }
        }

        switch s.kind {
        case "sigkill":
            for t in schedule(s.faults ?? max(3, Int(s.duration / 1.5))) {
                sleepUntil(t)
                daemons[0].kill()
                faults += 1
                Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.4))
                try daemons[0].start()
            }
        case "pg-restart":
            guard let cluster else { throw BenchFailure("no cluster") }
            for (i, t) in schedule(s.faults ?? max(2, Int(s.duration / 6))).enumerated() {
                sleepUntil(t)
                let mode = i % 2 == 0 ? "fast" : "immediate"
                try cluster.stop(mode: mode)
                faults += 1
                Thread.sleep(forTimeInterval: 0.3)
                _ = try cluster.start()
                progress("PostgreSQL stopped (\(mode)) and started again")
                control.close()
                control = try Connection(conninfo: db.conninfo)
            }
        case "terminate":
            var listenerKills = 0, allKills = 0
            for (i, t) in schedule(s.faults ?? max(4, Int(s.duration / 1.5))).enumerated() {
                sleepUntil(t)
                if i % 2 == 0 {
                    allKills += try terminate(except: [inserter.backendPID.load(ordering: .relaxed)])
                } else {
                    listenerKills += try terminateListener()
                }
                faults += 1
            }
            out["terminated_backends"] = allKills
            out["terminated_listeners"] = listenerKills
        case "multi":
            // Two daemons, one killed; then three, one killed. The survivors must finish everything.
            sleepUntil(started.addingTimeInterval(s.duration / 3))
            daemons[0].kill()
            killedForGood.insert(daemons[0].name)
            faults += 1
            try addDaemon(2)
            try addDaemon(3)
            sleepUntil(started.addingTimeInterval(2 * s.duration / 3))
            daemons[2].kill()
            killedForGood.insert(daemons[2].name)
            faults += 1
        case "import":
            var conditions: [String] = []
            var commits: [(Int, Int64, String)] = []
            for (k, t) in schedule(markers.count).enumerated() {
                sleepUntil(t)
                let v = try lists.importLists(control, excluding: Set(markers[(k + 1)...].map(\.entryId)), banksToo: false)
                let committed = try control.query("SELECT clock_timestamp()::text").scalar ?? ""
                commits.append((k + 1, v, committed))
                faults += 1
                // A payment naming marker k+1 screened with this version or a later one must be held.
                conditions.append("(p.external_ref LIKE 'E\(k + 1)-%' AND EXISTS (SELECT 1 FROM chokepoint.screening_runs r WHERE r.id = p.screening_run_id AND (r.list_versions->>'ofac-sdn')::bigint >= \(v)))")
            }
            mustHold += conditions.map { " OR " + $0 }.joined()
            out["imports"] = commits.count
            out["initial_version"] = versionZero
            importCommits = commits
        case "readonly":
            var windows: [(String, String)] = []
            let cycles = s.faults ?? max(1, Int(s.duration / 10))
            for t in schedule(cycles) {
                sleepUntil(t)
                try setReadOnly(true)
                _ = try terminate(except: [inserter.backendPID.load(ordering: .relaxed)])
                let from = try control.query("SELECT clock_timestamp()::text").scalar ?? ""
                faults += 1
                Thread.sleep(forTimeInterval: min(3, max(1, s.duration / Double(2 * cycles + 1))))
                let until = try control.query("SELECT clock_timestamp()::text").scalar ?? ""
                try setReadOnly(false)
                windows.append((from, until))
            }
            var decidedWhileReadOnly = 0
            for (from, until) in windows {
                decidedWhileReadOnly += Int(try control.query(
                    "SELECT count(*) FROM chokepoint.payments WHERE decided_at > $1::timestamptz AND decided_at < $2::timestamptz",
                    [from, until]).scalar ?? "") ?? -1
            }
            out["decided_while_read_only"] = decidedWhileReadOnly
            extraOK = extraOK && decidedWhileReadOnly == 0
        case "diskfull":
            guard let volume else { throw BenchFailure("no volume") }
            var windows: [(String, String)] = []
            var ballast = 0
            let cycles = s.faults ?? max(1, Int(s.duration / 10))
            for t in schedule(cycles) {
                sleepUntil(t)
                let from = try control.query("SELECT clock_timestamp()::text").scalar ?? ""
                ballast = max(ballast, try volume.fill())
                faults += 1
                let end = Date().addingTimeInterval(min(3, max(1, s.duration / Double(2 * cycles + 1))))
                // PostgreSQL frees space of its own (truncation, a rolled-back extension): keep it full.
                while Date() < end {
                    Thread.sleep(forTimeInterval: 0.05)
                    try volume.fill()
                }
                volume.free()
                windows.append((from, try control.query("SELECT clock_timestamp()::text").scalar ?? ""))
            }
            var decidedWhileFull = 0
            for (from, until) in windows {
                decidedWhileFull += Int(try control.query(
                    "SELECT count(*) FROM chokepoint.payments WHERE decided_at > $1::timestamptz AND decided_at < $2::timestamptz",
                    [from, until]).scalar ?? "") ?? -1
            }
            // Not necessarily 0: a decision whose rows fit in pages already allocated needs no new space.
            out["decided_while_full"] = decidedWhileFull
            out["ballast_mb"] = ballast >> 20
        case "garbage":
            faults = garbageCount
        default:
            throw BenchFailure("unknown drill \(s.kind)")
        }
        try inserter.wait()
        out["insert_retries"] = inserter.retries.load(ordering: .relaxed)

        let drained = try waitUntilDrained(control, expected: rows.count, timeout: s.settle) {
            for d in daemons where !d.isRunning && !killedForGood.contains(d.name) { try d.start() }
        }
        if !drained { progress("drill \(s.kind): queue not drained within \(Int(s.settle)) s") }
        var exits: [Int32] = []
        for d in daemons where d.isRunning { exits.append(d.stop() ?? -9) }
        out["daemon_exit_codes"] = exits.map { Int($0) }
        out["daemon_starts"] = daemons.reduce(0) { $0 + $1.starts }

        let inv = try Invariants.measure(control, expected: rows.count, mustHold: mustHold)
        for (k, v) in inv.json { out[k] = v }
        out["faults_injected"] = faults
        out["seconds"] = (Date().timeIntervalSince(started) * 10).rounded() / 10
        let split = try control.query("SELECT count(*) FILTER (WHERE status = 'held'), count(*) FILTER (WHERE status = 'released') FROM chokepoint.payments").rows[0]
        out["held"] = split.int(0) ?? -1
        out["released"] = split.int(1) ?? -1
        out["runs_used"] = Int(try control.query("SELECT count(DISTINCT screening_run_id) FROM chokepoint.payments").scalar ?? "") ?? 0

        switch s.kind {
        case "garbage":
            let unparseable = Int(try control.query("""
                SELECT count(*) FROM chokepoint.payments WHERE external_ref LIKE 'G-%' AND status = 'held' AND 'unparseable' = ANY(reasons)
                """).scalar ?? "") ?? -1
            out["garbage"] = garbageCount
            out["garbage_held_unparseable"] = unparseable
            extraOK = extraOK && unparseable == garbageCount
        case "import":
            // The swap is atomic: each decision used one whole version. Separately (not a partial list, a
            // reload delay): payments naming the new name that arrived after the import committed yet were
            // screened with the version before, and how long after the commit the first decision used it.
            var stale = 0
            var lagMs = 0.0
            for (k, v, committed) in importCommits {
                stale += Int(try control.query("""
                    SELECT count(*) FROM chokepoint.payments p WHERE p.external_ref LIKE $1 AND p.status = 'released'
                       AND p.received_at > $2::timestamptz
                    """, ["E\(k)-%", committed]).scalar ?? "") ?? -1
                let lag = Double(try control.query("""
                    SELECT extract(epoch FROM min(p.decided_at) - $1::timestamptz) * 1000 FROM chokepoint.payments p
                      JOIN chokepoint.screening_runs r ON r.id = p.screening_run_id
                     WHERE (r.list_versions->>'ofac-sdn')::bigint >= $2::bigint
                    """, [committed, String(v)]).scalar ?? "") ?? 0
                lagMs = max(lagMs, lag)
            }
            out["released_after_import_commit"] = stale
            out["max_reload_lag_ms"] = lagMs.rounded()
            let markerPayments = rows.filter { $0.ref.hasPrefix("E") }.count
            out["marker_payments"] = markerPayments
        case "readonly":
            let log = daemons.map { $0.log() }.joined()
            let logged = log.contains("read-only") || log.contains("25006")
            out["logged_read_only"] = logged
            extraOK = extraOK && logged
        case "diskfull":
            let log = daemons.map { $0.log() }.joined()
            let refusals = log.components(separatedBy: "out of disk space").count - 1
            out["logged_disk_full"] = refusals
            extraOK = extraOK && refusals > 0
            let problems = volume?.tearDown(control) ?? []
            out["teardown_problems"] = problems
            extraOK = extraOK && problems.isEmpty
        default:
            break
        }
        // Only a daemon killed while screening may leave a payment held as screening_error; a database that
        // refuses or drops a batch must not (the worker takes its attempt records back).
        if !["sigkill", "multi"].contains(s.kind) { extraOK = extraOK && inv.heldAsScreeningError == 0 }
        let ok = inv.ok && extraOK && drained
        out["ok"] = ok
        if ok { try? FileManager.default.removeItem(atPath: logs) } else { out["logs"] = logs }
        return out
    }

    private var importCommits: [(Int, Int64, String)] = []
    private var killedForGood: Set<String> = []

    private func addDaemon(_ i: Int) throws {
        let d = DaemonProcess(name: "d\(i)", conninfo: db.conninfo(applicationName: "chokepoint-drill-d\(i)"),
                              arguments: ["--workers", "\(s.workers)", "--batch-size", "\(s.batchSize)", "--poll-interval", "0.5",
                                          "--drain-timeout", "5"],
                              logDirectory: logs)
        try d.start()
        if s.kind == "multi" && !daemons.isEmpty { try d.waitReady(control) }
        daemons.append(d)
    }

    /// Terminates every client connection to the drill's database except the drill's own and `except`.
    private func terminate(except: [Int32]) throws -> Int {
        let keep = PostgresArray.int64(([control.backendPID] + except).filter { $0 != 0 }.map(Int64.init))
        return Int(try control.query("""
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> ALL($1::int[])
            """, [keep]).scalar ?? "") ?? 0
    }

    /// Terminates only the daemons' LISTEN connections (found by the last statement they ran).
    private func terminateListener() throws -> Int {
        Int(try control.query("""
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name LIKE 'chokepoint-drill-%' AND query LIKE 'LISTEN %'
            """).scalar ?? "") ?? 0
    }

    private func setReadOnly(_ on: Bool) throws {
        // A database name cannot be a bind parameter; ours is generated ([a-z0-9_]), checked before use.
        guard db.name.unicodeScalars.allSatisfy({ CharacterSet.lowercaseLetters.contains($0) || CharacterSet.decimalDigits.contains($0) || $0 == "_" }),
              db.name.utf8.allSatisfy({ $0 < 0x80 }) else { throw BenchFailure("unexpected database name \(db.name)") }
        try control.executeScript(on ? "ALTER DATABASE \"\(db.name)\" SET default_transaction_read_only = on"
                                     : "ALTER DATABASE \"\(db.name)\" RESET default_transaction_read_only")
    }
}
