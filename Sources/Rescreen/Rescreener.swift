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
    /// Id ranges per worker: more ranges than workers keep every worker busy until the end.
    public var rangesPerWorker: Int = 4
    /// Called about once a second from the coordinating thread while the run works, and once more with
    /// `finished` set (the command line draws its terminal progress line with it).
    public var onProgress: (@Sendable (RescreenProgress) -> Void)?
    /// Progress in the log every this many seconds.
    public var progressLogInterval: Double = 10
    public var host: String = ProcessInfo.processInfo.hostName
    public init(conninfo: String) { self.conninfo = conninfo }
}

/// What a run did.
public struct RescreenSummary: Sendable, Equatable {
    public var runId: Int64
    /// This invocation continued a run a killed process had left `running`.
    public var resumed: Bool
    public var mode: String
    /// Payments screened by the whole run (including earlier attempts of a resumed run).
    public var paymentsScreened: Int
    /// Of those, screened against the whole lists (in delta mode: payments without a usable baseline).
    public var paymentsScreenedInFull: Int
    public var newAlerts: Int
    /// New hits added to pending or held payments.
    public var newHits: Int
    /// Entries of the largest delta screener (nil in full mode).
    public var deltaEntries: Int?
    /// Seconds this invocation took.
    public var seconds: Double
}

public enum RescreenError: Error, CustomStringConvertible, Equatable {
    /// Another rescreen holds the lock; the run in progress is described.
    case alreadyRunning(String)
    case noSanctionsList
    case workerFailed(String)
    case policyInvalid([String])

    public var description: String {
        switch self {
        case .alreadyRunning(let what):
            return "another rescreen is running (\(what)); only one runs at a time, and this one did nothing. "
                + "It will be safe to run again when that one ends; if it is killed, the next run continues it."
        case .noSanctionsList:
            return "no sanctions list is loaded: re-screening would raise an alert on every payment; run `chokepoint lists import` first"
        case .policyInvalid(let problems):
            return "the screening policy in the database is invalid (\(problems.prefix(3).joined(separator: "; "))): "
                + "re-screening with it would prove nothing; fix the settings or indicators first"
        case .workerFailed(let e):
            return "re-screening stopped: \(e). The run stays open: the next `chokepoint rescreen` continues it from where it stopped"
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
/// One run at a time: the coordinator takes a session advisory lock and a second invocation exits at once
/// with `RescreenError.alreadyRunning` (a nightly timer gains nothing by queueing a second full pass). The
/// id space is cut into ranges; worker threads (each with its own connection, never on Swift's cooperative
/// pool) take ranges from a queue and page through them by keyset, committing each batch's alerts, hits
/// and the range's cursor in one transaction. A killed run is left `running`; the next invocation (holding
/// the lock, so nobody else works on it) continues it from the cursors if the lists are unchanged, or marks
/// it failed and starts afresh. Alerts are unique per payment, kind, field, list and entry, and inserted
/// with ON CONFLICT DO NOTHING, so no interleaving of runs can duplicate one.
public final class Rescreener: Sendable {
    private let config: RescreenConfiguration
    private let logger: Logger

    public init(config: RescreenConfiguration, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    /// Runs (or continues) a rescreen to the end on the calling thread, which it blocks: call it from a
    /// dedicated thread (`onDedicatedThread`), never from a task of the cooperative pool.
    public func run() throws -> RescreenSummary {
        let started = Date()
        let c = try Connection(conninfo: config.conninfo)
        defer { c.close() }
        try c.query("SELECT set_config('application_name', 'chokepoint-rescreen', false)")
        try Migrator.checkCurrent(c)
        guard try RescreenStore.tryLock(c) else {
            let what = try RescreenStore.newestRunning(c).map { "run \($0.id) on \($0.host) pid \($0.pid)" } ?? "starting"
            throw RescreenError.alreadyRunning(what)
        }
        // The lock is a session lock: closing the connection (or the process dying) releases it.

        let data = try ListStore.loadScreeningData(c)
        guard data.hasSanctionsList else { throw RescreenError.noSanctionsList }
        guard data.policyProblems.isEmpty else { throw RescreenError.policyInvalid(data.policyProblems) }
        var versions: [String: Int64] = [:]
        for l in data.lists { versions[l.source.rawValue] = l.versionId }

        let (run, resumed) = try openRun(c, versions: versions)
        let previous = try RescreenStore.previousFinished(c)
        let plan = try RescreenPlan.make(c, data: data, run: run, previous: previous, forceFull: run.fullRequested)
        try RescreenStore.setMode(c, runId: run.id, mode: plan.mode, deltaEntries: plan.deltaEntries)
        logger.info("rescreen started", metadata: [
            "run_id": "\(run.id)", "resumed": "\(resumed)", "mode": "\(plan.mode)", "payments": "\(plan.total)",
            "payments_in_full": "\(plan.totalFull)", "delta_entries": "\(plan.deltaEntries.map(String.init) ?? "-")",
            "since": "\(run.since ?? "all")", "list_versions": "\(RescreenStore.versionsJSON(versions))"])

        let ranges = try RescreenStore.openRanges(c, runId: run.id)
        let failure = try work(run: run, ranges: ranges, plan: plan, previous: previous)
        if let failure {
            try? RescreenStore.recordError(c, runId: run.id, error: failure)
            throw RescreenError.workerFailed(failure)
        }
        let t = try RescreenStore.totals(c, runId: run.id)
        let seconds = Date().timeIntervalSince(started)
        let detail = """
            {"rescreen_run_id": \(run.id), "mode": "\(plan.mode)", "payments_screened": \(t.screened), "new_alerts": \(t.alerts), \
            "new_hits": \(t.hits)}
            """
        try RescreenStore.finish(c, run: run, detail: detail)
        try RescreenStore.unlock(c)
        let summary = RescreenSummary(runId: run.id, resumed: resumed, mode: plan.mode, paymentsScreened: t.screened,
                                      paymentsScreenedInFull: t.full, newAlerts: t.alerts, newHits: t.hits,
                                      deltaEntries: plan.deltaEntries, seconds: seconds)
        logger.info("rescreen finished", metadata: [
            "run_id": "\(run.id)", "mode": "\(plan.mode)", "payments_screened": "\(t.screened)", "new_alerts": "\(t.alerts)",
            "new_hits": "\(t.hits)", "seconds": "\(String(format: "%.1f", seconds))"])
        return summary
    }

    /// Continues the newest stale run when it is compatible, else abandons stale runs and creates a new one.
    private func openRun(_ c: Connection, versions: [String: Int64]) throws -> (RescreenStore.RunRow, Bool) {
        let stale = try RescreenStore.staleRuns(c)
        let requestedSince: String? = config.all ? nil : try RescreenStore.sinceText(c, date: config.since, lookbackDays: config.lookbackDays)
        let policyChanged = try RescreenStore.policyChangedAt(c)
        for (i, s) in stale.enumerated() {
            var why: String? = nil
            if i > 0 {
                why = "superseded by run \(stale[0].id)"
            } else if s.listVersions != versions {
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
            if let why {
                try RescreenStore.abandon(c, runId: s.id, reason: "abandoned: \(why)")
                logger.notice("an interrupted rescreen run is not continued", metadata: ["run_id": "\(s.id)", "reason": "\(why)"])
                continue
            }
            try RescreenStore.markResumed(c, runId: s.id, host: config.host, pid: getpid())
            logger.notice("continuing an interrupted rescreen run from its saved cursors", metadata: [
                "run_id": "\(s.id)", "since": "\(s.since ?? "all")", "full_requested": "\(s.fullRequested)"])
            return (s, true)
        }
        let screeningRunId = try PaymentStore.startRun(c, kind: "rescreen", host: config.host, pid: getpid(),
                                                      listVersions: RescreenStore.versionsJSON(versions))
        let run = try RescreenStore.createRun(c, screeningRunId: screeningRunId, fullRequested: config.forceFull, since: requestedSince,
                                              listVersions: versions, host: config.host, pid: getpid(),
                                              rangeCount: max(1, config.workers) * max(1, config.rangesPerWorker))
        return (run, false)
    }

    /// Counters shared by the workers and the progress reporter.
    final class Progress: Sendable {
        let screened = Atomic<Int>(0)
        let alerts = Atomic<Int>(0)
        let hits = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let failure = Mutex<String?>(nil)
        let queue: Mutex<[RescreenStore.RangeRow]>
        init(ranges: [RescreenStore.RangeRow]) { queue = Mutex(ranges) }

        func next() -> RescreenStore.RangeRow? {
            queue.withLock { q in q.isEmpty ? nil : q.removeFirst() }
        }

        func fail(_ message: String) {
            failure.withLock { f in if f == nil { f = message } }
            stop.store(true, ordering: .relaxed)
        }
    }

    /// Runs the workers over the open ranges and reports progress until they end; returns the first failure.
    private func work(run: RescreenStore.RunRow, ranges: [RescreenStore.RangeRow], plan: RescreenPlan,
                      previous: RescreenStore.FinishedRun?) throws -> String? {
        let progress = Progress(ranges: ranges)
        let count = max(1, min(config.workers, ranges.count))
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
        return progress.failure.withLock { $0 }
    }

    /// One worker thread: its own connection; takes ranges from the queue until none is left.
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
            while !progress.stop.load(ordering: .relaxed), let range = progress.next() {
                try work(c, range: range, run: run, plan: plan, previous: previous, progress: progress)
            }
        } catch {
            logger.error("rescreen worker failed", metadata: ["worker": "\(id)", "error": "\(error)"])
            progress.fail("\(error)")
        }
    }

    /// Pages through one range, screening and committing batch by batch.
    private func work(_ c: Connection, range: RescreenStore.RangeRow, run: RescreenStore.RunRow, plan: RescreenPlan,
                      previous: RescreenStore.FinishedRun?, progress: Progress) throws {
        var cursor = range.cursorId
        let limit = max(1, config.batchSize)
        while !progress.stop.load(ordering: .relaxed) {
            let rows = try RescreenStore.batch(c, after: cursor, through: range.lastId, since: run.since, limit: limit, previous: previous)
            var candidates: [RescreenStore.Candidate] = []
            var full = 0
            for p in rows {
                let (hits, inFull) = plan.screen(p)
                if inFull { full += 1 }
                for h in hits {
                    candidates.append(.init(paymentId: p.id, hit: h, listVersionId: h.list.flatMap { plan.versionIds[$0] }))
                }
            }
            let done = rows.count < limit
            let next = done ? range.lastId : rows.last!.id
            let (alerts, hits) = try RescreenStore.commit(c, runId: run.id, screeningRunId: run.screeningRunId, range: range.rangeNo,
                                                          cursor: next, done: done, screened: rows.count, full: full, candidates: candidates)
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
