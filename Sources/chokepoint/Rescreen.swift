import ArgumentParser
import Daemon
import Foundation
import Logging
import Postgres
import Rescreen
import Store

/// `chokepoint rescreen`: the nightly batch of contract section 5.
struct Rescreen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-screen stored payments against the current lists (the nightly batch).",
        discussion: """
            Screens payments pending or held, and payments released within the look-back (90 days unless \
            --since or --all), against the current lists. A new hit on a released payment becomes a row of \
            chokepoint.retrospective_alerts (see the view chokepoint.open_retrospective_alerts; operators call \
            chokepoint.acknowledge_alert(id, reason)); the payment itself never changes. A new hit on a pending \
            or held payment is added to its hits.

            Delta mode (the default when possible) screens each payment only against the list entries that are \
            new or changed since it was last screened; --full screens against everything.

            One run at a time, shared by every process that starts while it works (one per host, each from its \
            own timer): they take its id ranges under a lease, and the last one marks the run finished and prints \
            its summary. A process whose lists or options differ from the run in progress does nothing and exits \
            with status 1. A range whose process was killed is taken over by another once its lease expires; a \
            run nobody works on any more is continued by the next invocation from where it stopped.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Look-back for released payments: those decided on or after this date (YYYY-MM-DD). Default: 90 days.")
    var since: String?
    @Flag(help: "Re-screen every stored released payment, however old.")
    var all = false
    @Flag(help: "Screen against the whole lists even when delta mode is possible.")
    var full = false
    @Option(help: "Worker threads, each with its own database connection. Default: the number of cores.")
    var workers: Int?
    @Option(help: "Payments read per page.")
    var batchSize: Int = RescreenConfiguration.defaultBatchSize
    @Option(help: "Seconds a range stays this process's without a batch commit; then another process may take it over.")
    var leaseSeconds: Double = RescreenConfiguration.defaultLeaseSeconds

    func validate() throws {
        if let since {
            guard since.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil else { throw ValidationError("--since must be a date YYYY-MM-DD") }
            if all { throw ValidationError("--since and --all exclude each other") }
        }
        if let workers, workers < 1 || workers > 64 { throw ValidationError("--workers must be between 1 and 64") }
        if batchSize < 1 || batchSize > 100_000 { throw ValidationError("--batch-size must be between 1 and 100000") }
        if !(leaseSeconds >= 1 && leaseSeconds <= 3600) { throw ValidationError("--lease-seconds must be between 1 and 3600") }
    }

    func run() async throws {
        LogSetup.bootstrap()
        var config = RescreenConfiguration(conninfo: database.conninfo)
        config.since = since
        config.all = all
        config.forceFull = full
        if let workers { config.workers = workers }
        config.batchSize = batchSize
        config.leaseSeconds = leaseSeconds
        config.onProgress = RescreenProgressLine.onTerminal
        let rescreener = Rescreener(config: config, logger: Logger(label: "chokepoint.rescreen"))
        do {
            let s = try await onDedicatedThread(name: "chokepoint-rescreen") { try rescreener.run() }
            if !s.finishedHere {
                print("""
                    rescreen run \(s.runId): finished by \(s.finishedBy), which printed its summary; this process \(s.participation.rawValue) \
                    it and screened \(s.screenedHere) of its payments
                    """)
                return
            }
            let how = switch s.participation {
            case .created: ""
            case .joined: " (joined while other processes worked on it)"
            case .resumed: " (continued after an interruption)"
            }
            print("""
                rescreen run \(s.runId)\(how): mode \(s.mode)\
                \(s.deltaEntries.map { " (\($0) new or changed entries)" } ?? "")
                  payments screened:          \(s.paymentsScreened)\(s.mode == "delta" ? " (\(s.paymentsScreenedInFull) in full: no usable baseline)" : "")\
                \(s.screenedHere == s.paymentsScreened ? "" : " (\(s.screenedHere) by this process)")
                  new retrospective alerts:   \(s.newAlerts)
                  new hits on held/pending:   \(s.newHits)
                  seconds:                    \(String(format: "%.1f", s.seconds))
                """)
        } catch let e as PostgresError where e.kind == .connection {
            try fail(.databaseUnreachable, "cannot connect to PostgreSQL: \(e.message)")
        } catch let e as MigrationError {
            try fail(.unmigrated, "\(e)")
        } catch let e as RescreenError {
            try fail(.failure, "\(e)")
        }
    }

    private func fail(_ code: ExitStatus, _ message: String) throws -> Never {
        FileHandle.standardError.write(Data(("chokepoint: " + message + "\n").utf8))
        throw ExitCode(code.rawValue)
    }
}
