import ArgumentParser
import Daemon
import Foundation
import Harness
import Logging
import Postgres
import Screening
import Store

/// End-to-end load: real `chokepoint run` daemons deciding realistic payments that a generator inserts.
///
/// With `--rate 0` the whole backlog is inserted first and the daemons' drain is timed (throughput); with
/// `--rate R` payments arrive at R per second while the daemons run, and latency is what matters. Latency
/// is `decided_at - received_at` from the database (insert transaction start to decision statement).
/// `--baseline` drains the same backlog again with the daemon's workers in process and screening off
/// (`ReleaseAll`), on a fresh database, so screening's cost is a ratio from one run.
///
/// Before a backlog drain, each scratch database's non-empty tables (the backlog, its references and audit
/// rows, the imported lists) are vacuumed and analysed, and autovacuum is turned off on its tables for the
/// drain (`--autovacuum` leaves it on). Autovacuum's launcher visits a database every `autovacuum_naptime`
/// divided by the number of databases, at a moment of its own choosing, and a vacuum and analyse of the
/// hundred thousand rows a drain updates (or that the backlog's insert left) costs about a second of CPU: it
/// landed at random in one drain of a pair or the other, more often in the longer screened one (in a profiled
/// run, a tenth of the screened drain's CPU), and moved a pair's ratio by up to a tenth. That work is the
/// database's, the same per payment with screening or without, so the pair compares the two drains without it.
/// Empty tables are left unanalysed, as a new database's are, so the planner estimates the tables the drain
/// fills from their real size (analysed while empty, a table is planned as empty until analysed again).
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Insert realistic payments while chokepoint run daemons decide them; print throughput and latency as one JSON line.")

    @Option(help: "Payments to insert.") var count = 100_000
    @Option(help: "Payments per second (0: insert the whole backlog first, then time the drain).") var rate = 0.0
    @Option(help: "chokepoint run processes.") var daemons = 1
    @Option(help: "Workers per daemon.") var workers = 2
    @Option(help: "Payments per claim transaction (the daemon's default).") var batchSize = WorkerConfiguration.defaultBatchSize
    @Option(help: "Share of payments naming a sanctioned party.") var hitShare = 0.1
    @Flag(help: "Also drain the same backlog with screening off, in process, with the same number of workers.") var baseline = false
    @Flag(help: "Run the daemons with --screening-keys (each decided payment's rescreen prefilter keys stored with its decision).")
    var screeningKeys = false
    @Option(name: .customLong("repeat"), help: "With --baseline: measure this many (screened, bare) pairs, alternating which goes first; throughputs are medians, screening_keeps is their ratio, and every pair's ratio is listed.")
    var repeatCount = 1
    @Option(name: .customLong("database-url"), help: "Admin connection (default CHOKEPOINT_DATABASE_URL); a database chokepoint_bench_<pid> is created and dropped.")
    var databaseURL: String?
    @Option(help: "The shared data folder with ofac/ and russia/.") var shared = "../shared/data"
    @Option(help: "auto (real lists when present), real, or synthetic.") var lists = "auto"
    @Option(help: "Seed of the payment generator.") var seed: UInt64 = 1
    @Option(help: "Seconds to wait for the queue to drain before giving up.") var settleTimeout = 900.0
    @Flag(help: "Backlog runs: leave autovacuum on for the scratch databases' tables during the drains.") var autovacuum = false
    @Option(help: "Monthly partitions to create ahead of the current month in each scratch database (migrate creates 3): empty partitions stand in for years of decided history, whose partitions the claim probes the same way.")
    var monthsAhead = Partitions.defaultMonthsAhead

    func validate() throws {
        guard count > 0 else { throw ValidationError("--count must be positive") }
        guard rate >= 0 else { throw ValidationError("--rate must be 0 or positive") }
        guard (1...16).contains(daemons) else { throw ValidationError("--daemons must be 1-16") }
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be 1-64") }
        guard (0...1).contains(hitShare) else { throw ValidationError("--hit-share must be in [0, 1]") }
        guard (1...20).contains(repeatCount) else { throw ValidationError("--repeat must be 1-20") }
        if repeatCount > 1 && (!baseline || rate != 0) { throw ValidationError("--repeat needs --baseline and a backlog (--rate 0)") }
        guard ["auto", "real", "synthetic"].contains(lists) else { throw ValidationError("--lists must be auto, real or synthetic") }
        // Said here, before the lists are loaded and the payments generated, rather than by the database at the first run.
        guard (0...Partitions.maxMonthsAhead).contains(monthsAhead) else {
            throw ValidationError("--months-ahead must be between 0 and \(Partitions.maxMonthsAhead)")
        }
    }

    func run() async throws {
        let admin = databaseURL ?? ProcessInfo.processInfo.environment["CHOKEPOINT_DATABASE_URL"] ?? ""
        let (count, rate, daemons, workers, batchSize, hitShare) = (self.count, self.rate, self.daemons, self.workers, self.batchSize, self.hitShare)
        let (shared, listsMode, seed, settle, keys) = (self.shared, self.lists, self.seed, self.settleTimeout, self.screeningKeys)
        let autovacuum = self.autovacuum
        _ = try Executables.chokepoint()

        let prepared = try await onDedicatedThread(name: "bench-generate") { () throws -> (BenchLists, [PaymentRow], Int) in
            let lists = try BenchLists.load(mode: listsMode, shared: shared)
            var generator = PaymentGenerator(lists: lists, data: lists.screeningData(), seed: seed)
            progress("lists: \(lists.origin), \(lists.sanctions.entries.count) entries; \(generator.listed.count) sanctioned names checked for use")
            guard !generator.listed.isEmpty || hitShare == 0 else { throw BenchFailure("no sanctioned name is caught by the policy") }
            let rows = generator.batch(count: count, hitShare: hitShare)
            // Where the time goes: the policy alone on one core, no database (parse + match + decide), with one
            // workspace for all the payments, as a daemon's worker keeps one.
            let screener = PolicyScreener(data: lists.screeningData())
            let sample = rows.prefix(20_000)
            let t0 = DispatchTime.now().uptimeNanoseconds
            var held = 0
            var workspace = ScreeningWorkspace()
            for r in sample where screener.screen(format: r.format, message: r.message, recordingKeys: false, workspace: &workspace).outcome == .hold {
                held += 1
            }
            let perSecond = Double(sample.count) / (Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            progress("screening alone: \(Int(perSecond)) payments/s on one core (\(held) of \(sample.count) held)")
            return (lists, rows, Int(perSecond))
        }
        let (benchLists, rows, screenPerSecond) = prepared
        progress("generated \(rows.count) payments (\(rows.filter { $0.format == "mt103" }.count) MT103)")

        // Pairs alternate their order, so that neither side always runs on the warmer (or more tired) machine.
        var runs: [Figures] = [], bases: [Double] = []
        for pair in 0..<repeatCount {
            let bareFirst = pair % 2 == 1
            func bare() async throws {
                bases.append(try await Self.measureBaseline(admin: admin, rows: rows, workers: daemons * workers, batchSize: batchSize,
                                                            settle: settle, autovacuum: autovacuum, monthsAhead: monthsAhead))
            }
            if baseline && bareFirst { try await bare() }
            runs.append(try await onDedicatedThread(name: "bench-load") {
                try Self.measureDaemons(admin: admin, lists: benchLists, rows: rows, rate: rate, daemons: daemons, workers: workers,
                                        batchSize: batchSize, settle: settle, screeningKeys: keys, autovacuum: autovacuum,
                                        monthsAhead: monthsAhead)
            })
            if baseline && !bareFirst { try await bare() }
            if repeatCount > 1 {
                progress("pair \(pair + 1): decided \(runs.last!.decidedPerSecond)/s, bare \(Int(bases.last!))/s")
            }
        }
        // The run with the median throughput (the upper middle one for an even count) stands for all in
        // throughput and latency; the invariants below are summed over every run.
        let figures = runs.sorted { $0.decidedPerSecond < $1.decidedPerSecond }[runs.count / 2]
        var out = figures.json
        if baseline {
            let base = bases.sorted()[bases.count / 2]
            out["baseline_per_s"] = Int(base)
            out["screening_keeps"] = (Double(figures.decidedPerSecond) / base * 1000).rounded() / 1000
            if repeatCount > 1 {
                out["pairs"] = zip(runs, bases).map { r, b in
                    ["decided_per_s": r.decidedPerSecond, "baseline_per_s": Int(b),
                     "screening_keeps": (Double(r.decidedPerSecond) / b * 1000).rounded() / 1000] as [String: Any]
                }
                out["lost"] = runs.reduce(0) { $0 + $1.lost }
                out["duplicated"] = runs.reduce(0) { $0 + $1.duplicated }
                out["wrongly_released"] = runs.reduce(0) { $0 + $1.wronglyReleased }
                out["pending_left"] = runs.reduce(0) { $0 + $1.pendingLeft }
                out["unexpected_holds"] = runs.reduce(0) { $0 + $1.unexpectedHolds }
                out["screening_keeps_median_of_pairs"] = (zip(runs, bases).map { Double($0.decidedPerSecond) / $1 }.sorted()[runs.count / 2] * 1000).rounded() / 1000
            }
        }
        out["bench"] = "load"
        out["daemons"] = daemons
        out["workers"] = workers
        out["batch_size"] = batchSize
        out["rate"] = rate
        out["hit_share"] = hitShare
        out["screening_keys"] = screeningKeys
        out["autovacuum"] = rate > 0 || autovacuum
        out["months_ahead"] = monthsAhead
        out["lists"] = benchLists.origin
        out["screen_only_per_s_one_core"] = screenPerSecond
        out["seed"] = Int(seed)
        out["command"] = CommandLine.arguments.map { $0.contains(" ") || $0.contains("&") ? "'\($0)'" : $0 }.joined(separator: " ")
        print(jsonLine(out))
    }

    /// Figures of one run of the real daemons.
    struct Figures: Sendable {
        var count = 0, decided = 0, lost = 0, duplicated = 0, held = 0, released = 0
        var wronglyReleased = 0, unexpectedHolds = 0, pendingLeft = 0
        var p50 = 0.0, p90 = 0.0, p99 = 0.0, max = 0.0
        var seconds = 0.0, drainSeconds = 0.0, wallSeconds = 0.0, insertPerSecond = 0.0
        var mode = ""
        /// At a rate: the longest pause between two of the inserter's transactions (start to start, so it includes
        /// the inserter's own statement and commit), and how many pauses were longer than 50 ms beyond the schedule's
        /// interval (1/rate). The inserter stands for the bank's systems and inserts whatever is due, every
        /// millisecond or so at 2,000/s; a longer pause means the machine or the database stalled the bank's side too,
        /// and every payment that arrived around it waits as long (a latency tail that is not the daemon's).
        var insertGapMax = 0.0, insertStalls = 0
        /// At a rate: payments decided more than 10 ms after their insert, among those inserted in the run's first
        /// second (where anything the daemons do once at start would show) and after it.
        var slowFirstSecond = 0, slowLater = 0
        var decidedPerSecond: Int { seconds > 0 ? Int(Double(decided) / seconds) : 0 }

        var json: [String: Any] {
            func ms(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
            return ["count": count, "decided": decided, "lost": lost, "duplicated": duplicated, "held": held, "released": released,
                    "wrongly_released": wronglyReleased, "unexpected_holds": unexpectedHolds, "pending_left": pendingLeft,
                    "p50_ms": ms(p50), "p90_ms": ms(p90), "p99_ms": ms(p99), "max_ms": ms(max),
                    "decided_per_s": decidedPerSecond, "seconds": ms(seconds), "drain_s": ms(drainSeconds), "wall_s": ms(wallSeconds),
                    "insert_per_s": Int(insertPerSecond), "mode": mode]
                .merging(mode == "rate" ? ["insert_gap_max_ms": ms(insertGapMax), "insert_stalls_over_50ms": insertStalls,
                                           "over_10ms_first_second": slowFirstSecond, "over_10ms_later": slowLater] : [:]) { a, _ in a }
        }
    }

    static func measureDaemons(admin: String, lists: BenchLists, rows: [PaymentRow], rate: Double, daemons: Int, workers: Int,
                               batchSize: Int, settle: Double, screeningKeys: Bool = false, autovacuum: Bool = false,
                               monthsAhead: Int = Partitions.defaultMonthsAhead) throws -> Figures {
        let db = try TargetDatabase.open(url: admin, existing: false)
        defer { db.drop() }
        let c = try Connection(conninfo: db.conninfo)
        defer { c.close() }
        try Partitions.ensure(c, monthsAhead: monthsAhead)
        try lists.importLists(c)
        let logs = FileManager.default.temporaryDirectory.appendingPathComponent("chokepoint-load-\(getpid())").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let procs = (0..<daemons).map {
            DaemonProcess(name: "d\($0)", conninfo: db.conninfo(applicationName: "chokepoint-load-d\($0)"),
                          arguments: ["--workers", "\(workers)", "--batch-size", "\(batchSize)", "--drain-timeout", "10"]
                              + (screeningKeys ? ["--screening-keys"] : []), logDirectory: logs)
        }
        defer { procs.forEach { $0.stop() } }
        var figures = Figures()
        let inserter = Inserter(conninfo: db.conninfo, rows: rows, rate: rate, maxBatch: rate > 0 ? 500 : 2000)
        let wallStart: Date
        if rate == 0 {
            figures.mode = "backlog"
            let t0 = Date()
            inserter.start()
            try inserter.wait()
            figures.insertPerSecond = Double(rows.count) / Date().timeIntervalSince(t0)
            try settleDatabase(c, autovacuum: autovacuum)
            progress("backlog of \(rows.count) inserted; starting \(daemons) daemon(s)")
            wallStart = Date()
            for p in procs { try p.start() }
        } else {
            figures.mode = "rate"
            for p in procs { try p.start() }
            for p in procs { try p.waitReady(c, workers: workers) }
            progress("\(daemons) daemon(s) ready; inserting at \(rate)/s")
            wallStart = Date()
            inserter.start()
            try inserter.wait()
            figures.insertPerSecond = Double(rows.count) / Date().timeIntervalSince(wallStart)
        }
        let drained = try waitUntilDrained(c, expected: rows.count, timeout: settle) {
            for p in procs where !p.isRunning { throw BenchFailure("daemon \(p.name) exited; see \(p.logPath)") }
        }
        figures.wallSeconds = Date().timeIntervalSince(wallStart)
        if !drained { progress("queue not drained within \(Int(settle)) s") }
        for p in procs { p.stop() }

        let inv = try Invariants.measure(c, expected: rows.count)
        figures.count = rows.count
        figures.decided = inv.decided
        figures.lost = inv.lost
        figures.duplicated = inv.duplicated
        figures.pendingLeft = inv.pendingLeft
        figures.wronglyReleased = inv.wronglyReleased
        let r = try c.query("""
            SELECT count(*) FILTER (WHERE status = 'held'), count(*) FILTER (WHERE status = 'released'),
                   count(*) FILTER (WHERE status = 'held' AND external_ref LIKE 'C-%'),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.9) WITHIN GROUP (ORDER BY ms),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms),
                   extract(epoch FROM max(decided_at) - min(decided_at)), extract(epoch FROM max(decided_at) - min(received_at))
              FROM (SELECT status, external_ref, decided_at, received_at,
                           extract(epoch FROM decided_at - received_at) * 1000 AS ms
                      FROM chokepoint.payments WHERE status <> 'pending') d
            """).rows[0]
        if rate > 0 {
            // Each insert transaction's payments share its start (`received_at`).
            let g = try c.query("""
                SELECT coalesce(extract(epoch FROM max(gap)) * 1000, 0),
                       count(*) FILTER (WHERE gap > interval '50 ms' + $1::float8 * interval '1 ms')
                  FROM (SELECT t - lag(t) OVER (ORDER BY t) AS gap FROM (SELECT DISTINCT received_at AS t FROM chokepoint.payments) d) g
                """, [String(1000 / rate)]).rows[0]
            figures.insertGapMax = g.double(0) ?? 0
            figures.insertStalls = g.int(1) ?? 0
            let slow = try c.query("""
                SELECT count(*) FILTER (WHERE received_at < t0 + interval '1 s'), count(*) FILTER (WHERE received_at >= t0 + interval '1 s')
                  FROM chokepoint.payments, (SELECT min(received_at) AS t0 FROM chokepoint.payments) f
                 WHERE status <> 'pending' AND decided_at - received_at > interval '10 ms'
                """).rows[0]
            figures.slowFirstSecond = slow.int(0) ?? 0
            figures.slowLater = slow.int(1) ?? 0
        }
        figures.held = r.int(0) ?? 0
        figures.released = r.int(1) ?? 0
        figures.unexpectedHolds = r.int(2) ?? 0
        figures.p50 = r.double(3) ?? 0
        figures.p90 = r.double(4) ?? 0
        figures.p99 = r.double(5) ?? 0
        figures.max = r.double(6) ?? 0
        figures.drainSeconds = r.double(7) ?? 0
        // Backlog: the drain (first to last decision). Rate: first insert to last decision.
        figures.seconds = rate == 0 ? figures.drainSeconds : (r.double(8) ?? 0)
        try? FileManager.default.removeItem(atPath: logs)
        return figures
    }

    /// After a backlog's insert, before its drain: every non-empty table of the scratch database vacuumed and
    /// analysed, and unless `autovacuum`, autovacuum off on all its tables (see the type's comment).
    static func settleDatabase(_ c: Connection, autovacuum: Bool) throws {
        let tables = try c.query("""
            SELECT format('%I.%I', n.nspname, r.relname) FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
             WHERE n.nspname = 'chokepoint' AND r.relkind = 'r' ORDER BY 1
            """).rows.compactMap { $0.string(0) }
        for t in tables {
            if !autovacuum { try c.query("ALTER TABLE \(t) SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)") }
            if try c.query("SELECT EXISTS (SELECT 1 FROM \(t))").scalar == "t" { try c.query("VACUUM (ANALYZE) \(t)") }
        }
    }

    /// The bare queue: the same backlog drained by the daemon's claim → update loop, in process, screening off.
    static func measureBaseline(admin: String, rows: [PaymentRow], workers: Int, batchSize: Int, settle: Double,
                                autovacuum: Bool = false, monthsAhead: Int = Partitions.defaultMonthsAhead) async throws -> Double {
        let db = try await onDedicatedThread(name: "bench-baseline-setup") { () throws -> TargetDatabase in
            let db = try TargetDatabase.open(url: admin, existing: false)
            let inserter = Inserter(conninfo: db.conninfo, rows: rows, rate: 0, maxBatch: 2000)
            inserter.start()
            try inserter.wait()
            let c = try Connection(conninfo: db.conninfo)
            defer { c.close() }
            // Only months after the current one: the backlog, inserted now, is not in them.
            try Partitions.ensure(c, monthsAhead: monthsAhead)
            try settleDatabase(c, autovacuum: autovacuum)
            return db
        }
        defer { db.drop() }
        progress("baseline: draining \(rows.count) payments with screening off, \(workers) workers in process")
        var config = DaemonConfiguration(conninfo: db.conninfo)
        config.workers = workers
        config.batchSize = batchSize
        config.pollInterval = 0.05
        var logger = Logger(label: "bench-baseline")
        logger.logLevel = .error
        let daemon = Daemon(config: config, loader: { _ in (ReleaseAll(), "{}", nil) }, logger: logger)
        async let running: Void = daemon.run()
        let conninfo = db.conninfo, expected = rows.count
        let seconds = try await onDedicatedThread(name: "bench-baseline-wait") { () throws -> Double in
            let c = try Connection(conninfo: conninfo)
            defer { c.close() }
            guard try waitUntilDrained(c, expected: expected, timeout: settle) else { throw BenchFailure("baseline did not drain") }
            return Double(try c.query("SELECT extract(epoch FROM max(decided_at) - min(decided_at)) FROM chokepoint.payments").scalar ?? "") ?? 0
        }
        daemon.requestShutdown()
        _ = try await running
        return seconds > 0 ? Double(expected) / seconds : 0
    }
}
