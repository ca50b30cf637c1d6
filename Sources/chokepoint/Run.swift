import ArgumentParser
import Daemon
import Foundation
import Logging
import ServiceLifecycle
import Store

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the screening daemon (systemd Type=notify): claim, screen and decide pending payments.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Worker threads, each with its own connection.")
    var workers: Int = 2

    @Option(help: "Payments claimed per transaction, at most (after the queue ran dry a worker claims \(ClaimSizer.firstClaim) first and doubles while its claims come back full).")
    var batchSize: Int = WorkerConfiguration.defaultBatchSize

    @Option(help: "Message bytes claimed per transaction (a batch stops at this many bytes; its first message always counts in).")
    var batchBytes: Int = WorkerConfiguration.defaultBatchBytes

    @Option(help: "Seconds between polls when no notification arrives (the fallback for lost notifications).")
    var pollInterval: Double = 1.0

    @Option(help: "Seconds to let batches in hand finish on shutdown.")
    var drainTimeout: Double = 20

    @Option(help: "Serve Prometheus metrics on this TCP port (GET /metrics); off when not given.")
    var metricsPort: Int?

    @Option(help: "Address for the metrics endpoint.")
    var metricsAddress: String = "127.0.0.1"

    @Flag(inversion: .prefixedNo, help: "LISTEN for wake-ups (off: poll only, e.g. behind a transaction-pooling proxy).")
    var listen = true

    @Flag(help: "Store each decided payment's rescreen prefilter keys now (costs about twice the screening per payment); by default the next rescreen stores them.")
    var screeningKeys = false

    func validate() throws {
        if let metricsPort, !(1...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be 1-65535") }
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be between 1 and 64") }
        guard (1...10_000).contains(batchSize) else { throw ValidationError("--batch-size must be between 1 and 10000") }
        guard (1024...(1 << 30)).contains(batchBytes) else { throw ValidationError("--batch-bytes must be between 1024 and 1073741824") }
        guard pollInterval > 0 && pollInterval <= 60 else { throw ValidationError("--poll-interval must be in (0, 60]") }
    }

    func run() async throws {
        LogSetup.bootstrap()
        let logger = Logger(label: "chokepoint")
        var config = DaemonConfiguration(conninfo: database.conninfo)
        config.workers = workers
        config.batchSize = batchSize
        config.batchBytes = batchBytes
        config.pollInterval = pollInterval
        config.drainTimeout = drainTimeout
        config.listen = listen
        config.recordScreeningKeys = screeningKeys
        let daemon = Daemon(config: config, loader: ScreenerLoading.loader(logger: logger), logger: logger)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: daemon)]
        if let metricsPort {
            // After the daemon in the group, so on shutdown it stops first and the daemon drains last.
            let registry = DaemonMetrics.bootstrapPrometheus()
            let address = metricsAddress
            services.append(.init(service: MetricsEndpoint.application(registry: registry, address: address, port: metricsPort, logger: logger) { port in
                logger.info("metrics on http://\(address):\(port)/metrics")
            }))
        }
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch let error as MigrationError {
            logger.critical("refusing to start: \(error)")
            throw ExitCode(ExitStatus.unmigrated.rawValue)
        } catch {
            logger.critical("daemon failed: \(error)")
            throw ExitCode(ExitStatus.failure.rawValue)
        }
    }
}
