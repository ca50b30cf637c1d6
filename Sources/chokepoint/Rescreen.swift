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

            Only one rescreen runs at a time: a second one exits at once (status 1) saying which run is working. \
            A run that was killed is continued by the next invocation from where it stopped.
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

    func validate() throws {
        if let since {
            guard since.wholeMatch(of: /\d{4}-\d{2}-\d{2}/) != nil else { throw ValidationError("--since must be a date YYYY-MM-DD") }
            if all { throw ValidationError("--since and --all exclude each other") }
        }
        if let workers, workers < 1 || workers > 64 { throw ValidationError("--workers must be between 1 and 64") }
        if batchSize < 1 || batchSize > 100_000 { throw ValidationError("--batch-size must be between 1 and 100000") }
    }

    func run() async throws {
        LogSetup.bootstrap()
        var config = RescreenConfiguration(conninfo: database.conninfo)
        config.since = since
        config.all = all
        config.forceFull = full
        if let workers { config.workers = workers }
        config.batchSize = batchSize
        config.onProgress = RescreenProgressLine.onTerminal
        let rescreener = Rescreener(config: config, logger: Logger(label: "chokepoint.rescreen"))
        do {
            let s = try await onDedicatedThread(name: "chokepoint-rescreen") { try rescreener.run() }
            print("""
                rescreen run \(s.runId)\(s.resumed ? " (continued after an interruption)" : ""): mode \(s.mode)\
                \(s.deltaEntries.map { " (\($0) new or changed entries)" } ?? "")
                  payments screened:          \(s.paymentsScreened)\(s.mode == "delta" ? " (\(s.paymentsScreenedInFull) in full: no usable baseline)" : "")
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
