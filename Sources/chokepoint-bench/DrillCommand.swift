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

    static var kinds: [String] { drillKinds.map { $0.name } }

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
        for drill in drillKinds where kind == "all" || drill.name == kind {
            let k = drill.name
            if kind == "all", let why = drill.unavailableReason {
                // Asked for by name it fails with this reason; as part of "all" it is reported as skipped.
                progress("drill \(k) skipped: \(why)")
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
