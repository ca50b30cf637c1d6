import Foundation
import Postgres
import Screening
import Store

/// The SQL of `chokepoint rescreen`: run and range records, keyset batches, alerts and added hits.
///
/// Every value is a bind parameter. The scope of a run is "pending or held, or released at or after
/// `since` (all released when `since` is NULL)", written out in each statement that needs it.
enum RescreenStore {
    /// Transaction advisory lock taken while a process looks for the running run and joins or creates it
    /// (7432001 is migrations, 7432002 imports): processes starting at the same moment create one run.
    static let lockKey = "7432003"

    /// A `rescreen_runs` row as the coordinator needs it.
    struct RunRow: Sendable {
        var id: Int64
        var screeningRunId: Int64
        var mode: String
        var fullRequested: Bool
        /// Server text of the timestamptz, passed back as a parameter unchanged; nil means every released payment.
        var since: String?
        var maxPaymentId: Int64
        var listVersions: [String: Int64]
        var startedAtEpoch: Double
        var host: String
        var pid: Int
    }

    /// One id range of a run: payments with `firstId < id <= lastId`, done up to `cursorId`.
    struct RangeRow: Sendable {
        var rangeNo: Int
        var firstId: Int64
        var lastId: Int64
        var cursorId: Int64
    }

    /// The newest finished run: payments it covered were screened against its list versions.
    struct FinishedRun: Sendable {
        var maxPaymentId: Int64
        var since: String?
        var listVersions: [String: Int64]
        var startedAtEpoch: Double
    }

    /// One payment of a batch.
    struct PaymentRow {
        var id: Int64
        var format: String
        var message: String
        var screeningRunId: Int64?
        var coveredByPreviousRun: Bool
        /// No prefilter keys are stored for it yet (the rescreen computes and stores them).
        var keysUnknown: Bool
    }

    /// A hit to record, for whichever status the payment has when it is written.
    struct Candidate {
        var paymentId: Int64
        var hit: Hit
        var listVersionId: Int64?
    }

    // MARK: - Lock and runs

    /// Waits for the run-creation lock, held until the current transaction ends.
    static func lockRunCreation(_ c: Connection) throws {
        try c.query("SELECT pg_advisory_xact_lock($1::bigint)", [lockKey])
    }

    /// `{"ofac-sdn": 12, "banks": 13}` → dictionary; keys whose value is not an integer are ignored.
    static func parseVersions(_ json: String?) -> [String: Int64] {
        guard let json, let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
        var out: [String: Int64] = [:]
        for (k, v) in obj {
            if let n = v as? NSNumber { out[k] = n.int64Value } else if let s = v as? String, let n = Int64(s) { out[k] = n }
        }
        return out
    }

    static func versionsJSON(_ versions: [String: Int64]) -> String {
        "{" + versions.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
    }

    private static let runColumns = """
        r.id, screening_run_id, mode, full_requested, since::text, max_payment_id, list_versions::text,
        extract(epoch FROM started_at), coalesce(host, ''), coalesce(pid, 0)
        """

    private static func runRow(_ r: Row) -> RunRow {
        RunRow(id: r.int64(0) ?? 0, screeningRunId: r.int64(1) ?? 0, mode: r.string(2) ?? "full", fullRequested: r.bool(3) ?? false,
               since: r.string(4), maxPaymentId: r.int64(5) ?? 0, listVersions: parseVersions(r.string(6)),
               startedAtEpoch: r.double(7) ?? 0, host: r.string(8) ?? "", pid: r.int(9) ?? 0)
    }

    /// The run marked running (at most one: a unique index), whether some process is working on it (a range
    /// lease or the run's own `active_until` not yet expired), and who holds live leases.
    static func runningRun(_ c: Connection) throws -> (run: RunRow, live: Bool, holders: String)? {
        try c.query("""
            SELECT \(runColumns),
                   coalesce(active_until > clock_timestamp(), false) OR EXISTS (
                       SELECT 1 FROM chokepoint.rescreen_ranges AS g
                        WHERE g.run_id = r.id AND NOT g.done AND g.lease_expires_at > clock_timestamp()),
                   coalesce((SELECT string_agg(DISTINCT g.lease_holder, ', ') FROM chokepoint.rescreen_ranges AS g
                              WHERE g.run_id = r.id AND NOT g.done AND g.lease_expires_at > clock_timestamp()), '')
              FROM chokepoint.rescreen_runs AS r WHERE status = 'running'
            """).rows.first.map { (runRow($0), $0.bool(10) ?? true, $0.string(11) ?? "") }
    }

    static func previousFinished(_ c: Connection) throws -> FinishedRun? {
        try c.query("""
            SELECT max_payment_id, since::text, list_versions::text, extract(epoch FROM started_at)
              FROM chokepoint.rescreen_runs WHERE status = 'finished' ORDER BY id DESC LIMIT 1
            """).rows.first.map {
            FinishedRun(maxPaymentId: $0.int64(0) ?? 0, since: $0.string(1), listVersions: parseVersions($0.string(2)),
                        startedAtEpoch: $0.double(3) ?? 0)
        }
    }

    static func abandon(_ c: Connection, runId: Int64, reason: String) throws {
        try c.query("""
            UPDATE chokepoint.rescreen_runs SET status = 'failed', finished_at = clock_timestamp(), error = $2
             WHERE id = $1 AND status = 'running'
            """, [String(runId), reason])
    }

    /// The `since` bound as server text: an explicit date (midnight, server time zone) or `lookbackDays` ago.
    static func sinceText(_ c: Connection, date: String?, lookbackDays: Int) throws -> String {
        if let date {
            return try c.query("SELECT ($1::date)::timestamptz::text", [date]).scalar ?? ""
        }
        return try c.query("SELECT (now() - make_interval(days => $1::int))::text", [String(lookbackDays)]).scalar ?? ""
    }

    /// True when two timestamptz texts name the same instant (NULL equals NULL).
    static func sameInstant(_ c: Connection, _ a: String?, _ b: String?) throws -> Bool {
        if a == nil || b == nil { return a == nil && b == nil }
        return try c.query("SELECT $1::timestamptz = $2::timestamptz", [a, b]).rows.first?.bool(0) ?? false
    }

    /// Creates the run record and its ranges: `rangeCount` equal slices of the id space present now. Called
    /// inside the transaction that holds the run-creation lock.
    static func createRun(_ c: Connection, screeningRunId: Int64, fullRequested: Bool, since: String?,
                          listVersions: [String: Int64], host: String, pid: Int32, rangeCount: Int, leaseSeconds: Double) throws -> RunRow {
        let bounds = try c.query("SELECT coalesce(min(id), 1) - 1, coalesce(max(id), 0) FROM chokepoint.payments").rows.first
        let lo = bounds?.int64(0) ?? 0, hi = bounds?.int64(1) ?? 0
        guard let row = try c.query("""
            INSERT INTO chokepoint.rescreen_runs AS r (screening_run_id, mode, full_requested, since, max_payment_id, list_versions,
                                                       host, pid, active_until)
            VALUES ($1, 'full', $2, $3::timestamptz, $4, $5::jsonb, $6, $7, clock_timestamp() + make_interval(secs => $8::float8))
            RETURNING \(runColumns)
            """, [String(screeningRunId), fullRequested ? "true" : "false", since, String(hi), versionsJSON(listVersions),
                  host, String(pid), String(leaseSeconds)]).rows.first else {
            throw PostgresError(kind: .client, message: "no rescreen run id returned")
        }
        let run = runRow(row)
        let span = max(0, hi - lo)
        let n = Int64(max(1, min(rangeCount, Int(max(1, span)))))
        var firsts: [Int64] = [], lasts: [Int64] = []
        for i in 0..<n {
            firsts.append(lo + span * i / n)
            lasts.append(lo + span * (i + 1) / n)
        }
        try c.query("""
            INSERT INTO chokepoint.rescreen_ranges (run_id, range_no, first_id, last_id, cursor_id)
            SELECT $1, r.no, r.first_id, r.last_id, r.first_id
              FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY AS r(first_id, last_id, no)
            """, [String(run.id), PostgresArray.int64(firsts), PostgresArray.int64(lasts)])
        return run
    }

    /// Records that this process continues a run nobody was working on any more.
    static func markResumed(_ c: Connection, runId: Int64, host: String, pid: Int32) throws {
        try c.query("""
            UPDATE chokepoint.rescreen_runs SET resumed_count = resumed_count + 1, host = $2, pid = $3, error = NULL WHERE id = $1
            """, [String(runId), host, String(pid)])
    }

    /// Sets the run's mode and keeps it looking worked on for another lease while the first range is taken.
    static func setMode(_ c: Connection, runId: Int64, mode: String, deltaEntries: Int?, leaseSeconds: Double) throws {
        try c.query("""
            UPDATE chokepoint.rescreen_runs SET mode = $2, delta_entries = $3, active_until = clock_timestamp() + make_interval(secs => $4::float8)
             WHERE id = $1
            """, [String(runId), mode, deltaEntries.map(String.init), String(leaseSeconds)])
    }

    /// A range taken under a lease: `leaseCount` identifies this taking (the batch commits check it).
    struct Lease: Sendable {
        var range: RangeRow
        var holder: String
        var leaseCount: Int
    }

    /// Takes the first open range that nobody holds (or whose lease expired) for `leaseSeconds`, or nil.
    /// SKIP LOCKED: processes taking at the same moment take different ranges without waiting on each other.
    static func takeRange(_ c: Connection, runId: Int64, holder: String, leaseSeconds: Double) throws -> Lease? {
        try c.query("""
            UPDATE chokepoint.rescreen_ranges AS g
               SET lease_holder = $2, lease_expires_at = clock_timestamp() + make_interval(secs => $3::float8), lease_count = g.lease_count + 1
              FROM (SELECT run_id, range_no FROM chokepoint.rescreen_ranges
                     WHERE run_id = $1 AND NOT done AND (lease_expires_at IS NULL OR lease_expires_at <= clock_timestamp())
                       AND EXISTS (SELECT 1 FROM chokepoint.rescreen_runs WHERE id = $1 AND status = 'running')
                     ORDER BY range_no LIMIT 1 FOR UPDATE SKIP LOCKED) AS free
             WHERE g.run_id = free.run_id AND g.range_no = free.range_no
            RETURNING g.range_no, g.first_id, g.last_id, g.cursor_id, g.lease_count
            """, [String(runId), holder, String(leaseSeconds)]).rows.first.map {
            Lease(range: RangeRow(rangeNo: $0.int(0) ?? 0, firstId: $0.int64(1) ?? 0, lastId: $0.int64(2) ?? 0, cursorId: $0.int64(3) ?? 0),
                  holder: holder, leaseCount: $0.int(4) ?? 0)
        }
    }

    /// What is left of a run when no range could be taken: its status, the open ranges, and the seconds until
    /// the first live lease expires (when one of them may become free).
    static func remaining(_ c: Connection, runId: Int64) throws -> (status: String, open: Int, nextExpiry: Double?, holders: String) {
        let r = try c.query("""
            SELECT r.status, count(g.range_no) FILTER (WHERE NOT g.done),
                   extract(epoch FROM min(g.lease_expires_at) FILTER (WHERE NOT g.done) - clock_timestamp()),
                   coalesce(string_agg(DISTINCT g.lease_holder, ', ') FILTER (WHERE NOT g.done), '')
              FROM chokepoint.rescreen_runs AS r LEFT JOIN chokepoint.rescreen_ranges AS g ON g.run_id = r.id
             WHERE r.id = $1 GROUP BY r.status
            """, [String(runId)]).rows.first
        return (r?.string(0) ?? "missing", r?.int(1) ?? 0, r?.double(2), r?.string(3) ?? "")
    }

    /// Marks the run finished and writes its one summary, if every range is done and nobody did it already;
    /// returns the totals and mode when this call did it, nil otherwise. The row lock makes a second finisher
    /// wait, then see `finished` and change nothing.
    static func finish(_ c: Connection, run: RunRow, finishedBy: String) throws -> (screened: Int, full: Int, alerts: Int, hits: Int, mode: String)? {
        try c.transaction { c in
            guard let r = try c.query("""
                UPDATE chokepoint.rescreen_runs AS r
                   SET status = 'finished', finished_at = clock_timestamp(), error = NULL, finished_by = $2, active_until = NULL,
                       payments_screened = s.screened, payments_full = s.full, new_alerts = s.alerts, new_hits = s.hits
                  FROM (SELECT coalesce(sum(payments_screened), 0) AS screened, coalesce(sum(payments_full), 0) AS full,
                               coalesce(sum(new_alerts), 0) AS alerts, coalesce(sum(new_hits), 0) AS hits
                          FROM chokepoint.rescreen_ranges WHERE run_id = $1) AS s
                 WHERE r.id = $1 AND r.status = 'running'
                   AND NOT EXISTS (SELECT 1 FROM chokepoint.rescreen_ranges WHERE run_id = $1 AND NOT done)
                RETURNING r.payments_screened, r.payments_full, r.new_alerts, r.new_hits, r.mode
                """, [String(run.id), finishedBy]).rows.first else { return nil }
            let t = (screened: r.int(0) ?? 0, full: r.int(1) ?? 0, alerts: r.int(2) ?? 0, hits: r.int(3) ?? 0, mode: r.string(4) ?? "full")
            let detail = """
                {"rescreen_run_id": \(run.id), "mode": "\(t.mode)", "payments_screened": \(t.screened), "new_alerts": \(t.alerts), \
                "new_hits": \(t.hits)}
                """
            try PaymentStore.finishRun(c, runId: run.screeningRunId, detail: detail)
            return t
        }
    }

    /// A run's status, who finished it, and its totals as recorded (for a process that did not finish it).
    static func outcome(_ c: Connection, runId: Int64) throws -> (status: String, finishedBy: String?, screened: Int, full: Int, alerts: Int,
                                                               hits: Int, mode: String) {
        let r = try c.query("""
            SELECT status, finished_by, payments_screened, payments_full, new_alerts, new_hits, mode FROM chokepoint.rescreen_runs WHERE id = $1
            """, [String(runId)]).rows.first
        return (r?.string(0) ?? "missing", r?.string(1), r?.int(2) ?? 0, r?.int(3) ?? 0, r?.int(4) ?? 0, r?.int(5) ?? 0, r?.string(6) ?? "full")
    }

    static func recordError(_ c: Connection, runId: Int64, error: String) throws {
        try c.query("UPDATE chokepoint.rescreen_runs SET error = $2 WHERE id = $1", [String(runId), String(error.prefix(1000))])
    }

    // MARK: - Planning

    /// Seconds since the epoch of the newest change to indicators or settings, or nil if none was ever audited.
    static func policyChangedAt(_ c: Connection) throws -> Double? {
        try c.query("SELECT extract(epoch FROM max(at)) FROM chokepoint.audit_log WHERE action = 'policy_data_changed'").rows.first?.double(0)
    }

    /// In-scope payments still to do, grouped by the screening run that decided them and whether the
    /// previous finished rescreen covered them: the groups of payments that share a baseline.
    static func scopeGroups(_ c: Connection, runId: Int64, since: String?, previous: FinishedRun?) throws -> [(runId: Int64?, covered: Bool, count: Int)] {
        try c.query("""
            SELECT p.screening_run_id, \(coveredExpression(3)), count(*)
              FROM chokepoint.rescreen_ranges AS r
              JOIN chokepoint.payments AS p ON p.id > r.cursor_id AND p.id <= r.last_id
             WHERE r.run_id = $1 AND NOT r.done
               AND (p.status IN ('pending', 'held') OR (p.status = 'released' AND ($2::timestamptz IS NULL OR p.decided_at >= $2::timestamptz)))
             GROUP BY 1, 2
            """, [String(runId), since] + coveredParameters(previous)).rows.map {
            (runId: $0.int64(0), covered: $0.bool(1) ?? false, count: $0.int(2) ?? 0)
        }
    }

    /// Every group that may have a payment in scope, found without reading the payments: the screening runs
    /// that released a payment on or after the day of `since` (`payment_release_days`, sql/014) or that decided a
    /// payment still held or pending (their partial indexes), and the payments without a screening run; each
    /// covered when there is a previous run, and uncovered where it may have payments the previous run did not
    /// cover: ids after its last (decided since the day before it started), or, when this run's scope starts
    /// before the previous run's (`uncoveredEverywhere`), released before that scope. It may list more groups
    /// than `scopeGroups` finds, never fewer.
    static func candidateGroups(_ c: Connection, since: String?, previous: FinishedRun?) throws
        -> (groups: [RescreenPlan.GroupKey], uncoveredEverywhere: Bool) {
        typealias G = RescreenPlan.GroupKey
        // Runs with payments in scope; with $2 (an id), only payments that may have ids after it: released since
        // $3 (seconds since the epoch: a day before the previous run started), or held or pending with ids after $2.
        let runsSQL = """
            SELECT screening_run_id FROM chokepoint.payment_release_days
             WHERE ($1::timestamptz IS NULL OR decided_on >= ($1::timestamptz AT TIME ZONE 'UTC')::date)
               AND ($3::double precision IS NULL OR decided_on >= (to_timestamp($3::double precision) AT TIME ZONE 'UTC')::date)
            UNION
            SELECT screening_run_id FROM chokepoint.payments
             WHERE status = 'held' AND screening_run_id IS NOT NULL AND ($2::bigint IS NULL OR id > $2::bigint)
            UNION
            SELECT screening_run_id FROM chokepoint.payments
             WHERE status = 'pending' AND screening_run_id IS NOT NULL AND ($2::bigint IS NULL OR id > $2::bigint)
            """
        func runs(_ parameters: [String?]) throws -> [Int64?] {
            [nil] + (try c.query(runsSQL, parameters).rows.compactMap { $0.int64(0) }.map(Optional.some))
        }
        let inScope = try runs([since, nil, nil])
        guard let previous else { return (inScope.map { G(runId: $0, covered: false) }, true) }
        // Released before the previous run's scope, within this one's: payments the previous run never read.
        let earlier = try previous.since.map { previousSince in
            try c.query("""
                SELECT EXISTS (SELECT 1 FROM chokepoint.payment_release_days
                                WHERE decided_on <= ($2::timestamptz AT TIME ZONE 'UTC')::date
                                  AND ($1::timestamptz IS NULL OR decided_on >= ($1::timestamptz AT TIME ZONE 'UTC')::date))
                """, [since, previousSince]).rows.first?.bool(0) ?? true
        } ?? false
        let uncovered = earlier ? inScope : try runs([since, String(previous.maxPaymentId), String(previous.startedAtEpoch - 86_400)])
        return (inScope.map { G(runId: $0, covered: true) } + uncovered.map { G(runId: $0, covered: false) }, earlier)
    }

    /// One GIN lookup of a keyed delta run: the payments whose stored keys meet `keys`, with ids in `(after, through]`
    /// (either end open when nil).
    struct KeyLookup: Sendable {
        var keys: [Int32]
        var after: Int64?
        var through: Int64?
        var count: Int { keys.count }
    }

    /// What a keyed delta run will read in the ranges still open: the key matches, and the payments `unkeyed`
    /// adds (keys unknown, pending, decided since `decidedSince`), counted once each.
    static func keyedTotal(_ c: Connection, runId: Int64, matches: [Int64], decidedSince: String) throws -> Int {
        try c.query("""
            SELECT count(DISTINCT x.id) FROM chokepoint.rescreen_ranges AS r,
                   LATERAL (SELECT m FROM unnest($2::bigint[]) AS m WHERE m > r.cursor_id AND m <= r.last_id
                            UNION ALL
                            \(unkeyedSQL(after: "r.cursor_id", through: "r.last_id", decidedSince: "$3", union: "UNION ALL"))) AS x(id)
             WHERE r.run_id = $1 AND NOT r.done
            """, [String(runId), PostgresArray.int64(matches), decidedSince]).scalar.flatMap { Int($0) } ?? 0
    }

    /// `covered`: the previous finished run screened this payment (its id was there, and it was in that run's scope).
    /// A payment pending or held now was pending or held then (statuses only move forward), so it was in scope;
    /// a released one was if it was decided at or after that run's `since`.
    private static func coveredExpression(_ first: Int) -> String {
        "coalesce(p.id <= $\(first)::bigint AND (p.status <> 'released' OR $\(first + 1)::boolean OR p.decided_at >= $\(first + 2)::timestamptz), false)"
    }

    private static func coveredParameters(_ previous: FinishedRun?) -> [String?] {
        guard let previous else { return ["0", "false", nil] }
        return [String(previous.maxPaymentId), previous.since == nil ? "true" : "false", previous.since]
    }

    /// Screening runs' list versions and start times.
    static func screeningRuns(_ c: Connection, ids: [Int64]) throws -> [Int64: (versions: [String: Int64], startedAt: Double)] {
        guard !ids.isEmpty else { return [:] }
        var out: [Int64: (versions: [String: Int64], startedAt: Double)] = [:]
        for r in try c.query("""
            SELECT id, list_versions::text, extract(epoch FROM started_at) FROM chokepoint.screening_runs WHERE id = ANY($1::bigint[])
            """, [PostgresArray.int64(ids)]).rows {
            if let id = r.int64(0) { out[id] = (parseVersions(r.string(1)), r.double(2) ?? 0) }
        }
        return out
    }

    /// List versions whose entries are all still stored (a version can be compared entry by entry).
    static func knownVersions(_ c: Connection, ids: [Int64]) throws -> Set<Int64> {
        guard !ids.isEmpty else { return [] }
        return Set(try c.query("""
            SELECT v.id FROM chokepoint.list_versions AS v
             WHERE v.id = ANY($1::bigint[])
               AND v.entry_count = (SELECT count(*) FROM chokepoint.list_entries AS e WHERE e.version_id = v.id)
            """, [PostgresArray.int64(ids)]).rows.compactMap { $0.int64(0) })
    }

    /// Source ids of entries of `current` that are new or whose fingerprint differs from every entry with
    /// the same source id in `baseline`.
    static func changedSourceIds(_ c: Connection, current: Int64, baseline: Int64) throws -> Set<String> {
        Set(try c.query("""
            SELECT DISTINCT n.source_id FROM chokepoint.list_entries AS n
             WHERE n.version_id = $1
               AND NOT EXISTS (SELECT 1 FROM chokepoint.list_entries AS o
                                WHERE o.version_id = $2 AND o.source_id = n.source_id AND o.fingerprint = n.fingerprint)
            """, [String(current), String(baseline)]).rows.compactMap { $0.string(0) })
    }

    /// Good-guy records that ended, by revocation or expiry: (list, entry id, when it ended). Either makes an
    /// unchanged entry able to hit again.
    static func endedGoodGuys(_ c: Connection) throws -> [(list: String, entryId: String, revokedAt: Double)] {
        try c.query("""
            SELECT list, entry_id, extract(epoch FROM least(revoked_at, expires_at)) FROM chokepoint.good_guys
             WHERE revoked_at IS NOT NULL OR expires_at <= now()
            """).rows.map { ($0.string(0) ?? "", $0.string(1) ?? "", $0.double(2) ?? 0) }
    }

    static func currentIndicatorsVersion(_ c: Connection) throws -> Int64? {
        try c.query("SELECT id FROM chokepoint.list_versions WHERE source = 'indicators' AND is_current").rows.first?.int64(0)
    }

    // MARK: - Batches

    /// The next batch of in-scope payments of a range after `cursor`, in id order (keyset pagination).
    static func batch(_ c: Connection, after cursor: Int64, through lastId: Int64, since: String?, limit: Int,
                      previous: FinishedRun?) throws -> [PaymentRow] {
        try rows(c, where: "p.id > $5 AND p.id <= $6", limit: "LIMIT $7", [String(cursor), String(lastId), String(limit)], since: since,
                 previous: previous)
    }

    /// The in-scope payments among `ids`, in id order.
    static func batch(_ c: Connection, ids: [Int64], since: String?, previous: FinishedRun?) throws -> [PaymentRow] {
        try rows(c, where: "p.id = ANY($5::bigint[])", limit: "", [PostgresArray.int64(ids)], since: since, previous: previous)
    }

    /// In-scope payments that meet `condition` (its parameters are $5 on; $1 is `since`, $2 to $4 say what the
    /// previous run covered), in id order.
    private static func rows(_ c: Connection, where condition: String, limit: String, _ parameters: [String?], since: String?,
                             previous: FinishedRun?) throws -> [PaymentRow] {
        try c.query("""
            SELECT p.id, p.format, p.message, p.screening_run_id, \(coveredExpression(2)),
                   NOT EXISTS (SELECT 1 FROM chokepoint.payment_screening_keys AS k WHERE k.payment_id = p.id AND k.keys IS NOT NULL)
              FROM chokepoint.payments AS p
             WHERE \(condition)
               AND (p.status IN ('pending', 'held') OR (p.status = 'released' AND ($1::timestamptz IS NULL OR p.decided_at >= $1::timestamptz)))
             ORDER BY p.id
             \(limit)
            """, [since] + coveredParameters(previous) + parameters).rows.map {
            PaymentRow(id: $0.int64(0) ?? 0, format: $0.string(1) ?? "", message: $0.string(2) ?? "",
                       screeningRunId: $0.int64(3), coveredByPreviousRun: $0.bool(4) ?? false, keysUnknown: $0.bool(5) ?? true)
        }
    }

    /// One lookup of `keyedMatches` ($1 the keys, $2 and $3 the id range, each NULL for no bound), run with
    /// `keyLookupSettings`. The range is tested on `payment_id + 0`, which no index serves: with a range the
    /// primary key could serve, the planner (whose estimate for `&&` with thousands of keys is most of the
    /// table) chose a bitmap scan of the primary key and tested `&&` on every row of the range: 60 s for 50,000
    /// payments and 2,860 keys, against 16 ms through the GIN index (PERFORMANCE.md).
    static let keyLookupSQL = """
        SELECT payment_id FROM chokepoint.payment_screening_keys
         WHERE keys && $1::integer[] AND ($2::bigint IS NULL OR payment_id + 0 > $2::bigint)
           AND ($3::bigint IS NULL OR payment_id + 0 <= $3::bigint)
        """
    /// Sequential and plain index scans off: only the GIN index's bitmap scan is left (see `keyedMatches`).
    static let keyLookupSettings = ["SET LOCAL enable_seqscan = off", "SET LOCAL enable_indexscan = off"]

    /// The payments whose stored prefilter keys meet `keys`, in id order: one lookup in the GIN index for the
    /// whole table (each process makes it once and cuts it by range), and the server time an hour before it:
    /// payments decided after that may have got their keys after the lookup (`unkeyed` reads them). No message is read.
    static func keyedMatches(_ c: Connection, lookups: [KeyLookup]) throws -> (ids: [Int64], decidedSince: String) {
        // Through the GIN index only: `&&` on a row costs its keys times the query's keys (no sorted merge), so a
        // scan that tests it row by row (a sequential scan, or the primary key's) would cost far more.
        try c.transaction { c in
            // An hour of margin: a decision whose transaction started before the lookup but committed after it
            // is stamped before the lookup (a daemon's batch transaction lasts seconds).
            let since = try c.query("SELECT (clock_timestamp() - interval '1 hour')::text").scalar ?? ""
            for setting in keyLookupSettings { try c.query(setting) }
            var ids = Set<Int64>()
            for l in lookups {
                ids.formUnion(try c.query(keyLookupSQL, [PostgresArray.integers(l.keys), l.after.map(String.init), l.through.map(String.init)])
                    .rows.compactMap { $0.int64(0) })
            }
            return (ids.sorted(), since)
        }
    }

    /// The payments of a range after `cursor` that a keyed delta run must read besides the key matches: those
    /// whose keys are unknown, pending ones (which have no row until they are decided), and those decided since
    /// `decidedSince` (their keys may postdate the lookup). Every payment that is not pending has a row
    /// (sql/013_screening_keys.up.sql), so any other payment of the range has no hit on a changed entry. Ids only,
    /// in id order.
    static func unkeyed(_ c: Connection, after cursor: Int64, through lastId: Int64, decidedSince: String) throws -> [Int64] {
        try c.query(unkeyedSQL(after: "$1", through: "$2", decidedSince: "$3", union: "UNION") + " ORDER BY 1",
                    [String(cursor), String(lastId), decidedSince]).rows.compactMap { $0.int64(0) }
    }

    /// The ids `unkeyed` reads in `(after, through]`, written with the given SQL expressions.
    private static func unkeyedSQL(after: String, through: String, decidedSince: String, union: String) -> String {
        """
        SELECT payment_id FROM chokepoint.payment_screening_keys WHERE payment_id > \(after) AND payment_id <= \(through) AND keys IS NULL
        \(union)
        SELECT id FROM chokepoint.payments WHERE id > \(after) AND id <= \(through) AND status = 'pending'
        \(union)
        SELECT id FROM chokepoint.payments WHERE id > \(after) AND id <= \(through) AND status = 'held' AND decided_at >= \(decidedSince)::timestamptz
        \(union)
        SELECT id FROM chokepoint.payments WHERE id > \(after) AND id <= \(through) AND status = 'released' AND decided_at >= \(decidedSince)::timestamptz
        """
    }

    /// The range was taken again by another process (this one's lease expired): the batch was not committed.
    struct LeaseLost: Error {}

    /// Commits one batch: new hits on payments now pending or held, alerts on payments now released, the keys
    /// of its payments whose keys were unknown, and the range's cursor and renewed lease, in ONE transaction, so
    /// a killed run resumes exactly after the last committed batch (and reads exactly what it would have read).
    ///
    /// The range row is updated first, and only while `lease` is still the range's latest taking (and the run
    /// is still running); otherwise `LeaseLost` rolls the whole batch back, so a process that stalled past
    /// its lease never commits over the process that took the range after it. The candidate payments are
    /// then locked `FOR SHARE` (in id order), so an operator's release or the daemon's decision of one of
    /// them either committed before (and the statements below, each with a fresh READ COMMITTED snapshot, see
    /// its status and hits) or waits until this batch commits. A hit already recorded for the payment (same
    /// kind, field, list, entry and matched text) is not new.
    static func commit(_ c: Connection, runId: Int64, screeningRunId: Int64, lease: Lease, leaseSeconds: Double, cursor: Int64, done: Bool,
                       screened: Int, full: Int, candidates: [Candidate], keys: [(id: Int64, keys: [Int32])]) throws -> (alerts: Int, hits: Int) {
        func updateRange(_ c: Connection, alerts: Int, hits: Int) throws {
            let updated = try c.query("""
                UPDATE chokepoint.rescreen_ranges
                   SET cursor_id = $3, done = $4, payments_screened = payments_screened + $5, payments_full = payments_full + $6,
                       new_alerts = new_alerts + $7, new_hits = new_hits + $8, updated_at = clock_timestamp(),
                       lease_holder = CASE WHEN $4 THEN NULL ELSE lease_holder END,
                       lease_expires_at = CASE WHEN $4 THEN NULL ELSE clock_timestamp() + make_interval(secs => $11::float8) END
                 WHERE run_id = $1 AND range_no = $2 AND NOT done AND lease_holder = $9 AND lease_count = $10
                   AND EXISTS (SELECT 1 FROM chokepoint.rescreen_runs WHERE id = $1 AND status = 'running')
                """, [String(runId), String(lease.range.rangeNo), String(cursor), done ? "true" : "false", String(screened), String(full),
                      String(alerts), String(hits), lease.holder, String(lease.leaseCount), String(leaseSeconds)]).affectedRows
            if updated != 1 { throw LeaseLost() }
        }
        guard !candidates.isEmpty else {
            if keys.isEmpty {
                try updateRange(c, alerts: 0, hits: 0)
            } else {
                try c.transaction { c in
                    try updateRange(c, alerts: 0, hits: 0)
                    try PaymentStore.storeScreeningKeys(c, keys)
                }
            }
            return (0, 0)
        }
        let ids = candidates.map(\.paymentId)
        var params: [String?] = [
            PostgresArray.int64(ids),
            PostgresArray.text(candidates.map { $0.hit.kind.rawValue }),
            PostgresArray.text(candidates.map { $0.hit.field }),
            PostgresArray.text(candidates.map { PaymentStore.clip($0.hit.matched) }),
            PostgresArray.text(candidates.map { $0.hit.list }),
            PostgresArray.text(candidates.map { $0.hit.entryId }),
            PostgresArray.text(candidates.map { $0.hit.entryName.map(PaymentStore.clip) }),
            PostgresArray.double(candidates.map { min(1, max(0, $0.hit.score)) }),
            PostgresArray.text(candidates.map { PaymentStore.clip($0.hit.explanation) }),
            PostgresArray.text(candidates.map { $0.listVersionId.map(String.init) }),
            PostgresArray.text(candidates.map { $0.hit.identifierType }),
        ]
        let unnest = """
            unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::text[], $11::bigint[],
                   $12::text[])
                AS h(payment_id, kind, field, matched, list, entry_id, entry_name, score, explanation, list_version_id, identifier_type)
            """
        let notRecorded = """
            NOT EXISTS (SELECT 1 FROM chokepoint.hits AS x
                         WHERE x.payment_id = h.payment_id AND x.kind = h.kind AND x.field = h.field AND x.matched = h.matched
                           AND x.list IS NOT DISTINCT FROM h.list AND x.entry_id IS NOT DISTINCT FROM h.entry_id
                           -- A hit a good-guy record suppressed when the payment was decided is news once that record is gone.
                           AND x.suppressed_by IS NULL)
            """
        return try c.transaction { c in
            // Counts are added after the inserts below (they are not known yet); this update takes the row lock and checks the lease.
            try updateRange(c, alerts: 0, hits: 0)
            try PaymentStore.storeScreeningKeys(c, keys)
            try c.query("SELECT id FROM chokepoint.payments WHERE id = ANY($1::bigint[]) ORDER BY id FOR SHARE",
                        [PostgresArray.int64(Array(Set(ids)))])
            params.insert(String(screeningRunId), at: 0)
            let hits = try c.query("""
                INSERT INTO chokepoint.hits (payment_id, run_id, kind, field, matched, list, entry_id, entry_name, score, explanation,
                                             identifier_type)
                SELECT h.payment_id, $1, h.kind, h.field, h.matched, h.list, h.entry_id, h.entry_name, h.score, h.explanation,
                       h.identifier_type
                  FROM \(unnest)
                  JOIN chokepoint.payments AS p ON p.id = h.payment_id AND p.status IN ('pending', 'held')
                 WHERE \(notRecorded)
                """, params).affectedRows
            params[0] = String(runId)
            let alerts = try c.query("""
                INSERT INTO chokepoint.retrospective_alerts (payment_id, rescreen_run_id, kind, field, matched, list, entry_id,
                                                             entry_name, score, explanation, list_version_id, identifier_type)
                SELECT h.payment_id, $1, h.kind, h.field, h.matched, h.list, h.entry_id, h.entry_name, h.score, h.explanation,
                       h.list_version_id, h.identifier_type
                  FROM \(unnest)
                  JOIN chokepoint.payments AS p ON p.id = h.payment_id AND p.status = 'released'
                 WHERE \(notRecorded)
                ON CONFLICT ON CONSTRAINT retrospective_alerts_once DO NOTHING
                """, params).affectedRows
            try c.query("""
                UPDATE chokepoint.rescreen_ranges SET new_alerts = new_alerts + $3, new_hits = new_hits + $4 WHERE run_id = $1 AND range_no = $2
                """, [String(runId), String(lease.range.rangeNo), String(alerts), String(hits)])
            return (alerts, hits)
        }
    }
}
