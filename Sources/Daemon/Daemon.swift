import Foundation
import Logging
import Postgres
import Screening
import ServiceLifecycle
import Store
import Synchronization

/// Settings of `chokepoint run`.
public struct DaemonConfiguration: Sendable {
    public var conninfo: String
    public var workers: Int = 2
    public var batchSize: Int = WorkerConfiguration.defaultBatchSize
    /// Message bytes per batch (see `WorkerConfiguration.batchBytes`).
    public var batchBytes: Int = WorkerConfiguration.defaultBatchBytes
    public var pollInterval: Double = 1.0
    /// How long shutdown waits for workers to finish the batch in hand (systemd's TimeoutStopSec must be larger).
    public var drainTimeout: Double = 20
    /// LISTEN for wake-ups. Off, the daemon relies on polling alone (e.g. behind a transaction-pooling
    /// proxy, where LISTEN does not work).
    public var listen: Bool = true
    /// Seconds between samples of queue depth and list ages (metrics and status line).
    public var probeInterval: Double = 5
    /// Seconds between checks that the monthly partitions of the coming months exist (and at start).
    public var partitionUpkeepInterval: Double = 3600
    /// See `WorkerConfiguration.recordScreeningKeys`.
    public var recordScreeningKeys = false
    public init(conninfo: String) { self.conninfo = conninfo }
}


/// The daemon: listener, workers and list reloads, as one service of swift-service-lifecycle.
///
/// Start-up order: check the schema version, start listening, load the lists, start the workers, then
/// tell systemd READY. On graceful shutdown (SIGTERM/SIGINT through ServiceGroup) it stops claiming,
/// lets each worker finish its batch within `drainTimeout`, and returns.
public final class Daemon: Service, Sendable {
    public static let paymentsChannel = "chokepoint_payments"
    public static let listsChannel = "chokepoint_lists"

    private let config: DaemonConfiguration
    private let loader: ScreenerLoader
    private let logger: Logger
    public let stats = WorkerStats()
    public let screeners: ScreenerHolder
    private let reloadRequested = Atomic<Bool>(false)
    private let shutdownRequested = Atomic<Bool>(false)
    private let notifier: SystemdNotifier
    private let listenerPID = Atomic<Int32>(0)
    /// Set just before the start-up load of the lists. A listener (re)connection before it needs no load of its
    /// own: the start-up load comes after LISTEN, so it sees every list change that no notification will announce.
    private let startupLoadBegun = Atomic<Bool>(false)

    public init(config: DaemonConfiguration, loader: @escaping ScreenerLoader, logger: Logger,
                notifier: SystemdNotifier = SystemdNotifier()) {
        self.config = config
        self.loader = loader
        self.logger = logger
        self.notifier = notifier
        self.screeners = ScreenerHolder(ListsUnavailableScreener())
    }

    /// The backend pid of the LISTEN connection (for drills).
    public var listenerBackendPID: Int32 { listenerPID.load(ordering: .relaxed) }

    /// Requests a graceful stop from outside the service group (tests).
    public func requestShutdown() { shutdownRequested.store(true, ordering: .relaxed) }

    public func run() async throws {
        let conninfo = config.conninfo
        // A schema that is not the one this build needs stops the daemon at once; a connection lost while
        // checking (the server restarting, an administrator's pg_terminate_backend) is tried again a few
        // times first, as the workers' connections are.
        var attempt = 0
        while true {
            attempt += 1
            do {
                try await onDedicatedThread(name: "chokepoint-schema-check") {
                    let c = try Connection(conninfo: conninfo)
                    defer { c.close() }
                    try Migrator.checkCurrent(c)
                }
                break
            } catch let error as PostgresError where error.kind == .connection && attempt < 5 {
                logger.warning("checking the schema failed; trying again", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(500 * attempt))
            }
        }
        await keepPartitionsAhead()

        let wake = WakeSignal(waiters: config.workers)
        let listener = NotificationListener(conninfo: conninfo, channels: [Self.paymentsChannel, Self.listsChannel], logger: logger) {
            [self, logger] event in
            switch event {
            case .notification(let n):
                if n.channel == Self.listsChannel { self.reloadRequested.store(true, ordering: .relaxed) } else { wake.signal() }
            case .reconnected(let pid):
                // Anything sent while we were not listening is lost: look at the table and the lists again, unless
                // the start-up load is still to come (it reads the lists after this LISTEN). The flag is read before
                // the pid is published, and start-up sets it only after seeing the pid or giving up waiting for it,
                // so either this connection's load is the start-up one or a reload is requested, never neither.
                if self.startupLoadBegun.load(ordering: .sequentiallyConsistent) {
                    self.reloadRequested.store(true, ordering: .relaxed)
                }
                self.listenerPID.store(pid, ordering: .sequentiallyConsistent)
                logger.info("listening for payments and list changes", metadata: ["backend_pid": "\(pid)"])
                wake.signal()
            case .connectionLost:
                self.listenerPID.store(0, ordering: .relaxed)
            }
        }
        if config.listen {
            listener.start()
            // The lists are loaded once LISTEN is in place: loading them first, and again because the listener's
            // first connection may have missed a change, built every screener twice at start-up (about a second
            // of both cores, while the first payments waited). A listener that cannot connect within a few
            // seconds does not hold start-up back: its connection, when it comes, then asks for a reload.
            await waitDuringStartup(seconds: 5) { self.listenerPID.load(ordering: .sequentiallyConsistent) != 0 }
        }
        startupLoadBegun.store(true, ordering: .sequentiallyConsistent)
        if !(await reload()) {
            // Tried once more by the main loop (as the listener's first connection used to make it do): until a load
            // succeeds the workers hold every payment as lists_unavailable.
            reloadRequested.store(true, ordering: .relaxed)
        }

        var wc = WorkerConfiguration(conninfo: conninfo)
        wc.batchSize = config.batchSize
        wc.batchBytes = config.batchBytes
        wc.pollInterval = config.pollInterval
        // Without LISTEN the daemon may sit behind a transaction-pooling proxy: no prepared statements there.
        wc.prepareStatements = config.listen
        wc.recordScreeningKeys = config.recordScreeningKeys
        let workers = (0..<config.workers).map {
            Worker(id: $0, config: wc, screeners: screeners, wake: wake, stats: stats, logger: logger) { [self] in
                self.reloadRequested.store(true, ordering: .relaxed)
            }
        }
        workers.forEach { $0.start() }
        // Ready once every worker's connections have run the batch's statements (`PaymentStore.warmUp`, milliseconds),
        // so that READY=1 means payments are decided at full speed; a database that does not answer within the
        // bound does not hold start-up back (the workers keep trying, as before).
        await waitDuringStartup(seconds: 10) { self.stats.workersWarmedUp.load(ordering: .relaxed) >= self.config.workers }
        let probe = QueueProbe(conninfo: conninfo, interval: config.probeInterval, logger: logger)
        probe.start()
        notifier.ready(status: "screening with \(config.workers) workers")
        logger.info("chokepoint daemon ready", metadata: ["workers": "\(config.workers)", "batch_size": "\(config.batchSize)"])

        let watchdog = SystemdNotifier.watchdogInterval()
        var lastPing = Date.distantPast
        var lastStatus = Date()
        var lastUpkeep = Date()
        await withGracefulShutdownHandler {
            while !shutdownRequested.load(ordering: .relaxed) && !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(100))
                if reloadRequested.exchange(false, ordering: .relaxed) {
                    await reload()
                }
                // Ping the watchdog only while the workers' loop is alive.
                if let watchdog, Date().timeIntervalSince(lastPing) >= watchdog / 3,
                   stats.secondsSinceHeartbeat < max(watchdog, config.pollInterval * 3 + 40) {
                    notifier.watchdog()
                    lastPing = Date()
                }
                if Date().timeIntervalSince(lastUpkeep) >= config.partitionUpkeepInterval {
                    lastUpkeep = Date()
                    await keepPartitionsAhead()
                }
                if Date().timeIntervalSince(lastStatus) >= 10 {
                    lastStatus = Date()
                    let line = "released \(stats.released.load(ordering: .relaxed)), held \(stats.held.load(ordering: .relaxed)), pending \(probe.lastPending.load(ordering: .relaxed)), reconnects \(stats.reconnects.load(ordering: .relaxed))"
                    notifier.status(line)
                }
            }
        } onGracefulShutdown: { [self] in
            self.shutdownRequested.store(true, ordering: .relaxed)
        }

        notifier.stopping(status: "finishing batches in hand")
        logger.info("shutting down: no new claims; finishing batches in hand")
        workers.forEach { $0.requestStop() }
        let drain = config.drainTimeout
        let allJoined = try await onDedicatedThread(name: "chokepoint-drain") {
            workers.allSatisfy { $0.join(timeout: drain) }
        }
        if config.listen { try await onDedicatedThread(name: "chokepoint-listener-stop") { listener.stop() } }
        try await onDedicatedThread(name: "chokepoint-probe-stop") { probe.stop() }
        if !allJoined { logger.error("a worker did not finish within the drain timeout; its transaction rolls back") }
        logger.info("chokepoint daemon stopped", metadata: [
            "released": "\(stats.released.load(ordering: .relaxed))", "held": "\(stats.held.load(ordering: .relaxed))"])
    }

    /// Waits until `done` holds, at most `seconds`, or until shutdown is asked for: a start-up step that does not hold
    /// start-up back for longer (what it waits for keeps going on its own).
    private func waitDuringStartup(seconds: Int, until done: () -> Bool) async {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while !done() && ContinuousClock.now < deadline && !shutdownRequested.load(ordering: .relaxed) && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Creates the monthly partitions of the coming months where missing. A failure is logged, not fatal:
    /// `migrate` made months ahead, and a payment whose month has no partition is refused, never lost.
    private func keepPartitionsAhead() async {
        let conninfo = config.conninfo
        do {
            let created = try await onDedicatedThread(name: "chokepoint-partitions") {
                let c = try Connection(conninfo: conninfo)
                defer { c.close() }
                return try Partitions.ensure(c)
            }
            if created > 0 { logger.info("monthly partitions created", metadata: ["partitions": "\(created)"]) }
        } catch {
            logger.error("creating the coming months' partitions failed", metadata: ["error": "\(error)"])
        }
    }

    /// Loads lists in the background and swaps the new screener in; on failure keeps the one in force. Returns
    /// whether the load succeeded.
    @discardableResult
    private func reload() async -> Bool {
        let loader = self.loader, conninfo = config.conninfo
        let started = Date()
        do {
            let (screener, versions, generation) = try await onDedicatedThread(name: "chokepoint-reload") {
                let c = try Connection(conninfo: conninfo)
                defer { c.close() }
                return try loader(c)
            }
            screeners.replace(screener, listVersions: versions, policyGeneration: generation)
            logger.info("screening lists loaded", metadata: [
                "list_versions": "\(versions)", "seconds": "\(String(format: "%.3f", Date().timeIntervalSince(started)))"])
            return true
        } catch {
            logger.error("loading screening lists failed; keeping the lists in force", metadata: ["error": "\(error)"])
            return false
        }
    }
}
