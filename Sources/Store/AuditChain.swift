import Foundation
import Postgres

/// The audit log's hash chain, recomputed outside the database (`chokepoint audit verify`).
///
/// Each row of `chokepoint.audit_log` carries `chain_seq` (its gapless position), `prev_hash` (the
/// `row_hash` of the position before; 64 zeros for the first) and `row_hash`, which the inserting trigger
/// computes as the hex SHA-256 of `prev_hash` followed by the encoded fields (see `sql/007_security.up.sql`):
/// `enc(NULL) = "N;"`, `enc(v) = "<bytes of v>:" + v + ";"`. Rewriting a row changes its hash; deleting one
/// leaves a gap in positions and a `prev_hash` that no longer matches; a row inserted with triggers
/// disabled has no position. Rewriting the whole tail consistently is possible for a superuser, which is
/// why the head is also kept outside the database (`AuditAnchor`).
public enum AuditChain {
    public static let genesis = String(repeating: "0", count: 64)

    /// One audit row as the chain sees it: every field as PostgreSQL renders it in text.
    public struct Row: Sendable, Equatable {
        public var id: Int64
        public var seq: Int64?
        public var prevHash: String?
        public var rowHash: String?
        /// `at` in microseconds since 1970, as text.
        public var atMicros: String
        public var actor: String?
        public var action: String?
        public var paymentId: String?
        public var reason: String?
        /// `detail::text` (jsonb's canonical text form).
        public var detail: String?

        public init(id: Int64, seq: Int64?, prevHash: String?, rowHash: String?, atMicros: String, actor: String?,
                    action: String?, paymentId: String?, reason: String?, detail: String?) {
            self.id = id
            self.seq = seq
            self.prevHash = prevHash
            self.rowHash = rowHash
            self.atMicros = atMicros
            self.actor = actor
            self.action = action
            self.paymentId = paymentId
            self.reason = reason
            self.detail = detail
        }
    }

    /// The hash a row must carry, given the hash of the row before it.
    public static func hash(of r: Row, seq: Int64, prev: String) -> String {
        var bytes: [UInt8] = Array(prev.utf8)
        func field(_ v: String?) {
            guard let v else { bytes += Array("N;".utf8); return }
            let b = Array(v.utf8)
            bytes += Array("\(b.count):".utf8)
            bytes += b
            bytes.append(UInt8(ascii: ";"))
        }
        field(String(seq)); field(String(r.id)); field(r.atMicros); field(r.actor); field(r.action)
        field(r.paymentId); field(r.reason); field(r.detail)
        return SHA256.hex(bytes)
    }

    /// One thing wrong with the chain, named by the first row it concerns.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        /// The row's content does not match its hash: it was changed after it was written.
        case edited(id: Int64, seq: Int64)
        /// Positions `from...to` are missing: those rows were deleted.
        case deleted(from: Int64, to: Int64, nextId: Int64?)
        /// The row's prev_hash is not the hash of the row before it (rows inserted or rewritten in between).
        case unlinked(id: Int64, seq: Int64)
        /// The row has no position or hash: inserted with the chain trigger disabled.
        case unchained(id: Int64)
        /// The chain head (the last position written) is beyond the last row present.
        case tailDeleted(lastPresent: Int64, head: Int64)
        /// The chain head's hash differs from the last row's.
        case headMismatch(seq: Int64)
        /// An anchor kept outside the database names a position whose hash differs (or that is gone).
        case anchorMismatch(anchor: AuditAnchor, found: String?)
        /// The row after an archived run does not follow the hash recorded for that run's last row.
        case archiveLinkBroken(id: Int64, seq: Int64)
        /// The chain head names a hash other than the one recorded for the archived run it ends with.
        case archivedHeadMismatch(seq: Int64)

        public var description: String {
            switch self {
            case .edited(let id, let seq):
                return "audit row id \(id) (chain position \(seq)) was edited: its content does not match its hash"
            case .deleted(let from, let to, let next):
                let which = from == to ? "position \(from) is" : "positions \(from)-\(to) are"
                return "audit chain \(which) missing: the row\(from == to ? " was" : "s were") deleted"
                    + (next.map { " (the next row present is id \($0))" } ?? "")
            case .unlinked(let id, let seq):
                return "audit row id \(id) (chain position \(seq)) does not follow the row before it: a row was inserted, deleted or rewritten before it"
            case .unchained(let id):
                return "audit row id \(id) is not in the chain (no position or hash): it was inserted with the chain trigger disabled (forged insert)"
            case .tailDeleted(let last, let head):
                return "audit chain positions \(last + 1)-\(head) are missing: the newest rows were deleted (the chain head is at \(head))"
            case .headMismatch(let seq):
                return "the chain head does not match the audit row at position \(seq): the head or the row was rewritten"
            case .anchorMismatch(let a, let found):
                if let found {
                    return "the audit log before the anchor of \(a.at) was rewritten: position \(a.seq) has hash \(found.prefix(16))…, the anchor says \(a.hash.prefix(16))…"
                }
                return "the audit row at position \(a.seq), named by the anchor of \(a.at), is missing: the log before that anchor was rewritten"
            case .archiveLinkBroken(let id, let seq):
                return "audit row id \(id) (chain position \(seq)) does not follow the archived row before it: the record of the archived "
                    + "months (chokepoint.audit_archived_runs) or this row was changed"
            case .archivedHeadMismatch(let seq):
                return "the chain head does not match the archived audit row at position \(seq): the head or the archive's record was rewritten"
            }
        }
    }

    /// The outcome of a verification.
    public struct Report: Sendable {
        public var rowsChecked = 0
        public var firstSeq: Int64?
        public var lastSeq: Int64?
        public var lastHash: String?
        public var anchorsChecked = 0
        /// Anchors naming a position inside an archived run (not its last row): not checkable in the database.
        public var anchorsArchived = 0
        /// Chain positions that left with archived months, accounted for by `chokepoint.audit_archived_runs`.
        public var positionsArchived: Int64 = 0
        public var problems: [Problem] = []
        public var intact: Bool { problems.isEmpty }
    }

    /// A run of consecutive chain positions that left with an archived month, and the hash of its last row.
    public struct ArchivedRun: Sendable, Equatable {
        public var firstSeq: Int64
        public var lastSeq: Int64
        public var lastHash: String
        public init(firstSeq: Int64, lastSeq: Int64, lastHash: String) {
            self.firstSeq = firstSeq
            self.lastSeq = lastSeq
            self.lastHash = lastHash
        }
    }

    /// Walks rows in chain order and reports what is wrong; pure, so it is tested without a database.
    /// `startPrev` is the hash the first row must follow (`genesis` from the start, or the first row's own
    /// prev_hash when verifying from the middle, which is then trusted).
    public struct Walker: Sendable {
        public private(set) var report = Report()
        private var expectedSeq: Int64?
        private var prev: String?
        /// Archived runs by their last position.
        private let archived: [Int64: ArchivedRun]

        /// `archived`: the runs archived months took away (`chokepoint.audit_archived_runs`). A gap in the
        /// positions is accepted only where they cover it exactly, and the row after it must follow the
        /// recorded hash of the run that ends just before it.
        public init(startSeq: Int64? = 1, startPrev: String? = genesis, archived: [ArchivedRun] = []) {
            expectedSeq = startSeq
            prev = startPrev
            self.archived = Dictionary(archived.map { ($0.lastSeq, $0) }, uniquingKeysWith: { a, _ in a })
        }

        /// The hash of the archived row at `upTo` if archived runs cover every position from `from` to `upTo`.
        func archivedCover(from: Int64, upTo: Int64) -> String? {
            guard upTo >= from, let last = archived[upTo] else { return nil }
            var cursor = last.firstSeq - 1
            while cursor >= from {
                guard let run = archived[cursor] else { return nil }
                cursor = run.firstSeq - 1
            }
            return last.lastHash
        }

        /// The archived run whose positions include `seq`, if any.
        public func archivedRun(containing seq: Int64) -> ArchivedRun? {
            archived.values.first { $0.firstSeq <= seq && seq <= $0.lastSeq }
        }

        public mutating func feed(_ r: Row) {
            guard let seq = r.seq, let rowHash = r.rowHash, let prevHash = r.prevHash else {
                report.problems.append(.unchained(id: r.id))
                return
            }
            report.rowsChecked += 1
            if report.firstSeq == nil { report.firstSeq = seq }
            let expected = expectedSeq ?? seq
            let linkBroken: Bool
            if seq > expected, let archivedHash = archivedCover(from: expected, upTo: seq - 1) {
                report.positionsArchived += seq - expected
                if archivedHash != prevHash { report.problems.append(.archiveLinkBroken(id: r.id, seq: seq)) }
                linkBroken = false
            } else if seq > expected {
                report.problems.append(.deleted(from: expected, to: seq - 1, nextId: r.id))
                linkBroken = false  // the gap explains the link; do not report it twice
            } else {
                linkBroken = prev.map { $0 != prevHash } ?? false
            }
            if linkBroken { report.problems.append(.unlinked(id: r.id, seq: seq)) }
            if AuditChain.hash(of: r, seq: seq, prev: prevHash) != rowHash {
                report.problems.append(.edited(id: r.id, seq: seq))
            }
            expectedSeq = seq + 1
            prev = rowHash
            report.lastSeq = seq
            report.lastHash = rowHash
        }

        /// Compares the end of the walk with the chain head kept in the database.
        public mutating func finish(head: (seq: Int64, hash: String)?) {
            guard let head else { return }
            let last = report.lastSeq ?? 0
            if head.seq > last, let archivedHash = archivedCover(from: (expectedSeq ?? 1), upTo: head.seq) {
                // The newest positions were archived (a month archived with nothing written since).
                report.positionsArchived += head.seq - (expectedSeq ?? 1) + 1
                if archivedHash != head.hash { report.problems.append(.archivedHeadMismatch(seq: head.seq)) }
            } else if head.seq > last {
                report.problems.append(.tailDeleted(lastPresent: last, head: head.seq))
            } else if head.seq == last, let h = report.lastHash, h != head.hash {
                report.problems.append(.headMismatch(seq: last))
            }
        }

        public mutating func skipArchived(anchor: AuditAnchor) {
            report.anchorsArchived += 1
        }

        public mutating func check(anchor: AuditAnchor, found: String?) {
            report.anchorsChecked += 1
            if found != anchor.hash { report.problems.append(.anchorMismatch(anchor: anchor, found: found)) }
        }
    }
}

/// The chain head written down outside the database: `<time> chain_seq=<n> row_hash=<hex>`, one a line.
public struct AuditAnchor: Sendable, Equatable {
    public var at: String
    public var seq: Int64
    public var hash: String

    public init(at: String, seq: Int64, hash: String) {
        self.at = at
        self.seq = seq
        self.hash = hash
    }

    public var line: String { "\(at) chain_seq=\(seq) row_hash=\(hash)" }

    public enum ParseError: Error, CustomStringConvertible, Equatable {
        case badLine(Int, String)
        public var description: String {
            switch self {
            case .badLine(let n, let text): return "anchor file line \(n) is not '<time> chain_seq=<n> row_hash=<64 hex digits>': \(text.prefix(80))"
            }
        }
    }

    /// Reads an anchor file; blank lines and lines starting with `#` are skipped, anything else malformed is an error.
    public static func parse(_ text: String) throws -> [AuditAnchor] {
        var out: [AuditAnchor] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: " ")
            guard parts.count == 3, parts[1].hasPrefix("chain_seq="), parts[2].hasPrefix("row_hash="),
                  let seq = Int64(parts[1].dropFirst("chain_seq=".count)), seq >= 0 else {
                throw ParseError.badLine(i + 1, line)
            }
            let hash = String(parts[2].dropFirst("row_hash=".count))
            guard hash.count == 64, hash.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { throw ParseError.badLine(i + 1, line) }
            out.append(AuditAnchor(at: String(parts[0]), seq: seq, hash: hash))
        }
        return out
    }
}

/// Reads the audit chain from the database.
public enum AuditStore {
    public enum AuditError: Error, CustomStringConvertible, Equatable {
        case noSuchRow(Int64)
        case noChain
        public var description: String {
            switch self {
            case .noSuchRow(let id): return "audit row id \(id) does not exist or is not in the chain"
            case .noChain: return "the audit log has no hash chain (schema older than version 7?)"
            }
        }
    }

    /// The chain head: the position and hash of the last row written.
    public static func head(_ c: Connection) throws -> (seq: Int64, hash: String)? {
        guard let row = try c.query("SELECT seq, hash FROM chokepoint.audit_chain_head").rows.first,
              let seq = row.int64(0), let hash = row.string(1) else { return nil }
        return (seq, hash)
    }

    /// A new anchor for the current head, stamped with the server's clock in UTC.
    public static func anchor(_ c: Connection) throws -> AuditAnchor {
        let r = try c.query("""
            SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), seq, hash FROM chokepoint.audit_chain_head
            """)
        guard let row = r.rows.first, let at = row.string(0), let seq = row.int64(1), let hash = row.string(2) else {
            throw AuditError.noChain
        }
        return AuditAnchor(at: at, seq: seq, hash: hash)
    }

    /// Recomputes the chain from position 1, or from the row with id `fromId` (whose prev_hash is then
    /// trusted), checks the head and every anchor, and reports all problems found (first one first).
    public static func verify(_ c: Connection, fromId: Int64? = nil, anchors: [AuditAnchor] = [], pageSize: Int = 5000) throws -> AuditChain.Report {
        let columns = """
            id, chain_seq, prev_hash, row_hash, (extract(epoch FROM at) * 1000000)::bigint::text, actor, action,
            payment_id::text, reason, detail::text
            """
        func row(_ r: Row) -> AuditChain.Row {
            AuditChain.Row(id: r.int64(0) ?? 0, seq: r.int64(1), prevHash: r.string(2), rowHash: r.string(3), atMicros: r.string(4) ?? "",
                           actor: r.string(5), action: r.string(6), paymentId: r.string(7), reason: r.string(8), detail: r.string(9))
        }
        return try c.transaction { c in
            // One snapshot for the walk, the head and the anchors.
            try c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let archived = try c.query("SELECT first_seq, last_seq, last_hash FROM chokepoint.audit_archived_runs ORDER BY first_seq").rows.map {
                AuditChain.ArchivedRun(firstSeq: $0.int64(0) ?? 0, lastSeq: $0.int64(1) ?? 0, lastHash: $0.string(2) ?? "")
            }
            var walker: AuditChain.Walker
            var after: Int64
            if let fromId {
                guard let start = try c.query("SELECT chain_seq, prev_hash FROM chokepoint.audit_log WHERE id = $1 AND chain_seq IS NOT NULL",
                                              [String(fromId)]).rows.first, let seq = start.int64(0) else {
                    throw AuditError.noSuchRow(fromId)
                }
                walker = AuditChain.Walker(startSeq: seq, startPrev: start.string(1), archived: archived)
                after = seq - 1
            } else {
                walker = AuditChain.Walker(archived: archived)
                after = 0
            }
            while true {
                let page = try c.query("""
                    SELECT \(columns) FROM chokepoint.audit_log WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2
                    """, [String(after), String(pageSize)])
                for r in page.rows { walker.feed(row(r)) }
                guard page.rows.count == pageSize, let last = page.rows.last?.int64(1) else { break }
                after = last
            }
            for r in try c.query("SELECT \(columns) FROM chokepoint.audit_log WHERE chain_seq IS NULL OR row_hash IS NULL ORDER BY id").rows {
                walker.feed(row(r))
            }
            walker.finish(head: try head(c))
            for a in anchors {
                var found = try c.query("SELECT row_hash FROM chokepoint.audit_log WHERE chain_seq = $1", [String(a.seq)]).rows.first?.string(0)
                if found == nil, let run = walker.archivedRun(containing: a.seq) {
                    // Archived: the record keeps the hash of each run's last row only.
                    guard run.lastSeq == a.seq else { walker.skipArchived(anchor: a); continue }
                    found = run.lastHash
                }
                walker.check(anchor: a, found: found)
            }
            return walker.report
        }
    }
}
