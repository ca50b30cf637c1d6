import ArgumentParser
import Daemon
import Foundation
import Harness
import Logging
import Postgres
import Screening

/// A daemon whose screener crashes the process on one marker, for the poison-message drill: the test
/// restarts it as systemd would and checks that the poison ends held and everything else flows.
struct PoisonDaemonCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "poison-daemon",
        abstract: "Run the daemon's workers in process with a screener that crashes on messages containing --marker; exits 0 once nothing is pending.")

    @Option(name: .customLong("database-url"), help: "A migrated database.") var databaseURL: String
    @Option(help: "Messages containing this text crash the process while being screened.") var marker: String
    @Option(help: "Worker threads.") var workers: Int = 1
    @Option(help: "Payments per claim transaction.") var batchSize: Int = 50

    func run() async throws {
        var config = DaemonConfiguration(conninfo: databaseURL)
        config.workers = workers
        config.batchSize = batchSize
        config.pollInterval = 0.05
        var logger = Logger(label: "poison")
        logger.logLevel = .critical
        let marker = self.marker
        let daemon = Daemon(config: config, loader: { _ in (CrashOnMarker(marker: marker), "{}", nil) }, logger: logger)
        let c = try Connection(conninfo: databaseURL)
        async let running: Void = daemon.run()
        while true {
            try await Task.sleep(for: .milliseconds(50))
            if try c.query("SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'").scalar == "0" { break }
        }
        daemon.requestShutdown()
        try await running
    }
}

/// Crashes the whole process, as a parser bug would, when a message contains the marker.
struct CrashOnMarker: PaymentScreener {
    let marker: String
    func screen(format: String, message: String) -> Decision {
        if message.contains(marker) { fatalError("poison drill: crashing on the marker") }
        return BasicScreener().screen(format: format, message: message)
    }
}
