import Foundation
import Logging
import Metrics
import Postgres
import Screening
import Store
import Synchronization

/// Settings of the claim → screen → decide loop.
public struct WorkerConfiguration: Sendable {
    public var conninfo: String
    /// The defaults, written once: the daemon's configuration, `chokepoint run` and the benchmarks use these.
    public static let defaultBatchSize = 500
    public static let defaultBatchBytes = 16 << 20

    /// Payments claimed per transaction, at most: after the queue ran dry a worker claims fewer first and doubles
    /// while its claims come back full (`ClaimSizer`).
    public var batchSize: Int = defaultBatchSize
    /// Message bytes claimed per transaction (the first message of a batch always counts in): with
    /// messages of up to `max_message_bytes` each, a batch by count alone could hold gigabytes.
    public var batchBytes: Int = defaultBatchBytes
    /// The polling fallback: how long a worker sleeps without a wake-up before looking again.
    public var pollInterval: Double = 1.0
    /// Bound on one claim/decide statement, so a stuck server never holds a batch forever.
    public var statementTimeoutMs: Int = 30_000
    public var host: String = ProcessInfo.processInfo.hostName
    /// Prepare the claim and decide statements once per connection (off behind a transaction-pooling proxy).
    public var prepareStatements = true
    /// Compute and store each decided payment's rescreen prefilter keys (`chokepoint run --screening-keys`).
    /// Off by default: the keys cost about twice the screening itself per payment, and the nightly rescreen
    /// stores the keys of the payments it reads without them (the day's payments), off the decision path.
    public var recordScreeningKeys = false
    public init(conninfo: String) { self.conninfo = conninfo }
}

/// Counters shared by the workers, for status lines, metrics and the watchdog.
public final class WorkerStats: Sendable {
    public let released = Atomic<Int>(0)
    public let held = Atomic<Int>(0)
    public let batches = Atomic<Int>(0)
    public let reconnects = Atomic<Int>(0)
    public let errors = Atomic<Int>(0)
    /// Monotonic seconds of the last completed loop iteration of any worker (the watchdog's heartbeat).
    public let heartbeat = Atomic<UInt64>(0)
    /// Workers whose first connections have run the batch's statements once (`PaymentStore.warmUp`).
    public let workersWarmedUp = Atomic<Int>(0)
    public init() {}

    func beat() { heartbeat.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed) }

    /// Seconds since the last heartbeat.
    public var secondsSinceHeartbeat: Double {
        let last = heartbeat.load(ordering: .relaxed)
        guard last > 0 else { return .infinity }
        return Double(DispatchTime.now().uptimeNanoseconds &- last) / 1e9
    }
}

/// One worker: a dedicated thread that owns one connection and runs the claim → decide loop.
///
/// Each batch is one transaction: lock up to `batchSize` pending payments with SKIP LOCKED, screen them
/// (microseconds each, so locks are held briefly), record every decision guarded by `status = 'pending'`,
/// commit. If the connection dies mid-batch the transaction rolls back and the payments stay pending for
/// the next claim: nothing is lost and nothing is decided twice.
public final class Worker: Sendable {
    private let id: Int
    private let config: WorkerConfiguration
    private let screeners: ScreenerHolder
    private let wake: WakeSignal
    private let stats: WorkerStats
    private let logger: Logger
    private let thread: ConnectionThread
    private let requestReload: @Sendable () -> Void

    /// Thrown inside a batch whose claim saw newer policy than the screener in hand: the batch rolls back.
    struct StalePolicy: Error {}

    /// A payment whose screening has been started this many times without a decision (the daemon died
    /// each time) is held as `screening_error` without being screened again.
    public static let poisonAttempts = 4
    /// Messages larger than this are screened with the worker's workspace, which is then replaced (see `screen`).
    static let largeMessageBytes = 256 << 10

    public init(id: Int, config: WorkerConfiguration, screeners: ScreenerHolder, wake: WakeSignal, stats: WorkerStats, logger: Logger,
                requestReload: @escaping @Sendable () -> Void = {}) {
        self.requestReload = requestReload
        self.thread = ConnectionThread(name: "chokepoint-worker-\(id)")
        self.id = id
        self.config = config
        self.screeners = screeners
        self.wake = wake
        self.stats = stats
        var l = logger
        l[metadataKey: "worker"] = "\(id)"
        self.logger = l
    }

    public func start() {
        thread.start { [self] in self.loop() }
    }

    /// Asks the worker to stop claiming; it finishes the batch in hand.
    public func requestStop() {
        thread.requestStop()
        wake.signal()
    }

    /// Waits until the worker thread has exited, at most `timeout` seconds; returns false on timeout.
    public func join(timeout: Double) -> Bool {
        thread.join(timeout: timeout)
    }

    private var stopping: Bool { thread.isStopping }

    private func loop() {
        var connection: Connection?
        // Second connection: attempt records must commit at once, outside the batch transaction.
        var attemptsConnection: Connection?
        var backoff = Backoff(initial: 0.05, maximum: 5)
        var runGeneration = -1
        var runId: Int64 = 0
        var counters: [String: Metrics.Counter] = [:]
        // The poison-message bookkeeping (see `AttemptLedger`): this loop only carries out what it says.
        var ledger = AttemptLedger(poisonAttempts: Self.poisonAttempts)
        // This worker's screening workspace, reused from payment to payment and across list reloads (its remembered
        // typo hits are kept per list index, so a reloaded list starts its own).
        var workspace = ScreeningWorkspace()
        var sizer = ClaimSizer(batchSize: config.batchSize)
        var warmedUpOnce = false
        while !stopping {
            stats.beat()
            do {
                if connection == nil || !(connection!.isConnected) || attemptsConnection == nil || !(attemptsConnection!.isConnected) {
                    connection?.close()
                    connection = nil
                    attemptsConnection?.close()
                    let ac = try Connection(conninfo: config.conninfo)
                    // An attempt record lost in a PostgreSQL crash only delays poison detection by one more
                    // daemon crash, so it need not wait for the WAL flush; a daemon crash never loses it.
                    try ac.query("SELECT set_config('synchronous_commit', 'off', false)")
                    try ac.query("SELECT set_config('application_name', $1, false)", ["chokepoint-worker-\(id)-attempts"])
                    ac.preparesStatements = config.prepareStatements
                    attemptsConnection = ac
                    let c = try Connection(conninfo: config.conninfo)
                    c.preparesStatements = config.prepareStatements
                    if config.prepareStatements {
                        // A custom plan for the claim looks cheaper than the generic one (LIMIT $1 is unknown to
                        // the latter), so PostgreSQL would plan it again for every batch, over every partition.
                        // Only named statements are affected: the unnamed ones of `query` are always planned anew.
                        try c.query("SELECT set_config('plan_cache_mode', 'force_generic_plan', false)")
                    }
                    try c.query("SELECT set_config('statement_timeout', $1, false)", [String(config.statementTimeoutMs)])
                    try c.query("SELECT set_config('idle_in_transaction_session_timeout', $1, false)", [String(config.statementTimeoutMs * 2)])
                    try c.query("SELECT set_config('application_name', $1, false)", ["chokepoint-worker-\(id)"])
                    connection = c
                    runGeneration = -1
                    do {
                        try PaymentStore.warmUp(c, attempts: ac)
                    } catch {
                        // Only the first batch's speed depends on it: that batch meets any real fault itself.
                        logger.warning("warming up the new connections failed; the first batch plans its statements itself",
                                       metadata: ["error": "\(error)"])
                    }
                    if !warmedUpOnce {
                        warmedUpOnce = true
                        stats.workersWarmedUp.add(1, ordering: .relaxed)
                    }
                    if backoff.failures > 0 {
                        stats.reconnects.add(1, ordering: .relaxed)
                        DaemonMetrics.reconnects.increment()
                        logger.info("database connection restored")
                    }
                }
                try forgive(&ledger, on: attemptsConnection)
                let c = connection!
                let current = screeners.current
                if current.generation != runGeneration {
                    runId = try PaymentStore.startRun(c, kind: "daemon", host: config.host, pid: getpid(), listVersions: current.listVersions)
                    runGeneration = current.generation
                }
                let claimed: Int
                var suspects: [Int64] = []
                do {
                    claimed = try processBatch(c, sizer: sizer, attempts: attemptsConnection!, screener: current.screener,
                                               policyGeneration: current.policyGeneration, runId: runId,
                                               counters: &counters, suspects: &suspects, ledger: &ledger, workspace: &workspace)
                    // Payments seen before without a decision: each alone, so a poison message can only take itself down.
                    for id in suspects where !stopping {
                        do {
                            try processSingle(c, attempts: attemptsConnection!, id: id, screener: current.screener, runId: runId,
                                              ledger: &ledger, workspace: &workspace)
                        } catch let e as PostgresError where !e.isTransient && c.isConnected {
                            // The database refuses this payment alone (not an outage): it stays pending with its
                            // attempt counted, and the suspects after it still get their turn.
                            ledger.failed(transient: false)
                            logger.warning("payment refused by the database when screened alone; left pending",
                                           metadata: ["payment_id": "\(id)", "error": "\(e)"])
                        }
                    }
                } catch is StalePolicy {
                    // Lists or policy changed after our screener was built: never screen with the old one.
                    requestReload()
                    let waitFrom = current.generation
                    let deadline = Date().addingTimeInterval(2)
                    while !stopping && screeners.current.generation == waitFrom && Date() < deadline {
                        Thread.sleep(forTimeInterval: 0.005)
                    }
                    continue
                }
                backoff.reset()
                // A full claim has already passed the wake-up on (`processBatch`).
                if sizer.claimed(claimed) && !stopping {
                    wake.wait(timeout: config.pollInterval)
                }
            } catch {
                stats.errors.add(1, ordering: .relaxed)
                DaemonMetrics.batchErrors.increment()
                let transient = (error as? PostgresError)?.isTransient ?? false
                ledger.failed(transient: transient)
                // The batch's payments are pending again: another worker may take them while this one backs off.
                wake.signal()
                // An attempt record sent and not collected (the batch failed before): its result is read first.
                if attemptsConnection?.awaitingResult == true { _ = try? attemptsConnection?.collect() }
                try? forgive(&ledger, on: attemptsConnection)
                if transient || !(connection?.isConnected ?? false) || !(attemptsConnection?.isConnected ?? false) {
                    connection?.close()
                    connection = nil
                    attemptsConnection?.close()
                    attemptsConnection = nil
                }
                let delay = backoff.nextDelay(unit: Double.random(in: 0..<1))
                var metadata: Logger.Metadata = ["error": "\(error)", "retry_in_s": "\(String(format: "%.2f", delay))"]
                if let cause = (error as? PostgresError)?.condition { metadata["cause"] = "\(cause)" }
                logger.warning("batch failed; retrying", metadata: metadata)
                thread.sleep(delay)
            }
        }
        if !ledger.toForgive.isEmpty {
            // Stopping during an outage is not a crash either: one last try, on a fresh connection if need be.
            let fresh = attemptsConnection?.isConnected == true ? nil : try? Connection(conninfo: config.conninfo)
            try? forgive(&ledger, on: fresh ?? attemptsConnection)
            fresh?.close()
        }
        if let c = connection, runId > 0 {
            try? PaymentStore.finishRun(c, runId: runId)
        }
        connection?.close()
        attemptsConnection?.close()
        logger.debug("worker stopped")
    }

    /// One transaction: claim, screen, record. Returns how many payments were claimed; payments whose
    /// screening was started before without a decision are left pending in `suspects`, to be screened alone.
    private func processBatch(_ c: Connection, sizer: ClaimSizer, attempts attemptsConnection: Connection, screener: any PaymentScreener,
                              policyGeneration: Int64?, runId: Int64, counters: inout [String: Metrics.Counter],
                              suspects: inout [Int64], ledger: inout AttemptLedger,
                              workspace: inout ScreeningWorkspace) throws -> Int {
        let batchStart = DispatchTime.now().uptimeNanoseconds
        var found: [Int64] = []
        let count = try c.transaction { c in
            let claim = try PaymentStore.claimWithGeneration(c, limit: sizer.limit, maxBytes: config.batchBytes)
            let (claimed, seen) = (claim.payments, claim.policyGeneration)
            if claimed.isEmpty { return 0 }
            if sizer.isFull(claimed.count + claim.deferred) {
                // More may be waiting than this worker took: pass the wake-up on at once (a notification wakes one
                // worker), so that another worker claims its share of a burst while this one screens.
                wake.signal()
            }
            if let mine = policyGeneration, let seen, seen > mine { throw StalePolicy() }
            let ids = claimed.map(\.id)
            // The usual batch has no payment seen before: each one's count will be 1 (the claim's row locks keep other
            // workers' attempt records out until this transaction ends), so the record is only sent, and the server
            // writes it while the batch is screened. Screening starts once the record is in the socket, so a crash
            // while screening still counts. A batch with a payment seen before waits for the counts, which decide
            // what is set aside or held unscreened.
            // (The ledger takes a payment missing from `counts` as at 1.)
            let overlapped = claimed.allSatisfy { $0.attemptsBefore == 0 }
            if overlapped { try PaymentStore.sendScreeningStarted(attemptsConnection, ids: ids) }
            let counts = overlapped ? [:] : try PaymentStore.noteScreeningStarted(attemptsConnection, ids: ids)
            let (verdicts, giveBack) = ledger.batchStarted(ids, counts: counts)
            var decisions: [(id: Int64, decision: Decision)] = []
            decisions.reserveCapacity(claimed.count)
            for (p, v) in zip(claimed, verdicts) {
                if v.verdict == .setAside {
                    found.append(p.id)
                    continue
                }
                let t0 = DispatchTime.now().uptimeNanoseconds
                decisions.append((p.id, screen(p, v.verdict, screener: screener, workspace: &workspace)))
                DaemonMetrics.screening.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - t0))
            }
            if overlapped {
                let earlier = try PaymentStore.collectScreeningStarted(attemptsConnection).keys.sorted()
                if !earlier.isEmpty {
                    // Another process's attempt record, sent just before it died, was written after this claim read
                    // none: these were screened in the batch and are suspects from now on (one crash later than
                    // if the claim had seen the record).
                    logger.warning("payments screened in a batch had an attempt recorded by a process that stopped meanwhile",
                                   metadata: ["payment_ids": "\(earlier.prefix(20).map(String.init).joined(separator: ","))"])
                }
            }
            // Set-aside payments are not screened in this batch: their attempt count must say how often screening
            // them really started, or an innocent payment that shared a batch with a poison would reach the limit.
            try PaymentStore.giveBackAttempts(attemptsConnection, ids: giveBack)
            var receivedAt: [Int64: String] = [:]
            for p in claimed { if let t = p.receivedAt { receivedAt[p.id] = t } }
            // The batch's last statement, with its COMMIT: it also clears the decided payments' attempt records.
            let decided = try PaymentStore.record(c, runId: runId, decisions: decisions, receivedAt: receivedAt, committing: true)
            var held = 0, released = 0
            for (id, d) in decisions where decided.contains(id) {
                if d.outcome == .hold { held += 1 } else { released += 1 }
                let key = d.outcome.rawValue + "|" + (d.reasons.first ?? "none")
                if counters[key] == nil { counters[key] = DaemonMetrics.decided(decision: d.outcome.rawValue, reason: d.reasons.first ?? "none") }
                counters[key]!.increment()
                if d.outcome == .hold {
                    logger.info("payment held", metadata: ["payment_id": "\(id)", "reasons": "\(d.reasons.joined(separator: ","))"])
                }
            }
            stats.held.add(held, ordering: .relaxed)
            stats.released.add(released, ordering: .relaxed)
            stats.batches.add(1, ordering: .relaxed)
            DaemonMetrics.batch.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - batchStart))
            // Deferred payments count as claimed: the queue is not empty, so the worker claims again at once.
            return claimed.count + claim.deferred
        }
        ledger.committed()
        suspects = found
        if !found.isEmpty {
            logger.warning("payments whose screening was interrupted before; screening them one at a time",
                           metadata: ["payment_ids": "\(found.prefix(20).map(String.init).joined(separator: ","))", "count": "\(found.count)"])
        }
        return count
    }

    /// Forgives the attempts the ledger owes (see `AttemptLedger`) on `connection`, and tells it so once that
    /// succeeded; throws when it did not (nothing to do without a live connection).
    private func forgive(_ ledger: inout AttemptLedger, on connection: Connection?) throws {
        guard !ledger.toForgive.isEmpty, let c = connection, c.isConnected else { return }
        try PaymentStore.forgiveAttempts(c, ids: ledger.toForgive)
        ledger.forgiven()
    }

    /// Screens one payment in its own transaction (after it was seen in a batch that never finished).
    private func processSingle(_ c: Connection, attempts attemptsConnection: Connection, id: Int64,
                               screener: any PaymentScreener, runId: Int64, ledger: inout AttemptLedger,
                               workspace: inout ScreeningWorkspace) throws {
        try c.transaction { c in
            guard let p = try PaymentStore.claimOne(c, id: id) else { return }
            let n = try PaymentStore.noteScreeningStarted(attemptsConnection, ids: [id])[id] ?? 1
            let d = screen(p, ledger.aloneStarted(id, attempts: n), screener: screener, workspace: &workspace)
            try PaymentStore.record(c, runId: runId, decisions: [(id, d)], receivedAt: p.receivedAt.map { [id: $0] } ?? [:],
                                    committing: true)
            if d.outcome == .hold { stats.held.add(1, ordering: .relaxed) } else { stats.released.add(1, ordering: .relaxed) }
        }
        ledger.committed()
    }

    /// The screener's decision, unless this payment has already taken the daemon down too often.
    private func screen(_ p: ClaimedPayment, _ verdict: AttemptLedger.Verdict, screener: any PaymentScreener,
                        workspace: inout ScreeningWorkspace) -> Decision {
        if case .holdUnscreened(let attempts) = verdict {
            logger.error("payment held without screening: its screening was interrupted too often",
                         metadata: ["payment_id": "\(p.id)", "attempts": "\(attempts)"])
            return .failClosed(.screeningError, error: "screening this payment was interrupted \(attempts - 1) times (the daemon stopped each time); held without screening it again")
        }
        let d = screener.screen(format: p.format, message: p.message, recordingKeys: config.recordScreeningKeys, workspace: &workspace)
        // The workspace's buffers grow to the largest field screened: after a large message, a new one (messages may
        // be up to the `max_message_bytes` setting, which an administrator can raise far above 1 MiB).
        if p.message.utf8.count > Self.largeMessageBytes { workspace = ScreeningWorkspace() }
        return d
    }
}
