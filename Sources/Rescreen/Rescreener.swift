import Foundation
import Logging
import Postgres
import Screening
import Store
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a run stands, for a progress display.
public struct RescreenProgress: Sendable {
    public var screened: Int
    public var total: Int
    public var alerts: Int
    public var hits: Int
    public var seconds: Double
    public var finished: Bool

    /// Payments per second so far, and the seconds left at that rate (nil before the first payment).
    public var rate: Double { seconds > 0 ? Double(screened) / seconds : 0 }
    public var secondsLeft: Double? { rate > 0 ? Double(max(0, total - screened)) / rate : nil }
}

/// Settings of one `chokepoint rescreen`.
public struct RescreenConfiguration: Sendable {
    public var conninfo: String
    /// Released payments decided on or after this date (YYYY-MM-DD) are in scope; nil means `lookbackDays`.
    public var since: String?
    /// Every released payment is in scope (`--all`).
    public var all: Bool = false
    /// Screen against the whole lists even when delta mode is possible (`--full`).
    public var forceFull: Bool = false
    public var lookbackDays: Int = 90
    /// Worker threads, each with its own connection.
    public var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Payments read per keyset page (the default of `chokepoint rescreen --batch-size`).
    public static let defaultBatchSize = 1000
    public var batchSize: Int = defaultBatchSize
    /// Id ranges per worker of the process that creates the run: more ranges than workers keep every worker
    /// (of every process that joins) busy until the end.
    public var rangesPerWorker: Int = 4
    /// Seconds a taken range stays this process's without a batch commit (each commit renews it): after that,
    /// another process may take it and continue from its cursor. The default of `--lease-seconds`.
    public static let defaultLeaseSeconds = 30.0
    public var leaseSeconds: Double = defaultLeaseSeconds
    /// Called about once a second from the coordinating thread while the run works, and once more with
    /// `finished` set (the command line draws its terminal progress line with it).
    public var onProgress: (@Sendable (RescreenProgress) -> Void)?
    /// Progress in the log every this many seconds.
    public var progressLogInterval: Double = 10
    public var host: String = ProcessInfo.processInfo.hostName
    public init(conninfo: String) { self.conninfo = conninfo }

    /// This process as the holder of a range lease and the finisher of a run.
    var holder: String { "\(host):\(getpid())" }
}

/// What a run did, and what this process did in it.
public struct RescreenSummary: Sendable, Equatable {
    public var runId: Int64
    /// How this process came to the run.
    public var participation: Participation
    /// This process marked the run finished and wrote its summary; otherwise another process did (`finishedBy`).
    public var finishedHere: Bool
    /// host:pid of the process that finished the run.
    public var finishedBy: String
    public var mode: String
    /// Payments screened by the whole run (by every process, including earlier attempts of a resumed run).
    public var paymentsScreened: Int
    /// Of those, screened against the whole lists (in delta mode: payments without a usable baseline).
    public var paymentsScreenedInFull: Int
    public var newAlerts: Int
    /// New hits added to pending or held payments.
    public var newHits: Int
    /// Payments this process screened (and committed).
    public var screenedHere: Int
    /// Entries of the largest delta screener of this process's plan (nil in full mode).
    public var deltaEntries: Int?
    /// Seconds this invocation took.
    public var seconds: Double

    public enum Participation: String, Sendable, Equatable {
        /// This process created the run.
        case created
        /// Other processes were working on the run; this one worked beside them.
        case joined
        /// Nobody was working on the run any more (its processes were killed); this one continued it.
        case resumed
    }

    /// This invocation continued a run a killed process had left `running`.
    public var resumed: Bool { participation == .resumed }
}

public enum RescreenError: Error, CustomStringConvertible, Equatable {
    /// Other processes work on a run with other lists, policy or options: this one did nothing.
    case differentRunInProgress(runId: Int64, holders: String, why: String)
    case noSanctionsList
    case workerFailed(String)
    case policyInvalid([String])
    /// The run stopped being `running` under this process (another process with other lists found nobody
    /// working on it and abandoned it).
    case runEnded(runId: Int64, status: String)

    public var description: String {
        switch self {
        case .differentRunInProgress(let id, let holders, let why):
            return "rescreen run \(id) is in progress (\(holders.isEmpty ? "starting" : "held by " + holders)) and this invocation cannot join it: "
                + "\(why). Two different runs never work side by side, so this one did nothing; run it again when run \(id) has finished."
        case .noSanctionsList:
            return "no sanctions list is loaded: re-screening would raise an alert on every payment; run `chokepoint lists import` first"
        case .policyInvalid(let problems):
            return "the screening policy in the database is invalid (\(problems.prefix(3).joined(separator: "; "))): "
                + "re-screening with it would prove nothing; fix the settings or indicators first"
        case .workerFailed(let e):
            return "re-screening stopped: \(e). The run stays open: the ranges this process held are taken by another process once their "
                + "leases expire, or continued by the next `chokepoint rescreen`"
        case .runEnded(let id, let status):
            return "rescreen run \(id) became \(status) while this process worked on it (a process with other lists or options found "
                + "nobody else working and abandoned it); what this process committed stays recorded"
        }
    }
}

/// Re-screens stored payments against the current lists (contract section 5).
///
/// In scope: payments `pending` or `held`, and `released` ones decided since the look-back (or all). New hits
/// on released payments become rows of `chokepoint.retrospective_alerts` (the payment, its status and its
/// hits never change); new hits on pending or held payments are added to `chokepoint.hits` under the run's
/// `screening_runs` id. A hit is new when the payment has no recorded hit with the same kind, field, list,
/// entry and matched text.
///
/// One run at a time, worked on by any number of processes (one per host): under a transaction advisory
/// lock, the first process creates the run and its id ranges, later ones with the same lists, policy and
/// options join it, and one whose differ refuses to start (`differentRunInProgress`) while anybody works on
/// the run (a run nobody works on any more is continued, or abandoned for a new one, as before). Worker
/// threads (each with its own connection, never on Swift's cooperative pool) take ranges with
/// `FOR UPDATE SKIP LOCKED` under a lease and page through them by keyset, committing each batch's alerts,
/// hits, the range's cursor and the renewed lease in one transaction. A range whose process died is taken
/// again once its lease expires and continued from its cursor; a worker with nothing to take waits while
/// other processes hold ranges, to take any of them whose lease expires. When every range is done, the
/// first process to see it marks the run finished and writes its one summary (a guarded UPDATE). Alerts are
/// unique per payment, kind, field, list and entry, and inserted with ON CONFLICT DO NOTHING, so no
/// interleaving can duplicate one.
public final class Rescreener: Sendable {
    private let config: RescreenConfiguration
    private let logger: Logger

    public init(config: RescreenConfiguration, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Runs (or joins, or continues) a rescreen to the end on the calling thread, which it blocks: call it
    /// from a dedicated thread (`onDedicatedThread`), never from a task of the cooperative pool.
    public func run() throws -> RescreenSummary {
        let started = Date()
        let c = try Connection(conninfo: config.conninfo)
        defer { c.close() }
        try c.query("SELECT set_config('application_name', 'chokepoint-rescreen', false)")
        try Migrator.checkCurrent(c)

        let data = try ListStore.loadScreeningData(c)
        guard data.hasSanctionsList else { throw RescreenError.noSanctionsList }
        guard data.policyProblems.isEmpty else { throw RescreenError.policyInvalid(data.policyProblems) }
        var versions: [String: Int64] = [:]
        for l in data.lists { versions[l.source.rawValue] = l.versionId }

        let (run, participation) = try openRun(c, versions: versions)
        let previous = try RescreenStore.previousFinished(c)
        let plan = try RescreenPlan.make(c, data: data, run: run, previous: previous, forceFull: run.fullRequested)
        // A joining process plans only for itself: the run's mode is its creator's (or its resumer's).
        if participation != .joined {
            try RescreenStore.setMode(c, runId: run.id, mode: plan.mode, deltaEntries: plan.deltaEntries, leaseSeconds: config.leaseSeconds)
        }
        logger.info("rescreen started", metadata: [
            "run_id": "\(run.id)", "participation": "\(participation.rawValue)", "mode": "\(plan.mode)", "payments": "\(plan.total)",
            "payments_in_full": "\(plan.totalFull)", "delta_entries": "\(plan.deltaEntries.map(String.init) ?? "-")",
            "prefilter_keys": "\(plan.keyCount.map(String.init) ?? "-")",
            "since": "\(run.since ?? "all")", "list_versions": "\(RescreenStore.versionsJSON(versions))", "holder": "\(config.holder)"])

        let progress = try work(run: run, plan: plan, previous: previous)
        if let failure = progress.failure.withLock({ $0 }) {
            try? RescreenStore.recordError(c, runId: run.id, error: failure)
            throw RescreenError.workerFailed(failure)
        }
        let screenedHere = progress.screened.load(ordering: .relaxed)
        let seconds = Date().timeIntervalSince(started)
        if let t = try RescreenStore.finish(c, run: run, finishedBy: config.holder) {
            logger.info("rescreen finished", metadata: [
                "run_id": "\(run.id)", "mode": "\(t.mode)", "payments_screened": "\(t.screened)", "new_alerts": "\(t.alerts)",
                "new_hits": "\(t.hits)", "screened_here": "\(screenedHere)", "seconds": "\(String(format: "%.1f", seconds))"])
            return RescreenSummary(runId: run.id, participation: participation, finishedHere: true, finishedBy: config.holder, mode: t.mode,
                                   paymentsScreened: t.screened, paymentsScreenedInFull: t.full, newAlerts: t.alerts, newHits: t.hits,
                                   screenedHere: screenedHere, deltaEntries: plan.deltaEntries, seconds: seconds)
        }
        let o = try RescreenStore.outcome(c, runId: run.id)
        guard o.status == "finished", let by = o.finishedBy else { throw RescreenError.runEnded(runId: run.id, status: o.status) }
        logger.info("rescreen run finished by another process", metadata: [
            "run_id": "\(run.id)", "finished_by": "\(by)", "screened_here": "\(screenedHere)", "seconds": "\(String(format: "%.1f", seconds))"])
        return RescreenSummary(runId: run.id, participation: participation, finishedHere: false, finishedBy: by, mode: o.mode,
                               paymentsScreened: o.screened, paymentsScreenedInFull: o.full, newAlerts: o.alerts, newHits: o.hits,
                               screenedHere: screenedHere, deltaEntries: plan.deltaEntries, seconds: seconds)
    }

    /// Under the run-creation lock: joins the running run when it is compatible (continuing it when nobody
    /// works on it any more); when it is not, refuses if somebody works on it, else abandons it; creates a
    /// new run when none is left.
    private func openRun(_ c: Connection, versions: [String: Int64]) throws -> (RescreenStore.RunRow, RescreenSummary.Participation) {
        let requestedSince: String? = config.all ? nil : try RescreenStore.sinceText(c, date: config.since, lookbackDays: config.lookbackDays)
        let policyChanged = try RescreenStore.policyChangedAt(c)
        return try c.transaction { c in
            try RescreenStore.lockRunCreation(c)
            if let running = try RescreenStore.runningRun(c) {
                let (s, live, holders) = running
                var why: String? = nil
                if s.listVersions != versions {
                    why = "lists changed since it started"
                } else if let p = policyChanged, p >= s.startedAtEpoch - RescreenPlan.clockSlack {
                    why = "indicators or settings changed since it started"
                } else if config.all && s.since != nil {
                    why = "this invocation asked for --all"
                } else if config.since != nil, try !RescreenStore.sameInstant(c, requestedSince, s.since) {
                    why = "this invocation asked for a different --since"
                } else if config.forceFull && !s.fullRequested {
                    why = "this invocation asked for --full"
                }
                switch (why, live) {
                case (let why?, true):
                    throw RescreenError.differentRunInProgress(runId: s.id, holders: holders, why: why)
                case (let why?, false):
                    try RescreenStore.abandon(c, runId: s.id, reason: "abandoned: \(why)")
                    logger.notice("an interrupted rescreen run is not continued", metadata: ["run_id": "\(s.id)", "reason": "\(why)"])
                case (nil, true):
                    logger.notice("joining the rescreen run other processes work on", metadata: ["run_id": "\(s.id)", "holders": "\(holders)"])
                    return (s, .joined)
                case (nil, false):
                    try RescreenStore.markResumed(c, runId: s.id, host: config.host, pid: getpid())
                    logger.notice("continuing an interrupted rescreen run from its saved cursors", metadata: [
                        "run_id": "\(s.id)", "since": "\(s.since ?? "all")", "full_requested": "\(s.fullRequested)"])
                    return (s, .resumed)
                }
            }
            let screeningRunId = try PaymentStore.startRun(c, kind: "rescreen", host: config.host, pid: getpid(),
                                                          listVersions: RescreenStore.versionsJSON(versions))
            let run = try RescreenStore.createRun(c, screeningRunId: screeningRunId, fullRequested: config.forceFull, since: requestedSince,
                                                  listVersions: versions, host: config.host, pid: getpid(),
                                                  rangeCount: max(1, config.workers) * max(1, config.rangesPerWorker),
                                                  leaseSeconds: config.leaseSeconds)
            return (run, .created)
        }
    }

    /// Counters shared by the workers and the progress reporter.
    final class Progress: Sendable {
        let screened = Atomic<Int>(0)
        let alerts = Atomic<Int>(0)
        let hits = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let failure = Mutex<String?>(nil)
        /// Logged once per process: its workers found nothing to take while others still held ranges.
        let waitingLogged = Atomic<Bool>(false)
        /// Bumped (under `rangeEndedCondition`) each time one of this process's workers leaves a range, so its
        /// waiting workers look again at once instead of sleeping out their poll: a delta run's last range is
        /// often this process's own, and a 2 s poll was most of a keyed delta run.
        private let rangeEndCount = Atomic<Int>(0)
        private let rangeEndedCondition = NSCondition()

        /// How many times this process's workers have left a range.
        var rangeEnds: Int { rangeEndCount.load(ordering: .acquiring) }

        func rangeEnded() {
            rangeEndedCondition.lock()
            rangeEndCount.add(1, ordering: .releasing)
            rangeEndedCondition.broadcast()
            rangeEndedCondition.unlock()
        }

        /// Waits until a worker of this process leaves a range after `seen` (`rangeEnds` read before looking at
        /// the run), or `seconds` pass.
        func waitForRangeEnd(after seen: Int, seconds: Double) {
            let deadline = Date(timeIntervalSinceNow: seconds)
            rangeEndedCondition.lock()
            defer { rangeEndedCondition.unlock() }
            while rangeEndCount.load(ordering: .acquiring) == seen, !stop.load(ordering: .relaxed) {
                if !rangeEndedCondition.wait(until: deadline) { return }
            }
        }

        func fail(_ message: String) {
            failure.withLock { f in if f == nil { f = message } }
            stop.store(true, ordering: .relaxed)
            rangeEnded()   // wakes the waiting workers, which then see `stop`
        }
    }

    /// Runs the workers until no range of the run is open and reports progress until they end.
    private func work(run: RescreenStore.RunRow, plan: RescreenPlan, previous: RescreenStore.FinishedRun?) throws -> Progress {
        let progress = Progress()
        let count = max(1, config.workers)
        let threads = (0..<count).map { ConnectionThread(name: "chokepoint-rescreen-\($0)") }
        for (w, thread) in threads.enumerated() {
            thread.start { [self] in self.workerLoop(id: w, run: run, plan: plan, previous: previous, progress: progress) }
        }
        let start = Date()
        var lastLog = start
        func report(finished: Bool) -> RescreenProgress {
            let p = RescreenProgress(screened: progress.screened.load(ordering: .relaxed), total: plan.total,
                                     alerts: progress.alerts.load(ordering: .relaxed), hits: progress.hits.load(ordering: .relaxed),
                                     seconds: Date().timeIntervalSince(start), finished: finished)
            config.onProgress?(p)
            return p
        }
        // Wait on the first unfinished worker for up to a second at a time, reporting between waits.
        while let next = threads.first(where: { !$0.isFinished }) {
            if next.join(timeout: 1) { continue }
            let p = report(finished: false)
            if Date().timeIntervalSince(lastLog) >= config.progressLogInterval {
                lastLog = Date()
                logger.info("rescreen progress", metadata: [
                    "screened": "\(p.screened)", "total": "\(p.total)", "per_s": "\(Int(p.rate))",
                    "eta_s": "\(p.secondsLeft.map { String(Int($0)) } ?? "-")", "alerts": "\(p.alerts)", "hits": "\(p.hits)"])
            }
        }
        _ = report(finished: true)
        return progress
    }

    /// One worker thread: its own connection; takes ranges until none of the run is open. While other
    /// processes hold the last open ranges it waits, to take any whose lease expires (its holder died).
    private func workerLoop(id: Int, run: RescreenStore.RunRow, plan: RescreenPlan, previous: RescreenStore.FinishedRun?,
                            progress: Progress) {
        do {
            let c = try Connection(conninfo: config.conninfo)
            defer { c.close() }
            try c.query("SELECT set_config('application_name', $1, false)", ["chokepoint-rescreen-\(id)"])
            // A batch commit need not wait for its WAL flush: a crash can only lose the last batches' commits
            // together with their cursors (WAL is replayed in order), and the resumed run does them again,
            // finding the same alerts and hits (idempotent by the UNIQUE constraint and the NOT EXISTS checks).
            try c.query("SELECT set_config('synchronous_commit', 'off', false)")
            while !progress.stop.load(ordering: .relaxed) {
                let rangeEnds = progress.rangeEnds
                if let lease = try RescreenStore.takeRange(c, runId: run.id, holder: config.holder, leaseSeconds: config.leaseSeconds) {
                    defer { progress.rangeEnded() }
                    if lease.leaseCount > 1 {
                        logger.notice("taking over a range whose lease expired", metadata: [
                            "run_id": "\(run.id)", "range": "\(lease.range.rangeNo)", "cursor": "\(lease.range.cursorId)"])
                    }
                    do {
                        try work(c, lease: lease, run: run, plan: plan, previous: previous, progress: progress)
                    } catch is RescreenStore.LeaseLost {
                        logger.warning("""
                            lost the lease on a range (a batch took longer than the lease, and another process took it over); \
                            its last batch was rolled back and is left to that process
                            """,
                                       metadata: ["run_id": "\(run.id)", "range": "\(lease.range.rangeNo)"])
                    }
                    continue
                }
                let left = try RescreenStore.remaining(c, runId: run.id)
                if left.status != "running" || left.open == 0 { return }
                if !progress.waitingLogged.exchange(true, ordering: .relaxed) {
                    logger.info("no range left to take: other processes are still working on the run; waiting to take any range whose lease expires",
                                metadata: ["run_id": "\(run.id)", "open_ranges": "\(left.open)", "holders": "\(left.holders)"])
                }
                // Until the first lease may expire or one of this process's workers leaves a range, but looking
                // again at least every 2 s (another process's range may end sooner).
                progress.waitForRangeEnd(after: rangeEnds, seconds: min(2, max(0.05, (left.nextExpiry ?? 0) + 0.05)))
            }
        } catch {
            logger.error("rescreen worker failed", metadata: ["worker": "\(id)", "error": "\(error)"])
            progress.fail("\(error)")
        }
    }

    /// Pages through one leased range, screening and committing batch by batch.
    private func work(_ c: Connection, lease: RescreenStore.Lease, run: RescreenStore.RunRow, plan: RescreenPlan,
                      previous: RescreenStore.FinishedRun?, progress: Progress) throws {
        let range = lease.range
        var cursor = range.cursorId
        let limit = max(1, config.batchSize)
        // Remembered typo hits pay off while a worker alternates few indexes: the full screener and one delta
        // screener have four (what a workspace keeps); with more, memories would be dropped and built again.
        var workspace = ScreeningWorkspace(remembering: plan.deltas.count <= 1)
        // A keyed delta run reads only the payments the prefilter selects: their ids first, then their messages page by page.
        var selected = plan.lookups == nil ? nil : try plan.keyedSelection(c, after: cursor, through: range.lastId)[...]
        while !progress.stop.load(ordering: .relaxed) {
            let rows: [RescreenStore.PaymentRow]
            let done: Bool
            let next: Int64
            if let ids = selected {
                let page = Array(ids.prefix(limit))
                selected = ids.dropFirst(page.count)
                rows = page.isEmpty ? [] : try RescreenStore.batch(c, ids: page, since: run.since, previous: previous)
                done = page.count == ids.count
                next = done ? range.lastId : page.last!
            } else {
                rows = try RescreenStore.batch(c, after: cursor, through: range.lastId, since: run.since, limit: limit, previous: previous)
                done = rows.count < limit
                next = done ? range.lastId : rows.last!.id
            }
            var candidates: [RescreenStore.Candidate] = []
            var keys: [(id: Int64, keys: [Int32])] = []
            var full = 0
            for p in rows {
                let (hits, inFull, paymentKeys) = plan.screen(p, workspace: &workspace)
                if inFull { full += 1 }
                if let paymentKeys { keys.append((p.id, paymentKeys)) }
                for h in hits {
                    candidates.append(.init(paymentId: p.id, hit: h, listVersionId: h.list.flatMap { plan.versionIds[$0] }))
                }
            }
            let (alerts, hits) = try RescreenStore.commit(c, runId: run.id, screeningRunId: run.screeningRunId, lease: lease,
                                                          leaseSeconds: config.leaseSeconds, cursor: next, done: done, screened: rows.count, full: full, candidates: candidates,
                                                          keys: keys)
            progress.screened.add(rows.count, ordering: .relaxed)
            progress.alerts.add(alerts, ordering: .relaxed)
            progress.hits.add(hits, ordering: .relaxed)
            if alerts > 0 || hits > 0 {
                logger.info("new findings", metadata: ["run_id": "\(run.id)", "alerts": "\(alerts)", "hits": "\(hits)",
                                                       "payment_ids": "\(Set(candidates.map(\.paymentId)).sorted().prefix(20))"])
            }
            cursor = next
            if done { return }
        }
    }
}
