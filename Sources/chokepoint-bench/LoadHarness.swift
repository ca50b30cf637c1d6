import Foundation
import Postgres
import Store
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The database a load run or drill works in: a throwaway one it creates and drops, or one given as is.
struct TargetDatabase {
    let conninfo: String
    let name: String
    private let created: BenchDatabase?

    /// Creates `chokepoint_bench_<pid>` from the admin URL, or uses `url` as is when `existing` (it must be
    /// migrated and hold no payments).
    static func open(url: String, existing: Bool) throws -> TargetDatabase {
        if existing {
            let c = try Connection(conninfo: url)
            defer { c.close() }
            try Migrator.checkCurrent(c)
            let name = try c.query("SELECT current_database()").scalar ?? ""
            guard try c.query("SELECT count(*) FROM chokepoint.payments").scalar == "0" else {
                throw BenchFailure("--existing database \(name) already holds payments")
            }
            return TargetDatabase(conninfo: url, name: name, created: nil)
        }
        let db = try BenchDatabase.create(adminConninfo: url, sqlDir: nil)
        return TargetDatabase(conninfo: db.conninfo, name: db.name, created: db)
    }

    func drop() { created?.drop() }

    /// The conninfo with one more parameter (`application_name`, so drills can tell daemons apart).
    func conninfo(applicationName: String) -> String {
        if conninfo.contains("://") { return conninfo + (conninfo.contains("?") ? "&" : "?") + "application_name=" + applicationName }
        return conninfo + " application_name=" + applicationName
    }
}

/// The `chokepoint` executable beside this benchmark's, which is what the load and drills run as daemons.
enum Executables {
    static var directory: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    static func chokepoint() throws -> String {
        let path = directory.appendingPathComponent("chokepoint").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchFailure("no chokepoint executable at \(path): build the whole package (swift build --product chokepoint)")
        }
        return path
    }

    /// `scripts/pg` of the checkout: given, or found above the executable or the working directory.
    static func pgScript(explicit: String?) throws -> String {
        if let explicit { return explicit }
        var candidates = [FileManager.default.currentDirectoryPath + "/scripts/pg"]
        var dir = directory
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("scripts/pg").path)
            dir = dir.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchFailure("scripts/pg not found; pass --pg-script")
        }
        return found
    }

    /// Runs a command to completion; returns its exit status and its standard output and error.
    ///
    /// `posix_spawn` and `waitpid` rather than Foundation's `Process`: `scripts/pg start` leaves a server
    /// running that would inherit `Process`'s exit-watching descriptor (and a pipe), so neither would ever
    /// report the end. The child gets only stdin (/dev/null) and stdout/stderr (a file); the rest are closed.
    @discardableResult
    static func run(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-run-\(getpid())-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc ≥ 2.34 has addclosefrom_np, which the Glibc module does not import: look it up.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw BenchFailure("cannot run \(path): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// One `chokepoint run` process, started, killed and restarted the way systemd would.
///
/// Owned by the one thread that drives a drill (not Sendable). Standard output and error of every start go
/// to one log file, so a drill can show what the daemon said about a fault.
final class DaemonProcess {
    let name: String
    let arguments: [String]
    let environment: [String: String]
    let logPath: String
    private var process: Process?
    private(set) var starts = 0

    init(name: String, conninfo: String, arguments: [String], logDirectory: String, logLevel: String = "warning") {
        self.name = name
        self.arguments = ["run"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["CHOKEPOINT_DATABASE_URL"] = conninfo
        env["CHOKEPOINT_LOG_LEVEL"] = logLevel
        env.removeValue(forKey: "NOTIFY_SOCKET")
        self.environment = env
        self.logPath = logDirectory + "/\(name).log"
    }

    var pid: Int32 { process?.processIdentifier ?? 0 }
    var isRunning: Bool { process?.isRunning ?? false }

    func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Executables.chokepoint())
        p.arguments = arguments
        p.environment = environment
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try? log.close()
        process = p
        starts += 1
    }

    /// SIGKILL, and waits for the process to be gone.
    func kill() {
        guard let p = process, p.isRunning else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// SIGTERM (graceful: finish batches in hand), SIGKILL after `timeout` seconds; returns the exit status.
    @discardableResult
    func stop(timeout: Double = 30) -> Int32? {
        guard let p = process else { return nil }
        if p.isRunning {
            Glibc.kill(p.processIdentifier, SIGTERM)
            let end = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.02) }
            if p.isRunning { kill(); return nil }
        }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Waits until this start's workers have opened a screening run (lists loaded, claiming).
    func waitReady(_ c: Connection, timeout: Double = 60) throws {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if !isRunning { throw BenchFailure("daemon \(name) exited during start-up; see \(logPath)") }
            if let n = try? c.query("SELECT count(*) FROM chokepoint.screening_runs WHERE kind = 'daemon' AND pid = $1", [String(pid)]).scalar,
               (Int(n) ?? 0) > 0 { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw BenchFailure("daemon \(name) not ready after \(Int(timeout)) s; see \(logPath)")
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// The bank's side: inserts prepared payments on its own thread and connection, at a fixed rate or as fast
/// as it can, in multi-row statements; survives lost connections and server restarts.
///
/// A batch whose fate is unknown (the connection died around COMMIT) is sent again with
/// `ON CONFLICT (external_ref) DO NOTHING`, so after a retry succeeds every payment of it exists exactly once.
final class Inserter: Sendable {
    let rows: [PaymentRow]
    let rate: Double
    let conninfo: String
    let maxBatch: Int
    /// Payments known to be committed.
    let inserted = Atomic<Int>(0)
    let retries = Atomic<Int>(0)
    /// The backend pid of the inserter's connection (drills leave it alone when they terminate the daemon's).
    let backendPID = Atomic<Int32>(0)
    private let thread = ConnectionThread(name: "bench-inserter")
    private let failed = Mutex<String?>(nil)

    init(conninfo: String, rows: [PaymentRow], rate: Double, maxBatch: Int = 500) {
        self.conninfo = conninfo
        self.rows = rows
        self.rate = rate
        self.maxBatch = maxBatch
    }

    func start() {
        thread.start { [self] in self.loop() }
    }

    /// Asks the inserter to stop after the batch in hand.
    func stop() { thread.requestStop() }

    /// Waits until every row is inserted (or `stop()`); throws if inserting failed for good.
    func wait() throws {
        thread.join()
        if let message = failed.withLock({ $0 }) { throw BenchFailure("inserting payments failed: \(message)") }
    }

    var finished: Bool { inserted.load(ordering: .relaxed) >= rows.count }

    private func loop() {
        var connection: Connection?
        var next = 0
        let started = DispatchTime.now().uptimeNanoseconds
        while next < rows.count && !thread.isStopping {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let due = rate > 0 ? min(rows.count, Int(rate * elapsed) + 1) : rows.count
            if due <= next {
                Thread.sleep(forTimeInterval: max(0.0005, min(0.005, Double(next + 1) / rate - elapsed)))
                continue
            }
            let n = min(due - next, maxBatch)
            let slice = rows[next..<next + n]
            var attempt = 0
            let giveUp = Date().addingTimeInterval(180)
            while true {
                do {
                    if connection == nil || !connection!.isConnected {
                        connection?.close()
                        connection = try Connection(conninfo: conninfo)
                        backendPID.store(connection!.backendPID, ordering: .relaxed)
                    }
                    try connection!.query("""
                        INSERT INTO chokepoint.payments (external_ref, format, message)
                        SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
                        ON CONFLICT (external_ref) DO NOTHING
                        """, [PostgresArray.text(slice.map(\.ref)), PostgresArray.text(slice.map(\.format)),
                              PostgresArray.text(slice.map(\.message))])
                    break
                } catch {
                    connection?.close()
                    connection = nil
                    backendPID.store(0, ordering: .relaxed)
                    retries.add(1, ordering: .relaxed)
                    attempt += 1
                    if Date() > giveUp {
                        failed.withLock { $0 = "\(error)" }
                        return
                    }
                    Thread.sleep(forTimeInterval: min(1.0, 0.02 * Double(1 << min(attempt, 6))))
                }
            }
            next += n
            inserted.store(next, ordering: .relaxed)
        }
        connection?.close()
    }
}

/// A private PostgreSQL cluster in a folder (through `scripts/pg`), for the drill that restarts the server.
struct ScratchCluster {
    let directory: String
    let script: String

    /// Starts (creating if needed) the cluster and returns its admin URL.
    func start() throws -> String {
        let r = try Executables.run(script, ["start", directory])
        guard r.status == 0, !r.output.isEmpty else { throw BenchFailure("scripts/pg start \(directory) failed (status \(r.status))") }
        return r.output.split(separator: "\n").last.map(String.init) ?? r.output
    }

    /// Stops the server with pg_ctl's `fast` or `immediate` mode (immediate: no checkpoint, crash recovery next start).
    func stop(mode: String) throws {
        let bins = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted()
        guard let v = bins.last else { throw BenchFailure("no /usr/lib/postgresql/<version>/bin") }
        let pgctl = "/usr/lib/postgresql/\(v)/bin/pg_ctl"
        let args = ["-D", directory + "/data", "-m", mode, "-w", "-t", "60", "stop"]
        let r = getuid() == 0
            ? try Executables.run("/usr/sbin/runuser", ["-u", "postgres", "--", pgctl] + args)
            : try Executables.run(pgctl, args)
        guard r.status == 0 else { throw BenchFailure("pg_ctl -m \(mode) stop failed (status \(r.status))") }
    }

    func destroy() {
        _ = try? Executables.run(script, ["stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// The invariants every drill ends with, measured in the database.
struct Invariants {
    var payments = 0
    var expected = 0
    var decided = 0
    var pendingLeft = 0
    var duplicated = 0
    var auditDecisions = 0
    var releasedUnscreened = 0
    var heldWithoutHits = 0
    var hitsFromTwoRuns = 0
    var wronglyReleased = 0
    /// Held because screening was interrupted too often: only real daemon crashes may cause these.
    var heldAsScreeningError = 0

    /// Payments inserted but not decided (missing ones included).
    var lost: Int { max(0, expected - decided) }

    var ok: Bool {
        payments == expected && lost == 0 && pendingLeft == 0 && duplicated == 0 && auditDecisions == decided
            && releasedUnscreened == 0 && heldWithoutHits == 0 && hitsFromTwoRuns == 0 && wronglyReleased == 0
    }

    /// Measures them. `mustHold` is a SQL condition on `p` naming payments that must not be released
    /// (by default the `H-` and `G-` references: sanctioned names and garbage).
    static func measure(_ c: Connection, expected: Int, mustHold: String = "p.external_ref LIKE 'H-%' OR p.external_ref LIKE 'G-%'") throws -> Invariants {
        func n(_ sql: String) throws -> Int { Int(try c.query(sql).scalar ?? "") ?? -1 }
        var i = Invariants()
        i.expected = expected
        i.payments = try n("SELECT count(*) FROM chokepoint.payments")
        i.decided = try n("SELECT count(*) FROM chokepoint.payments WHERE status <> 'pending'")
        i.pendingLeft = try n("SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'")
        i.duplicated = try n("SELECT count(*) FROM (SELECT payment_id FROM chokepoint.audit_log WHERE action = 'decision' GROUP BY payment_id HAVING count(*) > 1) d")
        i.auditDecisions = try n("SELECT count(DISTINCT payment_id) FROM chokepoint.audit_log WHERE action = 'decision'")
        i.releasedUnscreened = try n("SELECT count(*) FROM chokepoint.payments WHERE status = 'released' AND (screening_run_id IS NULL OR screened_at IS NULL)")
        i.heldWithoutHits = try n("""
            SELECT count(*) FROM chokepoint.payments p WHERE status = 'held'
               AND NOT EXISTS (SELECT 1 FROM chokepoint.hits h WHERE h.payment_id = p.id)
            """)
        i.hitsFromTwoRuns = try n("SELECT count(*) FROM (SELECT payment_id FROM chokepoint.hits GROUP BY payment_id HAVING count(DISTINCT run_id) > 1) d")
        i.wronglyReleased = try n("SELECT count(*) FROM chokepoint.payments p WHERE p.status = 'released' AND (\(mustHold))")
        i.heldAsScreeningError = try n("SELECT count(*) FROM chokepoint.payments WHERE 'screening_error' = ANY(reasons)")
        return i
    }

    var json: [String: Any] {
        ["payments": payments, "lost": lost, "duplicated": duplicated, "wrongly_released": wronglyReleased, "pending_left": pendingLeft,
         "released_without_screening": releasedUnscreened, "held_without_hits": heldWithoutHits,
         "audit_decisions": auditDecisions, "hits_from_two_runs": hitsFromTwoRuns, "held_as_screening_error": heldAsScreeningError]
    }
}

/// Waits until no payment is pending (or `timeout`); returns true when the queue is empty.
///
/// The poll asks only whether a pending payment exists (the partial index answers it); the whole table is
/// counted once the queue looks empty. Counting it every 50 ms would be a parallel scan of the table that
/// competes with the daemons for the same two cores and distorts what is measured.
func waitUntilDrained(_ c: Connection, expected: Int, timeout: Double, whileWaiting: () throws -> Void = {}) throws -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        try whileWaiting()
        if (try? c.query("SELECT EXISTS (SELECT 1 FROM chokepoint.payments WHERE status = 'pending')").scalar) == "f",
           let r = try? c.query("SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FROM chokepoint.payments").rows.first,
           r.int(0) == 0, (r.int(1) ?? 0) >= expected {
            return true
        }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return false
}

/// One line of JSON with sorted keys, as every benchmark prints.
func jsonLine(_ object: [String: Any]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self)
}

/// Progress for the operator on standard error (standard output carries only the JSON lines).
func progress(_ message: String) {
    FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
}
