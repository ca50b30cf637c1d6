import Foundation
import Harness
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// One drill, run on one dedicated thread from start to end (it owns the connections and the processes).
///
/// The common run: lists imported, payments generated, daemons started, a paced stream of inserts, the
/// kind's faults, the queue drained, the invariants measured. What differs per kind (set-up, the faults,
/// extra checks) is a `DrillKind`.
final class FaultDrill {
    let s: DrillSettings
    let lists: BenchLists
    var generator: PaymentGenerator
    private(set) var control: Connection!
    private(set) var db: TargetDatabase!
    private(set) var daemons: [DaemonProcess] = []
    private(set) var inserter: Inserter!
    private(set) var started = Date()
    /// Daemons killed on purpose that must not be restarted before the queue is drained (multi).
    var killedForGood: Set<String> = []
    private var logs = ""

    init(settings: DrillSettings, lists: BenchLists, generator: PaymentGenerator) {
        self.s = settings
        self.lists = lists
        self.generator = generator
    }

    func run() throws -> [String: Any] {
        guard var kind = drillKinds.first(where: { $0.name == s.kind })?.init(settings: s) else {
            throw BenchFailure("unknown drill \(s.kind)")
        }
        let url = try kind.prepareServer(s)
        defer { kind.tearDownServer() }
        db = try TargetDatabase.open(url: url, existing: s.existing && !kind.ownsServer)
        defer { db.drop() }
        logs = FileManager.default.temporaryDirectory.appendingPathComponent("chokepoint-drill-\(getpid())-\(s.kind)").path
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        control = try Connection(conninfo: db.conninfo)
        defer {
            for d in daemons { d.kill() }
            kind.tearDown(self)
            control?.close()
        }

        let total = max(1, Int(s.rate * s.duration))
        var out: [String: Any] = ["kind": s.kind]
        try kind.prepare(self, payments: total, out: &out)
        var rows: [PaymentRow] = []
        rows.reserveCapacity(total)
        for i in 0..<total {
            if let row = kind.payment(i, &generator) {
                rows.append(row)
            } else {
                rows.append(contentsOf: generator.batch(count: 1, hitShare: s.hitShare, start: i))
            }
        }

        started = Date()
        for i in 0..<kind.daemonsAtStart { try addDaemon(i) }
        for d in daemons { try d.waitReady(control) }
        inserter = Inserter(conninfo: db.conninfo, rows: rows, rate: s.rate, maxBatch: 200)
        inserter.start()

        let faults = try kind.inject(self, out: &out)
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

        let mustHold = (["p.external_ref LIKE 'H-%' OR p.external_ref LIKE 'G-%'"] + kind.mustHold).joined(separator: " OR ")
        let inv = try Invariants.measure(control, expected: rows.count, mustHold: mustHold)
        for (k, v) in inv.json { out[k] = v }
        out["faults_injected"] = faults
        out["seconds"] = (Date().timeIntervalSince(started) * 10).rounded() / 10
        let split = try control.query("SELECT count(*) FILTER (WHERE status = 'held'), count(*) FILTER (WHERE status = 'released') FROM chokepoint.payments").rows[0]
        out["held"] = split.int(0) ?? -1
        out["released"] = split.int(1) ?? -1
        out["runs_used"] = Int(try control.query("SELECT count(DISTINCT screening_run_id) FROM chokepoint.payments").scalar ?? "") ?? 0

        var extraOK = try kind.check(self, rows: rows, out: &out)
        // Only a daemon killed while screening may leave a payment held as screening_error; a database that
        // refuses or drops a batch must not (the worker takes its attempt records back).
        if !kind.killsDaemons { extraOK = extraOK && inv.heldAsScreeningError == 0 }
        let ok = inv.ok && extraOK && drained
        out["ok"] = ok
        if ok { try? FileManager.default.removeItem(atPath: logs) } else { out["logs"] = logs }
        return out
    }

    // MARK: - What the kinds use

    /// `n` fault times spread over the load, each jittered within its slot ("random moments").
    func schedule(_ n: Int) -> [Date] {
        let slot = s.duration / Double(n + 1)
        return (1...n).map { started.addingTimeInterval(slot * (Double($0) + Double.random(in: -0.4...0.4))) }
    }

    /// Sleeps until `t`, or until every payment is inserted.
    func sleepUntil(_ t: Date) { while Date() < t && !inserter.finished { Thread.sleep(forTimeInterval: 0.01) } }

    /// Faults for the run: `--faults`, or `perSeconds` of load per fault with at least `minimum`.
    func faultCount(minimum: Int, perSeconds: Double) -> Int { s.faults ?? max(minimum, Int(s.duration / perSeconds)) }

    /// The server's clock, for windows compared with `decided_at`.
    func serverNow() throws -> String { try control.query("SELECT clock_timestamp()::text").scalar ?? "" }

    func reconnect() throws {
        control.close()
        control = try Connection(conninfo: db.conninfo)
    }

    func count(_ sql: String, _ params: [String?] = []) throws -> Int { Int(try control.query(sql, params).scalar ?? "") ?? -1 }

    /// Payments decided strictly inside any of the windows (server times).
    func decided(within windows: [(String, String)]) throws -> Int {
        try windows.reduce(0) { sum, w in
            sum + (try count("SELECT count(*) FROM chokepoint.payments WHERE decided_at > $1::timestamptz AND decided_at < $2::timestamptz",
                             [w.0, w.1]))
        }
    }

    /// Everything the daemons wrote to their logs.
    func daemonLogs() -> String { daemons.map { $0.log() }.joined() }

    func addDaemon(_ i: Int) throws {
        let d = DaemonProcess(name: "d\(i)", conninfo: db.conninfo(applicationName: "chokepoint-drill-d\(i)"),
                              arguments: ["--workers", "\(s.workers)", "--batch-size", "\(s.batchSize)", "--poll-interval", "0.5",
                                          "--drain-timeout", "5"],
                              logDirectory: logs)
        try d.start()
        if !daemons.isEmpty { try d.waitReady(control) }
        daemons.append(d)
    }

    /// Terminates every client connection to the drill's database except the drill's own and the inserter's.
    func terminateAllButOurs() throws -> Int {
        let keep = PostgresArray.int64([control.backendPID, inserter.backendPID.load(ordering: .relaxed)].filter { $0 != 0 }.map(Int64.init))
        return try count("""
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> ALL($1::int[])
            """, [keep])
    }

    /// Terminates only the daemons' LISTEN connections (found by the last statement they ran).
    func terminateListeners() throws -> Int {
        try count("""
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND application_name LIKE 'chokepoint-drill-%' AND query LIKE 'LISTEN %'
            """)
    }

    func setReadOnly(_ on: Bool) throws {
        // A database name cannot be a bind parameter; ours is generated ([a-z0-9_]), checked before use.
        guard db.name.unicodeScalars.allSatisfy({ CharacterSet.lowercaseLetters.contains($0) || CharacterSet.decimalDigits.contains($0) || $0 == "_" }),
              db.name.utf8.allSatisfy({ $0 < 0x80 }) else { throw BenchFailure("unexpected database name \(db.name)") }
        try control.executeScript(on ? "ALTER DATABASE \"\(db.name)\" SET default_transaction_read_only = on"
                                     : "ALTER DATABASE \"\(db.name)\" RESET default_transaction_read_only")
    }
}
