import Postgres
import Screening

/// A pending payment claimed by this worker inside the open transaction.
public struct ClaimedPayment: Sendable {
    public var id: Int64
    public var format: String
    public var message: String
    /// `received_at` as PostgreSQL wrote it in this session: with the id, it names the payment's monthly
    /// partition, so the deciding UPDATE touches only that partition (`PaymentStore.record`).
    public var receivedAt: String?
    /// Attempts to screen it recorded before this claim (`chokepoint.screening_attempts`; 0 without a record), as the
    /// claim read them: the claim's row lock keeps any other worker from recording one until this transaction ends.
    public var attemptsBefore: Int

    public init(id: Int64, format: String, message: String, receivedAt: String? = nil, attemptsBefore: Int = 0) {
        self.id = id
        self.format = format
        self.message = message
        self.receivedAt = receivedAt
        self.attemptsBefore = attemptsBefore
    }
}

/// The SQL of the claim → decide loop. Every value is a bind parameter; batches travel as arrays.
public enum PaymentStore {
    /// Locks up to `limit` pending payments, oldest first, skipping rows other workers hold.
    ///
    /// A plain `SELECT … LIMIT n FOR UPDATE SKIP LOCKED` locks only the rows it returns (unlike
    /// `UPDATE … WHERE id IN (SELECT … SKIP LOCKED)`, which may be planned as a semi-join that re-runs
    /// the subquery). It must run inside a transaction; the locks hold until that transaction ends.
    public static func claim(_ c: Connection, limit: Int) throws -> [ClaimedPayment] {
        try claimWithGeneration(c, limit: limit).payments
    }

    /// What one claim statement returns.
    public struct Claim: Sendable {
        /// The payments to screen in this batch, oldest first, within the byte budget.
        public var payments: [ClaimedPayment]
        /// Payments locked by the claim but left for a later batch because the batch's messages already
        /// reached the byte budget: they stay pending and are unlocked when the transaction ends.
        public var deferred: Int
        /// `chokepoint.policy_generation` as seen by the same statement's snapshot.
        public var policyGeneration: Int64?
    }

    /// The claim, bounded by count and by message bytes, plus `chokepoint.policy_generation` as seen by the
    /// same statement's snapshot.
    ///
    /// The byte bound keeps a batch of large messages from exhausting the daemon's memory: messages are sent
    /// only while the bytes before them stay under `maxBytes` (the first one always), the rest come back as
    /// NULL and wait for the next batch.
    public static func claimWithGeneration(_ c: Connection, limit: Int, maxBytes: Int = Int(Int32.max)) throws -> Claim {
        // Prepared: planned once per connection, not once per batch over every monthly partition.
        let result = try c.queryPrepared("""
            WITH claimed AS (
                SELECT id, format, message, received_at FROM chokepoint.payments
                 WHERE status = 'pending'
                 ORDER BY id
                 LIMIT $1
                   FOR UPDATE SKIP LOCKED)
            SELECT id, format,
                   CASE WHEN sum(octet_length(message)) OVER w - octet_length(message) < $2 THEN message END,
                   (SELECT value FROM chokepoint.policy_generation), received_at,
                   (SELECT a.attempts FROM chokepoint.screening_attempts AS a WHERE a.payment_id = claimed.id)
              FROM claimed
            WINDOW w AS (ORDER BY id ROWS UNBOUNDED PRECEDING)
             ORDER BY id
            """, [String(limit), String(max(1, maxBytes))])
        var payments: [ClaimedPayment] = []
        payments.reserveCapacity(result.rows.count)
        var deferred = 0
        for row in result.rows {
            guard let message = row.string(2) else { deferred += 1; continue }
            payments.append(ClaimedPayment(id: row.int64(0) ?? 0, format: row.string(1) ?? "", message: message, receivedAt: row.string(4),
                                           attemptsBefore: row.int(5) ?? 0))
        }
        return Claim(payments: payments, deferred: deferred, policyGeneration: result.rows.first?.int64(3))
    }

    /// Records decisions and their hits in the caller's transaction, and clears the decided payments'
    /// screening attempts; returns the ids actually decided.
    ///
    /// The update is guarded by `status = 'pending'`, so a payment some other transaction already
    /// decided is left alone (and its hits are not written). Triggers add the audit row and the
    /// `chokepoint_decisions` notification of each status change in the same transaction.
    ///
    /// One statement: the update, the hits of the payments it decided, the clearing of their attempt records and
    /// the screening keys travel together (data-modifying CTEs), so a batch costs one round trip here instead of four,
    /// and the audit chain's head, which the update's statement trigger locks until the transaction ends, is
    /// taken by the transaction's last statement: another worker's decisions wait for this one's COMMIT only,
    /// not for its hits and attempt records as well.
    ///
    /// `receivedAt` (from the claim) lets the update find each payment in its own monthly partition only;
    /// without it every partition's index is probed for every id.
    ///
    /// With `committing`, the statement is the transaction's last and COMMIT travels with it
    /// (`Connection.queryPreparedCommitting`): the audit chain's head is then held for one round trip less.
    @discardableResult
    public static func record(_ c: Connection, runId: Int64, decisions: [(id: Int64, decision: Decision)],
                              receivedAt: [Int64: String] = [:], committing: Bool = false) throws -> Set<Int64> {
        guard !decisions.isEmpty else { return [] }
        return try runRecordStatement(c, runId: runId, decisions: decisions, receivedAt: receivedAt, committing: committing)
    }

    /// `record`'s statement, sent even for no decisions (`warmUp`).
    static func runRecordStatement(_ c: Connection, runId: Int64, decisions: [(id: Int64, decision: Decision)],
                                   receivedAt: [Int64: String], committing: Bool) throws -> Set<Int64> {
        let times = decisions.map { receivedAt[$0.id] }
        let pruned = times.allSatisfy { $0 != nil }
        let ids = decisions.map(\.id)
        let statuses = decisions.map { $0.decision.outcome == .hold ? "held" : "released" }
        let reasons = decisions.map { PostgresArray.text($0.decision.reasons) }
        let errors: [String?] = decisions.map { $0.decision.error.map(Self.clip) }
        // Good-guy records applied to each payment: the audit row of its decision names them.
        let suppressions = decisions.map { PostgresArray.int64(Array(Set($0.decision.suppressed.map(\.goodGuyId))).sorted()) }
        // The keys travel in the same statement (`$19`, `$20`), written before the status change's trigger looks for
        // them (keys depend on the message alone, so writing them for a payment another transaction decides is right too).
        let keys = decisions.compactMap { d in d.decision.screeningKeys.map { (id: d.id, keys: $0) } }
        // Every decision's hits go along; the statement keeps those of the payments it decided.
        var hits = HitRows()
        for (id, decision) in decisions {
            for h in decision.hits { hits.append(id, h, suppressedBy: nil) }
            for s in decision.suppressed { hits.append(id, s.hit, suppressedBy: s.goodGuyId) }
        }
        let run = committing ? c.queryPreparedCommitting : c.queryPrepared
        let updated = try run(recordStatement(pruned: pruned), [PostgresArray.int64(ids), PostgresArray.text(statuses), PostgresArray.text(reasons),
                               PostgresArray.text(errors), String(runId), PostgresArray.text(suppressions),
                               PostgresArray.text(times)] + hits.parameters + keysParameters(keys), recordSettings)
        return Set(updated.rows.compactMap { $0.int64(0) })
    }

    /// The settings the record statement is planned and run under (transaction-local, sent with it; without
    /// `committing` they hold for the rest of the caller's transaction too).
    ///
    /// Its duplicate check looks up each new hit's payment in `hits` (below). The statement is prepared, and the
    /// worker's connection keeps generic plans (`plan_cache_mode`): planned with the statistics of a month's `hits`
    /// partition while it was empty or never analysed, the check became a hash anti-join that read the whole
    /// growing partition for every batch (in the load bench, with autovacuum off for the drain, 486,129 rows read by
    /// the 131st batch; in production, a month's first minutes, or a month analysed while empty, see OPERATIONS).
    /// With sequential scans ruled out, and the check kept a correlated subquery (`OFFSET 0`, which PostgreSQL
    /// neither pulls up into a join nor hashes), each new hit costs one probe of `hits_payment_idx` per partition
    /// whatever the statistics say. The rest of the statement and the triggers it fires are planned under the same
    /// settings (their PL/pgSQL plans for the session, as the record statement fires them first): no sequential
    /// scan where an index serves, which can still leave a join over whole indexes where the statistics mislead.
    /// JIT is off with it: PostgreSQL 15–17 cost a ruled-out sequential scan that is still taken (a table without an
    /// index) at 10^10, past `jit_above_cost`, and would compile the statement to machine code at every execution
    /// (tens of milliseconds, seen on the claim).
    static let recordSettings: Connection.LocalSettings = [("enable_seqscan", "off"), ("jit", "off")]

    /// The record statement (see `record`): `$1`…`$7` the decisions, `$8`…`$18` the hits (`HitRows.parameters`),
    /// `$19`, `$20` the screening keys (`keysParameters`); with `pruned`, each payment is looked for in the partition
    /// of its `received_at` (`$7`) only.
    ///
    /// The keys are a CTE of this statement rather than a statement before it: one round trip and one planning less per
    /// batch. The status change's statement trigger (sql/015) runs after every CTE, so it finds them and leaves them.
    static func recordStatement(pruned: Bool) -> String {
        """
            WITH decided AS (
                UPDATE chokepoint.payments AS p
                   SET status = d.status, reasons = d.reasons::text[], error = d.error, suppressions = d.suppressions::bigint[],
                       decided_at = clock_timestamp(), screened_at = clock_timestamp(), screening_run_id = $5
                  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $6::text[], $7::timestamptz[])
                       AS d(id, status, reasons, error, suppressions, received_at)
                 WHERE p.id = d.id AND p.status = 'pending'\(pruned ? " AND p.received_at = d.received_at" : "")
                RETURNING p.id),
            hits AS (
                INSERT INTO chokepoint.hits (payment_id, run_id, kind, field, matched, list, entry_id, entry_name, score, explanation,
                                             suppressed_by, identifier_type)
                SELECT h.payment_id, $5, h.kind, h.field, h.matched, h.list, h.entry_id, h.entry_name, h.score, h.explanation,
                       h.suppressed_by, h.identifier_type
                  FROM unnest($8::bigint[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                              $15::float8[], $16::text[], $17::bigint[], $18::text[])
                       AS h(payment_id, kind, field, matched, list, entry_id, entry_name, score, explanation, suppressed_by, identifier_type)
                 WHERE h.payment_id IN (SELECT id FROM decided)
                   -- A rescreen may already have recorded the same hit on a payment that was still pending.
                   AND NOT EXISTS (SELECT 1 FROM chokepoint.hits AS x
                                    WHERE x.payment_id = h.payment_id AND x.kind = h.kind AND x.field = h.field
                                      AND x.matched = h.matched AND x.list IS NOT DISTINCT FROM h.list
                                      AND x.entry_id IS NOT DISTINCT FROM h.entry_id
                                      AND x.suppressed_by IS NOT DISTINCT FROM h.suppressed_by
                                   OFFSET 0)),
            attempts AS (
                DELETE FROM chokepoint.screening_attempts AS a USING decided WHERE a.payment_id = decided.id),
            screening_keys AS (\(keysInsert(ids: "$19", keys: "$20")))
            SELECT id FROM decided
            """
    }

    /// Stores payments' rescreen prefilter keys where they are not known yet (see sql/013_screening_keys.up.sql).
    public static func storeScreeningKeys(_ c: Connection, _ keys: [(id: Int64, keys: [Int32])]) throws {
        guard !keys.isEmpty else { return }
        try c.query(keysInsert(ids: "$1", keys: "$2"), keysParameters(keys))
    }

    /// The INSERT of payments' keys where they are not known yet, from the two array parameters named (see
    /// `keysParameters`): `storeScreeningKeys`'s statement, and a CTE of the record statement.
    static func keysInsert(ids: String, keys: String) -> String {
        """
        INSERT INTO chokepoint.payment_screening_keys AS k (payment_id, keys)
        SELECT s.id, s.keys::integer[] FROM unnest(\(ids)::bigint[], \(keys)::text[]) AS s(id, keys)
        ON CONFLICT (payment_id) DO UPDATE SET keys = EXCLUDED.keys WHERE k.keys IS NULL
        """
    }

    /// Payments' keys as the two array parameters of `storeScreeningKeys` and of the record statement.
    static func keysParameters(_ keys: [(id: Int64, keys: [Int32])]) -> [String?] {
        [PostgresArray.int64(keys.map(\.id)), PostgresArray.integerArrays(keys.map(\.keys))]
    }

    /// Hits as parallel arrays, for one `unnest` insert.
    struct HitRows {
        var paymentIds: [Int64] = []
        var kind: [String] = [], field: [String] = [], matched: [String] = []
        var list: [String?] = [], entryId: [String?] = [], entryName: [String?] = []
        var score: [Double] = [], explanation: [String] = []
        var suppressedBy: [String?] = []
        var identifierType: [String?] = []

        mutating func append(_ paymentId: Int64, _ h: Hit, suppressedBy goodGuy: Int64?) {
            paymentIds.append(paymentId)
            kind.append(h.kind.rawValue); field.append(h.field); matched.append(clip(h.matched))
            list.append(h.list); entryId.append(h.entryId); entryName.append(h.entryName.map(clip))
            score.append(min(1, max(0, h.score))); explanation.append(clip(h.explanation))
            suppressedBy.append(goodGuy.map(String.init))
            identifierType.append(h.identifierType)
        }

        /// The eleven arrays, in the order of the hits INSERT in `record` (`$8`…`$18`).
        var parameters: [String?] {
            [PostgresArray.int64(paymentIds), PostgresArray.text(kind), PostgresArray.text(field),
             PostgresArray.text(matched), PostgresArray.text(list), PostgresArray.text(entryId), PostgresArray.text(entryName),
             PostgresArray.double(score), PostgresArray.text(explanation), PostgresArray.text(suppressedBy),
             PostgresArray.text(identifierType)]
        }
    }

    /// Records, in its own committed statement on a second connection, that screening these payments has
    /// started; returns each payment's attempt count including this one (see `AttemptLedger` in Daemon).
    public static func noteScreeningStarted(_ c: Connection, ids: [Int64]) throws -> [Int64: Int] {
        guard !ids.isEmpty else { return [:] }
        return try runNoteStatement(c, ids: ids)
    }

    /// `noteScreeningStarted`'s statement, sent even for no ids (`warmUp`). Prepared: it runs once per batch.
    static func runNoteStatement(_ c: Connection, ids: [Int64]) throws -> [Int64: Int] {
        counts(try c.queryPrepared(noteStatement, [PostgresArray.int64(ids)]))
    }

    /// `noteScreeningStarted` without waiting: the attempt record is sent, and the server writes and commits it while
    /// the caller screens; `collectScreeningStarted` then says which payments had been seen before. Nothing else may be
    /// sent on `c` in between.
    ///
    /// The statement returns only the payments whose count is above 1 (usually none), so the server has nothing to
    /// write to the socket before it commits: were the process to die right after sending (a poison message), a result
    /// larger than the server's 8 kB send buffer (every id of a batch of 500) would fail to reach it and the server
    /// would end the session and roll the record back, leaving that crash uncounted.
    public static func sendScreeningStarted(_ c: Connection, ids: [Int64]) throws {
        try c.send(noteEarlierStatement, [PostgresArray.int64(ids)])
    }

    /// The payments of the attempt record `sendScreeningStarted` sent whose count (including this attempt) is above 1.
    public static func collectScreeningStarted(_ c: Connection) throws -> [Int64: Int] {
        counts(try c.collect())
    }

    /// The attempt record: one more attempt for each payment of `$1`.
    static let noteInsert = """
        INSERT INTO chokepoint.screening_attempts (payment_id, attempts)
        SELECT unnest($1::bigint[]), 1
        ON CONFLICT (payment_id) DO UPDATE
           SET attempts = chokepoint.screening_attempts.attempts + 1, last_attempt_at = clock_timestamp()
        """
    /// `noteInsert` returning every payment's count (`noteScreeningStarted`).
    static let noteStatement = noteInsert + "\nRETURNING payment_id, attempts"
    /// `noteInsert` returning only the counts above 1 (`sendScreeningStarted`).
    static let noteEarlierStatement = """
        WITH noted AS (\(noteInsert)
        RETURNING payment_id, attempts)
        SELECT payment_id, attempts FROM noted WHERE attempts > 1
        """

    /// Payment id → attempts, from a result of (payment_id, attempts) rows.
    static func counts(_ r: QueryResult) -> [Int64: Int] {
        var out: [Int64: Int] = [:]
        for row in r.rows { if let id = row.int64(0), let n = row.int(1) { out[id] = n } }
        return out
    }

    /// Runs the statements of a batch once on a worker's new connections, changing nothing: the claim (of none),
    /// the attempt record and the record statement (of no payments) in transactions rolled back. A fresh
    /// connection otherwise pays for planning them, and for loading the server's caches of every partition,
    /// trigger and index they touch, in its first batch: 15–25 ms for each of a daemon's first batches on the
    /// load bench, while the payments behind them waited. The statements fire their statement triggers with
    /// empty transition tables, so the triggers' own queries are planned too where they do not return early.
    public static func warmUp(_ c: Connection, attempts: Connection) throws {
        try rolledBack(attempts) { a in
            _ = try runNoteStatement(a, ids: [])
            try sendScreeningStarted(a, ids: [])
            _ = try collectScreeningStarted(a)
        }
        try rolledBack(c) { c in
            _ = try claimWithGeneration(c, limit: 0)
            _ = try runRecordStatement(c, runId: 0, decisions: [], receivedAt: [:], committing: false)
        }
    }

    /// `body` in a transaction that is rolled back whatever it did.
    static func rolledBack(_ c: Connection, _ body: (Connection) throws -> Void) throws {
        struct RollBack: Error {}
        do {
            try c.transaction { c in
                try body(c)
                throw RollBack()
            }
        } catch is RollBack {}
    }

    /// Gives back the attempt just recorded for payments set aside from this batch, to be screened alone
    /// (they keep at least 1: they are suspects).
    public static func giveBackAttempts(_ c: Connection, ids: [Int64]) throws {
        try decrementAttempts(c, ids: ids, removeAtOne: false)
    }

    /// Forgives the attempts of payments whose transaction was lost to an outage while the process lived
    /// on: a record at 1 is removed, so the payment is not treated as a suspect. With the disk full this
    /// works for records at 1 (a delete needs no new page); a decrement may have to wait for space.
    public static func forgiveAttempts(_ c: Connection, ids: [Int64]) throws {
        try decrementAttempts(c, ids: ids, removeAtOne: true)
    }

    /// One attempt less for each payment. The rows are locked first, in id order as `noteScreeningStarted` takes
    /// them: under READ COMMITTED a statement whose snapshot predates a concurrent 1 → 2 change would
    /// otherwise neither delete nor decrement that row, and the decrement would be lost.
    static func decrementAttempts(_ c: Connection, ids: [Int64], removeAtOne: Bool) throws {
        guard !ids.isEmpty else { return }
        let array = PostgresArray.int64(ids.sorted())
        try c.transaction { c in
            try c.query("""
                SELECT 1 FROM chokepoint.screening_attempts WHERE payment_id = ANY($1::bigint[]) ORDER BY payment_id FOR UPDATE
                """, [array])
            if removeAtOne {
                try c.query("DELETE FROM chokepoint.screening_attempts WHERE payment_id = ANY($1::bigint[]) AND attempts <= 1", [array])
            }
            try c.query("UPDATE chokepoint.screening_attempts SET attempts = attempts - 1 WHERE payment_id = ANY($1::bigint[]) AND attempts > 1",
                        [array])
        }
    }

    /// Locks one pending payment by id (for screening it alone), or returns nil if it is gone or taken.
    public static func claimOne(_ c: Connection, id: Int64) throws -> ClaimedPayment? {
        try c.query("""
            SELECT id, format, message, received_at FROM chokepoint.payments WHERE id = $1 AND status = 'pending' FOR UPDATE SKIP LOCKED
            """, [String(id)]).rows.first.map {
                ClaimedPayment(id: $0.int64(0) ?? 0, format: $0.string(1) ?? "", message: $0.string(2) ?? "", receivedAt: $0.string(3))
            }
    }

    /// Starts a screening run record and returns its id.
    public static func startRun(_ c: Connection, kind: String, host: String, pid: Int32, listVersions: String) throws -> Int64 {
        let r = try c.query("""
            INSERT INTO chokepoint.screening_runs (kind, host, pid, list_versions) VALUES ($1, $2, $3, $4::jsonb) RETURNING id
            """, [kind, host, String(pid), listVersions])
        guard let id = r.rows.first?.int64(0) else { throw PostgresError(kind: .client, message: "no run id returned") }
        return id
    }

    public static func finishRun(_ c: Connection, runId: Int64, detail: String = "{}") throws {
        try c.query("UPDATE chokepoint.screening_runs SET finished_at = clock_timestamp(), detail = $2::jsonb WHERE id = $1",
                    [String(runId), detail])
    }

    /// Number of pending payments and the age of the oldest, for status lines and metrics.
    public static func queueDepth(_ c: Connection) throws -> (pending: Int, oldestAgeSeconds: Double) {
        let r = try c.query("""
            SELECT count(*), coalesce(extract(epoch FROM now() - min(received_at)), 0)
              FROM chokepoint.payments WHERE status = 'pending'
            """)
        return (r.rows.first?.int(0) ?? 0, r.rows.first?.double(1) ?? 0)
    }

    /// Text stored in hits is bounded: a hostile message must not bloat the hits table.
    public static func clip(_ s: String) -> String {
        s.count <= 500 ? s : String(s.prefix(500)) + "…"
    }
}
