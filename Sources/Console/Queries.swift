import Foundation
import Messages
import Postgres
import Watchlists

/// What the console reads and calls, as the logged-in role. Reads go to the views and tables that
/// `chokepoint_operator` (or `chokepoint_auditor`) may select; every change is one call of an API
/// function, so the database decides who may do what. Every value travels as a bind parameter.
enum Queries {
    // MARK: - Login

    /// What the role may do in the console: nil for a role that is neither operator nor auditor, or a
    /// superuser (the console is for people, and a superuser's session would bypass every rule).
    static func capabilities(_ c: Connection) throws -> (isOperator: Bool, isAuditor: Bool)? {
        let row = try c.query("""
            SELECT r.rolsuper,
                   pg_catalog.pg_has_role(session_user, 'chokepoint_operator', 'USAGE'),
                   pg_catalog.pg_has_role(session_user, 'chokepoint_auditor', 'USAGE')
              FROM pg_catalog.pg_roles AS r WHERE r.rolname = session_user
            """).rows.first
        guard let row, row.bool(0) == false else { return nil }
        let op = row.bool(1) ?? false, aud = row.bool(2) ?? false
        return op || aud ? (op, aud) : nil
    }

    // MARK: - Queue

    struct Hold: Sendable {
        var paymentId: Int64
        var externalRef: String
        var format: String
        var receivedAt: String
        var ageSeconds: Double
        var reasons: [String]
        var needsFourEyes: Bool
        var releaseRequestedBy: [String]
        var lists: [String]
        var hitCount: Int
        var amount: String?
        var currency: String?
    }

    /// Every open hold, oldest first, filtered in the database by reason, age and list; the amount is read
    /// from the message here (the schema keeps no amount), so the caller filters by amount.
    static func openHolds(_ c: Connection, reason: String?, minAgeHours: Int?, list: String?) throws -> [Hold] {
        let rows = try c.query("""
            SELECT h.payment_id, h.external_ref, h.format, to_char(h.received_at, 'YYYY-MM-DD HH24:MI:SS TZ'),
                   extract(epoch FROM now() - h.received_at)::float8, h.reasons::text, h.needs_four_eyes,
                   coalesce(h.release_requested_by, '{}')::text,
                   coalesce((SELECT array_agg(DISTINCT x ->> 'list') FROM jsonb_array_elements(h.hits) AS x
                              WHERE x ->> 'list' IS NOT NULL), '{}')::text,
                   coalesce(jsonb_array_length(h.hits), 0), p.message
              FROM chokepoint.open_holds AS h JOIN chokepoint.payments AS p ON p.id = h.payment_id
             WHERE ($1::text IS NULL OR $1 = ANY (h.reasons))
               AND ($2::int IS NULL OR h.received_at <= now() - $2::int * interval '1 hour')
               AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM jsonb_array_elements(h.hits) AS x WHERE x ->> 'list' = $3))
             ORDER BY h.received_at, h.payment_id
            """, [reason, minAgeHours.map(String.init), list])
        return rows.rows.map { r in
            let payment = try? MessageParser.parse(format: r.string(2) ?? "", message: r.string(10) ?? "")
            return Hold(paymentId: r.int64(0) ?? 0, externalRef: r.string(1) ?? "", format: r.string(2) ?? "",
                        receivedAt: r.string(3) ?? "", ageSeconds: r.double(4) ?? 0,
                        reasons: PostgresArray.parseText(r.string(5) ?? "{}").compactMap { $0 },
                        needsFourEyes: r.bool(6) ?? false,
                        releaseRequestedBy: PostgresArray.parseText(r.string(7) ?? "{}").compactMap { $0 },
                        lists: PostgresArray.parseText(r.string(8) ?? "{}").compactMap { $0 },
                        hitCount: r.int(9) ?? 0, amount: payment?.amount, currency: payment?.currency)
        }
    }

    /// Open holds by reason, over the whole queue.
    static func holdCounts(_ c: Connection) throws -> [(reason: String, count: Int)] {
        try c.query("""
            SELECT r, count(*) FROM chokepoint.open_holds AS h, unnest(h.reasons) AS r GROUP BY r ORDER BY r
            """).rows.map { ($0.string(0) ?? "", $0.int(1) ?? 0) }
    }

    /// The list sources that hits of open holds name, for the queue's filter.
    static func holdLists(_ c: Connection) throws -> [String] {
        try c.query("""
            SELECT DISTINCT x ->> 'list' FROM chokepoint.open_holds AS h, jsonb_array_elements(h.hits) AS x
             WHERE x ->> 'list' IS NOT NULL ORDER BY 1
            """).rows.compactMap { $0.string(0) }
    }

    // MARK: - One payment

    struct Payment: Sendable {
        var id: Int64
        var externalRef: String
        var format: String
        var status: String
        var receivedAt: String
        var decidedAt: String?
        var reasons: [String]
        var error: String?
        var message: String
    }

    struct Hit: Sendable {
        var id: Int64
        var kind: String
        var field: String
        var matched: String
        var list: String?
        var entryId: String?
        var entryName: String?
        var score: Double
        var explanation: String?
        var identifierType: String?
        /// The list entry's record, from the current version if it is still listed, else the newest that has it.
        var entry: ListEntry?
        var entryVersion: Int64?
        var entryIsCurrent: Bool
        /// Operators who asked for this party to be remembered as a false positive, awaiting a second operator.
        var goodGuyRequestedBy: [String]
    }

    struct ReleaseRequest: Sendable {
        var requestedBy: String
        var reason: String
        var requestedAt: String
    }

    struct AuditEntry: Sendable {
        var at: String
        var actor: String
        var action: String
        var reason: String?
        var detail: String
    }

    static func payment(_ c: Connection, id: Int64) throws -> Payment? {
        guard let r = try c.query("""
            SELECT id, external_ref, format, status, to_char(received_at, 'YYYY-MM-DD HH24:MI:SS TZ'),
                   to_char(decided_at, 'YYYY-MM-DD HH24:MI:SS TZ'), reasons::text, error, message
              FROM chokepoint.payments WHERE id = $1
            """, [String(id)]).rows.first else { return nil }
        return Payment(id: r.int64(0) ?? id, externalRef: r.string(1) ?? "", format: r.string(2) ?? "", status: r.string(3) ?? "",
                       receivedAt: r.string(4) ?? "", decidedAt: r.string(5),
                       reasons: PostgresArray.parseText(r.string(6) ?? "{}").compactMap { $0 }, error: r.string(7),
                       message: r.string(8) ?? "")
    }

    /// The hits that hold the payment (those a good-guy record suppressed are left out, as in open_holds).
    static func hits(_ c: Connection, paymentId: Int64) throws -> [Hit] {
        let rows = try c.query("""
            SELECT h.id, h.kind, h.field, h.matched, h.list, h.entry_id, h.entry_name, h.score::float8, h.explanation,
                   h.identifier_type, e.data::text, e.version_id, e.is_current,
                   coalesce((SELECT array_agg(g.created_by ORDER BY g.id) FROM chokepoint.good_guys AS g
                              WHERE g.field = h.field AND g.matched = h.matched AND g.list = h.list AND g.entry_id = h.entry_id
                                AND g.approved_at IS NULL AND g.revoked_at IS NULL), '{}')::text
              FROM chokepoint.hits AS h
              LEFT JOIN LATERAL (
                    SELECT le.data, le.version_id, v.is_current FROM chokepoint.list_entries AS le
                      JOIN chokepoint.list_versions AS v ON v.id = le.version_id
                     WHERE v.source = h.list AND le.source_id = h.entry_id
                     ORDER BY v.is_current DESC, v.id DESC LIMIT 1) AS e ON h.list IS NOT NULL AND h.entry_id IS NOT NULL
             WHERE h.payment_id = $1 AND h.suppressed_by IS NULL
             ORDER BY h.id
            """, [String(paymentId)])
        let decoder = JSONDecoder()
        return rows.rows.map { r in
            Hit(id: r.int64(0) ?? 0, kind: r.string(1) ?? "", field: r.string(2) ?? "", matched: r.string(3) ?? "",
                list: r.string(4), entryId: r.string(5), entryName: r.string(6), score: r.double(7) ?? 0,
                explanation: r.string(8), identifierType: r.string(9),
                entry: r.string(10).flatMap { try? decoder.decode(ListEntry.self, from: Data($0.utf8)) },
                entryVersion: r.int64(11), entryIsCurrent: r.bool(12) ?? false,
                goodGuyRequestedBy: PostgresArray.parseText(r.string(13) ?? "{}").compactMap { $0 })
        }
    }

    static func releaseRequests(_ c: Connection, paymentId: Int64) throws -> [ReleaseRequest] {
        try c.query("""
            SELECT requested_by, reason, to_char(requested_at, 'YYYY-MM-DD HH24:MI:SS TZ')
              FROM chokepoint.release_requests WHERE payment_id = $1 ORDER BY requested_at
            """, [String(paymentId)]).rows.map { ReleaseRequest(requestedBy: $0.string(0) ?? "", reason: $0.string(1) ?? "",
                                                                requestedAt: $0.string(2) ?? "") }
    }

    static func history(_ c: Connection, paymentId: Int64) throws -> [AuditEntry] {
        try c.query("""
            SELECT to_char(at, 'YYYY-MM-DD HH24:MI:SS TZ'), actor, action, reason, detail::text
              FROM chokepoint.audit_log WHERE payment_id = $1 ORDER BY chain_seq NULLS FIRST, id
            """, [String(paymentId)]).rows.map { AuditEntry(at: $0.string(0) ?? "", actor: $0.string(1) ?? "",
                                                            action: $0.string(2) ?? "", reason: $0.string(3),
                                                            detail: $0.string(4) ?? "") }
    }

    // MARK: - Actions (API functions only)

    /// `chokepoint.release_hold`: releases, or on a four-eyes hold records the first operator's request.
    static func release(_ c: Connection, paymentId: Int64, reason: String) throws -> String {
        try c.query("SELECT chokepoint.release_hold($1, $2)", [String(paymentId), reason]).scalar ?? ""
    }

    static func reject(_ c: Connection, paymentId: Int64, reason: String) throws -> String {
        try c.query("SELECT chokepoint.reject_hold($1, $2)", [String(paymentId), reason]).scalar ?? ""
    }

    /// `chokepoint.add_good_guy`: the first operator requests, a second confirms. Returns the record and
    /// whether it is now in force.
    static func addGoodGuy(_ c: Connection, hitId: Int64, reason: String) throws -> (id: Int64, approved: Bool) {
        let id = try c.query("SELECT chokepoint.add_good_guy($1, $2)", [String(hitId), reason]).rows.first?.int64(0) ?? 0
        let approved = try c.query("SELECT approved_at IS NOT NULL FROM chokepoint.good_guys WHERE id = $1", [String(id)])
            .rows.first?.bool(0) ?? false
        return (id, approved)
    }

    /// The payment a hit belongs to (to go back to its page after an action on the hit).
    static func paymentOfHit(_ c: Connection, hitId: Int64) throws -> Int64? {
        try c.query("SELECT payment_id FROM chokepoint.hits WHERE id = $1", [String(hitId)]).rows.first?.int64(0)
    }

    static func acknowledgeAlert(_ c: Connection, alertId: Int64, reason: String) throws -> String {
        try c.query("SELECT chokepoint.acknowledge_alert($1, $2)", [String(alertId), reason]).scalar ?? ""
    }

    // MARK: - Retrospective alerts

    struct Alert: Sendable {
        var id: Int64
        var paymentId: Int64
        var externalRef: String
        var status: String
        var kind: String
        var field: String
        var matched: String
        var list: String?
        var entryId: String?
        var entryName: String?
        var score: Double
        var createdAt: String
        var acknowledgedBy: String?
        var acknowledgedAt: String?
        var acknowledgeReason: String?
    }

    static func alerts(_ c: Connection, open: Bool, limit: Int = 200) throws -> [Alert] {
        try c.query("""
            SELECT a.id, a.payment_id, p.external_ref, p.status, a.kind, a.field, a.matched, a.list, a.entry_id, a.entry_name,
                   a.score::float8, to_char(a.created_at, 'YYYY-MM-DD HH24:MI:SS TZ'), a.acknowledged_by,
                   to_char(a.acknowledged_at, 'YYYY-MM-DD HH24:MI:SS TZ'), a.acknowledge_reason
              FROM chokepoint.retrospective_alerts AS a JOIN chokepoint.payments AS p ON p.id = a.payment_id
             WHERE (a.acknowledged_at IS NULL) = $1
             ORDER BY CASE WHEN $1 THEN a.created_at END, a.acknowledged_at DESC, a.id
             LIMIT $2
            """, [open ? "true" : "false", String(limit)]).rows.map { r in
            Alert(id: r.int64(0) ?? 0, paymentId: r.int64(1) ?? 0, externalRef: r.string(2) ?? "", status: r.string(3) ?? "",
                  kind: r.string(4) ?? "", field: r.string(5) ?? "", matched: r.string(6) ?? "", list: r.string(7),
                  entryId: r.string(8), entryName: r.string(9), score: r.double(10) ?? 0, createdAt: r.string(11) ?? "",
                  acknowledgedBy: r.string(12), acknowledgedAt: r.string(13), acknowledgeReason: r.string(14))
        }
    }

    // MARK: - Lists

    struct ListStatus: Sendable {
        var source: String
        var versionId: Int64
        var entries: Int
        var loadedAt: String
        var loadedBy: String
        var warnings: Int
        var previousVersionId: Int64?
        var previousLoadedAt: String?
        var added: Int
        var removed: Int
        var changed: Int
    }

    /// Each source's current version and what changed against the version it replaced: the diff every import
    /// records in `list_changes` (see `ListStore.importList`), counted, not computed again from the entries.
    static func listStatus(_ c: Connection) throws -> [ListStatus] {
        try c.query("""
            SELECT cur.source, cur.id, cur.entry_count, to_char(cur.loaded_at, 'YYYY-MM-DD HH24:MI:SS TZ'), cur.loaded_by,
                   cardinality(cur.warnings), prev.id, to_char(prev.loaded_at, 'YYYY-MM-DD HH24:MI:SS TZ'),
                   count(*) FILTER (WHERE ch.change = 'added'), count(*) FILTER (WHERE ch.change = 'removed'),
                   count(*) FILTER (WHERE ch.change = 'changed')
              FROM chokepoint.list_versions AS cur
              LEFT JOIN chokepoint.list_versions AS prev ON prev.id = cur.previous_version_id
              LEFT JOIN chokepoint.list_changes AS ch ON ch.version_id = cur.id
             WHERE cur.is_current
             GROUP BY cur.source, cur.id, prev.id
             ORDER BY cur.source
            """).rows.map { r in
            ListStatus(source: r.string(0) ?? "", versionId: r.int64(1) ?? 0, entries: r.int(2) ?? 0, loadedAt: r.string(3) ?? "",
                       loadedBy: r.string(4) ?? "", warnings: r.int(5) ?? 0, previousVersionId: r.int64(6),
                       previousLoadedAt: r.string(7), added: r.int(8) ?? 0, removed: r.int(9) ?? 0, changed: r.int(10) ?? 0)
        }
    }

    // MARK: - Daily summary

    struct DaySummary: Sendable {
        var screened: Int
        var heldByReason: [(reason: String, count: Int)]
        var held: Int
        var releasedAutomatically: Int
        var releasedByOperators: Int
        var rejected: Int
        /// Median seconds from the hold to the operator's release or rejection, over that day's decisions.
        var medianSecondsToDecision: Double?
    }

    /// One day (in the database's time zone), read from the audit log: every decision and operator action is there.
    static func summary(_ c: Connection, day: String) throws -> DaySummary {
        let counts = try c.query("""
            SELECT count(*) FILTER (WHERE action = 'decision'),
                   count(*) FILTER (WHERE action = 'decision' AND detail ->> 'to' = 'held'),
                   count(*) FILTER (WHERE action = 'decision' AND detail ->> 'to' = 'released'),
                   count(*) FILTER (WHERE action = 'release_hold'),
                   count(*) FILTER (WHERE action = 'reject_hold')
              FROM chokepoint.audit_log WHERE at >= $1::date AND at < $1::date + 1
            """, [day]).rows.first
        let byReason = try c.query("""
            SELECT r, count(*) FROM chokepoint.audit_log AS a, jsonb_array_elements_text(a.detail -> 'reasons') AS r
             WHERE a.action = 'decision' AND a.detail ->> 'to' = 'held' AND a.at >= $1::date AND a.at < $1::date + 1
             GROUP BY r ORDER BY r
            """, [day]).rows.map { ($0.string(0) ?? "", $0.int(1) ?? 0) }
        let median = try c.query("""
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.at - d.at))
              FROM chokepoint.audit_log AS a
              JOIN LATERAL (SELECT x.at FROM chokepoint.audit_log AS x
                             WHERE x.payment_id = a.payment_id AND x.action = 'decision' AND x.detail ->> 'to' = 'held'
                             ORDER BY x.id LIMIT 1) AS d ON true
             WHERE a.action IN ('release_hold', 'reject_hold') AND a.at >= $1::date AND a.at < $1::date + 1
            """, [day]).scalar.flatMap(Double.init)
        return DaySummary(screened: counts?.int(0) ?? 0, heldByReason: byReason, held: counts?.int(1) ?? 0,
                          releasedAutomatically: counts?.int(2) ?? 0, releasedByOperators: counts?.int(3) ?? 0,
                          rejected: counts?.int(4) ?? 0, medianSecondsToDecision: median)
    }

    /// The `days` days up to `day`: screened, held, and decided by operators, for the chart.
    static func dailySeries(_ c: Connection, day: String, days: Int) throws -> [HTML.ChartDay] {
        try c.query("""
            SELECT to_char(d, 'MM-DD'),
                   count(a.id) FILTER (WHERE a.action = 'decision'),
                   count(a.id) FILTER (WHERE a.action = 'decision' AND a.detail ->> 'to' = 'held'),
                   count(a.id) FILTER (WHERE a.action IN ('release_hold', 'reject_hold'))
              FROM generate_series($1::date - ($2::int - 1), $1::date, interval '1 day') AS d
              LEFT JOIN chokepoint.audit_log AS a ON a.at >= d AND a.at < d + interval '1 day'
                    AND a.action IN ('decision', 'release_hold', 'reject_hold')
             GROUP BY d ORDER BY d
            """, [day, String(days)]).rows.map {
            HTML.ChartDay(label: $0.string(0) ?? "", screened: $0.int(1) ?? 0, held: $0.int(2) ?? 0, decided: $0.int(3) ?? 0)
        }
    }

    /// Today's date in the database's time zone, the summary's default day.
    static func today(_ c: Connection) throws -> String {
        try c.query("SELECT to_char(current_date, 'YYYY-MM-DD')").scalar ?? ""
    }
}
