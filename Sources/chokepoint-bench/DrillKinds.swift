import Foundation
import Harness
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// Every drill kind, in the order `--kind all` runs them.
var drillKinds: [any DrillKind.Type] {
    [SigkillDrill.self, TerminateDrill.self, MultiDrill.self, ImportDrill.self, ReadOnlyDrill.self,
     DiskFullDrill.self, GarbageDrill.self, PGRestartDrill.self]
}

/// What one kind of fault drill adds to the common run of `FaultDrill`: its set-up, the faults it injects
/// while the payments stream in, and the checks it adds after the queue drained.
protocol DrillKind {
    static var name: String { get }
    /// Why this kind cannot run on this machine, or nil.
    static var unavailableReason: String? { get }
    init(settings: DrillSettings)

    /// Daemons started before the load.
    var daemonsAtStart: Int { get }
    /// True when the kind kills daemons while they screen (only then may a payment end as screening_error).
    var killsDaemons: Bool { get }
    /// True when the kind brings its own PostgreSQL server (`prepareServer` returns its URL).
    var ownsServer: Bool { get }
    /// SQL conditions on `p`, besides the `H-`/`G-` references, naming payments that must not be released.
    var mustHold: [String] { get }

    /// The admin URL the drill's database is made from (default: the one given).
    mutating func prepareServer(_ s: DrillSettings) throws -> String
    func tearDownServer()
    /// Before the payments are generated: imports the lists, and anything of the kind's own.
    mutating func prepare(_ drill: FaultDrill, payments: Int, out: inout [String: Any]) throws
    /// The kind's own payment number `i`, or nil for the generator's usual one.
    mutating func payment(_ i: Int, _ generator: inout PaymentGenerator) -> PaymentRow?
    /// While the load runs: injects the faults and returns how many.
    mutating func inject(_ drill: FaultDrill, out: inout [String: Any]) throws -> Int
    /// After the drain: adds figures; returns false if the kind's own checks fail.
    func check(_ drill: FaultDrill, rows: [PaymentRow], out: inout [String: Any]) throws -> Bool
    func tearDown(_ drill: FaultDrill)
}

extension DrillKind {
    static var unavailableReason: String? { nil }
    var daemonsAtStart: Int { 1 }
    var killsDaemons: Bool { false }
    var ownsServer: Bool { false }
    var mustHold: [String] { [] }
    mutating func prepareServer(_ s: DrillSettings) throws -> String { s.url }
    func tearDownServer() {}
    mutating func prepare(_ drill: FaultDrill, payments: Int, out: inout [String: Any]) throws {
        _ = try drill.lists.importLists(drill.control, excluding: [])
    }
    mutating func payment(_ i: Int, _ generator: inout PaymentGenerator) -> PaymentRow? { nil }
    func check(_ drill: FaultDrill, rows: [PaymentRow], out: inout [String: Any]) throws -> Bool { true }
    func tearDown(_ drill: FaultDrill) {}
}

/// The daemon killed with SIGKILL at random moments and started again.
struct SigkillDrill: DrillKind {
    static let name = "sigkill"
    init(settings: DrillSettings) {}
    var killsDaemons: Bool { true }

    mutating func inject(_ drill: FaultDrill, out: inout [String: Any]) throws -> Int {
        var faults = 0
        for t in drill.schedule(drill.faultCount(minimum: 3, perSeconds: 1.5)) {
            drill.sleepUntil(t)
            drill.daemons[0].kill()
            faults += 1
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.4))
            try drill.daemons[0].start()
        }
        return faults
    }
}

/// PostgreSQL stopped with `fast` and `immediate` shutdown and started again, in a cluster of the drill's
/// own (never one that others use) unless `--cluster-dir` names the one serving `--database-url`.
struct PGRestartDrill: DrillKind {
    static let name = "pg-restart"
    private var cluster: ScratchCluster?
    private var own = false
    init(settings: DrillSettings) {}
    var ownsServer: Bool { own }

    mutating func prepareServer(_ s: DrillSettings) throws -> String {
        let script = try Executables.pgScript(explicit: s.pgScript)
        if let dir = s.clusterDir {
            cluster = ScratchCluster(directory: dir, script: script)
            return s.url
        }
        let c = ScratchCluster(directory: "/tmp/chokepoint-drill-pg-\(getpid())", script: script)
        cluster = c
        own = true
        return try c.start()
    }

    func tearDownServer() { if own { cluster?.destroy() } }

    mutating func inject(_ drill: FaultDrill, out: inout [String: Any]) throws -> Int {
        guard let cluster else { throw BenchFailure("no cluster") }
        var faults = 0
        for (i, t) in drill.schedule(drill.faultCount(minimum: 2, perSeconds: 6)).enumerated() {
            drill.sleepUntil(t)
            let mode = i % 2 == 0 ? "fast" : "immediate"
            try cluster.stop(mode: mode)
            faults += 1
            Thread.sleep(forTimeInterval: 0.3)
            _ = try cluster.start()
            progress("PostgreSQL stopped (\(mode)) and started again")
            try drill.reconnect()
        }
        return faults
    }
}

/// The daemons' connections terminated by the server: every one of them, or only the LISTEN connections.
struct TerminateDrill: DrillKind {
    static let name = "terminate"
    init(settings: DrillSettings) {}

    mutating func inject(_ drill: FaultDrill, out: inout [String: Any]) throws -> Int {
        var listenerKills = 0, allKills = 0, faults = 0
        for (i, t) in drill.schedule(drill.faultCount(minimum: 4, perSeconds: 1.5)).enumerated() {
            drill.sleepUntil(t)
            if i % 2 == 0 { allKills += try drill.terminateAllButOurs() } else { listenerKills += try drill.terminateListeners() }
            faults += 1
        }
        out["terminated_backends"] = allKills
        out["terminated_listeners"] = listenerKills
        return faults
    }
}

/// Two daemons, one killed for good; then three, one killed for good. The survivors must finish everything.
struct MultiDrill: DrillKind {
    static let name = "multi"
    init(settings: DrillSettings) {}
    var daemonsAtStart: Int { 2 }
    var killsDaemons: Bool { true }

    mutating func inject(_ drill: FaultDrill, out: inout [String: Any]) throws -> Int {
        drill.sleepUntil(drill.started.addingTimeInterval(drill.s.duration / 3))
        drill.daemons[0].kill()
        drill.killedForGood.insert(drill.daemons[0].name)
        try drill.addDaemon(2)
        try drill.addDaemon(3)
        drill.sleepUntil(drill.started.addingTimeInterval(2 * drill.s.duration / 3))
        drill.daemons[2].kill()
        drill.killedForGood.insert(drill.daemons[2].name)
        return 2
    }
}

/// New list versions imported while payments stream in, each adding a sanctioned name ("marker") that some
/// payments name: every decision must use one whole version, and a name is in force from its commit on.
struct ImportDrill: DrillKind {
    static let name = "import"
    private var markers: [PaymentGenerator.ListedName] = []
    private var versionZero: Int64 = 0
    private var commits: [(marker: Int, version: Int64, committed: String)] = []
    init(settings: DrillSettings) {}

    var mustHold: [String] {
        // A payment naming marker k screened with the version that added it, or a later one, must be held.
        commits.map { c in
            "(p.external_ref LIKE 'E\(c.marker)-%' AND EXISTS (SELECT 1 FROM chokepoint.screening_runs r WHERE r.id = p.screening_run_id AND (r.list_versions->>'ofac-sdn')::bigint >= \(c.version)))"
        }
    }

    mutating func prepare(_ drill: FaultDrill, payments: Int, out: inout [String: Any]) throws {
        let wanted = min(10, drill.faultCount(minimum: 2, perSeconds: 5))
        let ids = Set(drill.generator.listed.prefix(wanted * 3).map(\.entryId))
        drill.generator.keepListedNamesReleasedBy(drill.lists.screeningData(excluding: ids), ids: ids)
        markers = Array(drill.generator.listed.filter { ids.contains($0.entryId) }.prefix(wanted))
        guard !markers.isEmpty else { throw BenchFailure("no sanctioned name usable as an import marker") }
        versionZero = try drill.lists.importLists(drill.control, excluding: Set(markers.map(\.entryId)))
    }

    mutating func payment(_ i: Int, _ generator: inout PaymentGenerator) -> PaymentRow? {
        guard generator.chance(0.15) else { return nil }
        let k = generator.uniform(markers.count)
        return generator.payment(ref: "E\(k + 1)-\(i)", naming: markers[k].name)
    }

    mutating func inject(_ drill: FaultDrill, out: inout [String: Any]) throws -> Int {
        for (k, t) in drill.schedule(markers.count).enumerated() {
            drill.sleepUntil(t)
            let v = try drill.lists.importLists(drill.control, excluding: Set(markers[(k + 1)...].map(\.entryId)), banksToo: false)
            commits.append((k + 1, v, try drill.serverNow()))
        }
        out["imports"] = commits.count
        out["initial_version"] = versionZero
        return commits.count
    }

    func check(_ drill: FaultDrill, rows: [PaymentRow], out: inout [String: Any]) throws -> Bool {
        // The swap is atomic: each decision used one whole version. Separately (not a partial list, a
        // reload delay): payments naming the new name that arrived after the import committed yet were
        // screened with the version before, and how long after the commit the first decision used it.
        var stale = 0
        var lagMs = 0.0
        for c in commits {
            stale += try drill.count("""
                SELECT count(*) FROM chokepoint.payments p WHERE p.external_ref LIKE $1 AND p.status = 'released'
                   AND p.received_at > $2::timestamptz
                """, ["E\(c.marker)-%", c.committed])
            let lag = Double(try drill.control.query("""
                SELECT extract(epoch FROM min(p.decided_at) - $1::timestamptz) * 1000 FROM chokepoint.payments p
                  JOIN chokepoint.screening_runs r ON r.id = p.screening_run_id
                 WHERE (r.list_versions->>'ofac-sdn')::bigint >= $2::bigint
                """, [c.committed, String(c.version)]).scalar ?? "") ?? 0
            lagMs = max(lagMs, lag)
        }
        out["released_after_import_commit"] = stale
        out["max_reload_lag_ms"] = lagMs.rounded()
        out["marker_payments"] = rows.filter { $0.ref.hasPrefix("E") }.count
        return true
    }
}

/// The database made read-only for a few seconds at a time (and every connection dropped): nothing may be
/// decided meanwhile, and the daemon must say why it waits.
struct ReadOnlyDrill: DrillKind {
    static let name = "readonly"
    init(settings: DrillSettings) {}

    mutating func inject(_ drill: FaultDrill, out: inout [String: Any]) throws -> Int {
        var windows: [(String, String)] = []
        let cycles = drill.faultCount(minimum: 1, perSeconds: 10)
        for t in drill.schedule(cycles) {
            drill.sleepUntil(t)
            try drill.setReadOnly(true)
            _ = try drill.terminateAllButOurs()
            let from = try drill.serverNow()
            Thread.sleep(forTimeInterval: min(3, max(1, drill.s.duration / Double(2 * cycles + 1))))
            let until = try drill.serverNow()
            try drill.setReadOnly(false)
            windows.append((from, until))
        }
        let decidedWhileReadOnly = try drill.decided(within: windows)
        out["decided_while_read_only"] = decidedWhileReadOnly
        return windows.count
    }

    func check(_ drill: FaultDrill, rows: [PaymentRow], out: inout [String: Any]) throws -> Bool {
        let log = drill.daemonLogs()
        let logged = log.contains("read-only") || log.contains("25006")
        out["logged_read_only"] = logged
        return logged && (out["decided_while_read_only"] as? Int) == 0
    }
}

/// The tables every decision writes to on a small tmpfs that is filled to the last block and freed again
/// (needs root; see `FullDiskVolume`).
struct DiskFullDrill: DrillKind {
    static let name = "diskfull"
    static var unavailableReason: String? { FullDiskVolume.unavailableReason() }
    private var volume: FullDiskVolume?
    init(settings: DrillSettings) {}

    mutating func prepare(_ drill: FaultDrill, payments: Int, out: inout [String: Any]) throws {
        _ = try drill.lists.importLists(drill.control, excluding: [])
        // Room for the drill's hits and audit rows, and some slack: the ballast takes the rest.
        let megabytes = 32 + payments * 8 / 1024
        let v = try FullDiskVolume(control: drill.control, megabytes: megabytes)
        volume = v
        try v.moveDecisionTables(drill.control)
        out["volume_mb"] = megabytes
    }

    mutating func inject(_ drill: FaultDrill, out: inout [String: Any]) throws -> Int {
        guard let volume else { throw BenchFailure("no volume") }
        var windows: [(String, String)] = []
        var ballast = 0
        let cycles = drill.faultCount(minimum: 1, perSeconds: 10)
        for t in drill.schedule(cycles) {
            drill.sleepUntil(t)
            let from = try drill.serverNow()
            ballast = max(ballast, try volume.fill())
            let end = Date().addingTimeInterval(min(3, max(1, drill.s.duration / Double(2 * cycles + 1))))
            // PostgreSQL frees space of its own (truncation, a rolled-back extension): keep it full.
            while Date() < end {
                Thread.sleep(forTimeInterval: 0.05)
                try volume.fill()
            }
            volume.free()
            windows.append((from, try drill.serverNow()))
        }
        // Not necessarily 0: a decision whose rows fit in pages already allocated needs no new space.
        out["decided_while_full"] = try drill.decided(within: windows)
        out["ballast_mb"] = ballast >> 20
        return windows.count
    }

    func check(_ drill: FaultDrill, rows: [PaymentRow], out: inout [String: Any]) throws -> Bool {
        let refusals = drill.daemonLogs().components(separatedBy: "out of disk space").count - 1
        out["logged_disk_full"] = refusals
        let problems = volume?.tearDown(drill.control) ?? []
        out["teardown_problems"] = problems
        return refusals > 0 && problems.isEmpty
    }

    func tearDown(_ drill: FaultDrill) { volume?.tearDown(drill.control) }
}

/// Garbage and XML bombs among the payments: each must be held as unparseable while the rest flows.
struct GarbageDrill: DrillKind {
    static let name = "garbage"
    private var count = 0
    init(settings: DrillSettings) {}

    mutating func payment(_ i: Int, _ generator: inout PaymentGenerator) -> PaymentRow? {
        guard generator.chance(0.1) else { return nil }
        count += 1
        return generator.garbage(ref: "G-\(i)")
    }

    mutating func inject(_ drill: FaultDrill, out: inout [String: Any]) throws -> Int { count }

    func check(_ drill: FaultDrill, rows: [PaymentRow], out: inout [String: Any]) throws -> Bool {
        let unparseable = try drill.count("""
            SELECT count(*) FROM chokepoint.payments WHERE external_ref LIKE 'G-%' AND status = 'held' AND 'unparseable' = ANY(reasons)
            """)
        out["garbage"] = count
        out["garbage_held_unparseable"] = unparseable
        return unparseable == count
    }
}
