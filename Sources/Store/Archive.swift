import Foundation
import Postgres

/// Archiving closed months (`chokepoint archive`): export a month's payments, hits and audit rows with
/// checksums, then detach its partitions (and drop them only when asked). See `sql/012_partitions.up.sql`.
///
/// The order makes every step safe to repeat: the export is written (files first, `SHA256SUMS` last) before
/// the database records anything, and `chokepoint.archive_detach` checks that the month still holds exactly
/// the rows exported and records the month, its checksum and the audit chain's positions that leave with it
/// in the transaction that detaches. A month recorded as archived is skipped by a later run.
public enum Archive {
    /// A calendar month (UTC), as `YYYY-MM`.
    public struct Month: Sendable, Hashable, Comparable, CustomStringConvertible {
        public let year: Int
        public let month: Int

        public init?(year: Int, month: Int) {
            guard (1...9999).contains(year), (1...12).contains(month) else { return nil }
            self.year = year
            self.month = month
        }

        /// `YYYY-MM`, or the `YYYY-MM-DD` of a month's first day as PostgreSQL prints a date.
        public init?(_ text: String) {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 2 || (parts.count == 3 && parts[2] == "01"), parts[0].count == 4, parts[1].count == 2,
                  parts[0].allSatisfy(\.isASCII), parts[1].allSatisfy(\.isASCII),
                  let y = Int(parts[0]), let m = Int(parts[1]) else { return nil }
            self.init(year: y, month: m)
        }

        public var description: String { String(format: "%04d-%02d", year, month) }
        /// The first day, for SQL `date` parameters.
        public var firstDay: String { description + "-01" }
        public var next: Month { month == 12 ? Month(year: year + 1, month: 1)! : Month(year: year, month: month + 1)! }
        /// The month's range of `timestamptz` in UTC, as literals (built from two integers: safe in COPY's SQL).
        var lowerBound: String { "'\(firstDay) 00:00:00+00'" }
        var upperBound: String { "'\(next.firstDay) 00:00:00+00'" }

        public static func < (a: Month, b: Month) -> Bool { (a.year, a.month) < (b.year, b.month) }
    }

    public struct ArchiveError: Error, CustomStringConvertible {
        public let description: String
    }

    /// What one month's export wrote.
    public struct Export: Sendable {
        public var month: Month
        public var directory: String
        public var payments: Int
        public var hits: Int
        public var auditRows: Int
        /// SHA-256 of the `SHA256SUMS` file (which names each file's SHA-256): recorded in `archived_months`.
        public var checksum: String
    }

    /// The files of one month's export, in the order written.
    public static let tables = ["payments", "hits", "audit_log"]
    static let keyColumns = ["payments": "received_at", "hits": "created_at", "audit_log": "at"]

    /// Months before `before` that still have attached partitions, oldest first.
    public static func attachedMonths(_ c: Connection, before: Month) throws -> [Month] {
        try c.query("""
            SELECT substring(k.relname FROM '^payments_y([0-9]{4})m') || '-' || substring(k.relname FROM 'm([0-9]{2})$')
              FROM pg_catalog.pg_inherits AS i JOIN pg_catalog.pg_class AS k ON k.oid = i.inhrelid
             WHERE i.inhparent = 'chokepoint.payments'::regclass AND k.relname ~ '^payments_y[0-9]{4}m[0-9]{2}$'
            """).rows.compactMap { $0.string(0).flatMap(Month.init) }.filter { $0 < before }.sorted()
    }

    /// Archived months before `before`, with whether their detached tables were dropped.
    public static func archivedMonths(_ c: Connection, before: Month) throws -> [(month: Month, dropped: Bool)] {
        try c.query("SELECT month::text, dropped_at IS NOT NULL FROM chokepoint.archived_months WHERE month < $1::date ORDER BY month",
                    [before.firstDay]).rows.compactMap { r in r.string(0).flatMap(Month.init).map { ($0, r.bool(1) ?? false) } }
    }

    /// Why a month cannot be archived yet (open payments, alerts, not over), or nil.
    public static func problem(_ c: Connection, month: Month) throws -> String? {
        try c.query("SELECT chokepoint.archive_month_problem($1::date)", [month.firstDay]).scalar
    }

    /// Writes `<directory>/<YYYY-MM>/{payments,hits,audit_log}.copy` (PostgreSQL COPY text format, in id
    /// order), `MANIFEST` (counts and the audit chain's runs with their last hashes) and `SHA256SUMS`
    /// (`sha256sum -c` reads it), all from one snapshot. Files of an earlier, unfinished run are replaced.
    public static func export(_ c: Connection, month: Month, to directory: String) throws -> Export {
        let dir = directory + "/" + month.description
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try c.transaction { c in
            try c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            var counts: [String: Int] = [:]
            var sums = ""
            for table in tables {
                let key = keyColumns[table]!
                let (rows, hash) = try writeFile(dir + "/" + table + ".copy") { emit in
                    try c.copyOut("""
                        COPY (SELECT * FROM chokepoint.\(table) WHERE \(key) >= \(month.lowerBound) AND \(key) < \(month.upperBound)
                               ORDER BY id) TO STDOUT
                        """) { try emit($0) }
                }
                counts[table] = rows
                sums += "\(hash)  \(table).copy\n"
            }
            let runs = try c.query("""
                SELECT min(chain_seq), max(chain_seq), (array_agg(row_hash ORDER BY chain_seq DESC))[1]
                  FROM (SELECT chain_seq, row_hash, chain_seq - row_number() OVER (ORDER BY chain_seq) AS run
                          FROM chokepoint.audit_log WHERE at >= $1::timestamptz AND at < $2::timestamptz AND chain_seq IS NOT NULL) AS r
                 GROUP BY run ORDER BY 1
                """, [month.firstDay + " 00:00:00+00", month.next.firstDay + " 00:00:00+00"]).rows
            var manifest = "month=\(month)\npayments=\(counts["payments"]!)\nhits=\(counts["hits"]!)\naudit_rows=\(counts["audit_log"]!)\n"
            for r in runs { manifest += "audit_run=\(r.string(0) ?? "")-\(r.string(1) ?? "") last_hash=\(r.string(2) ?? "")\n" }
            let (_, manifestHash) = try writeFile(dir + "/MANIFEST") { emit in
                try Array(manifest.utf8).withUnsafeBytes { try emit($0) }
            }
            sums += "\(manifestHash)  MANIFEST\n"
            let (_, sumsHash) = try writeFile(dir + "/SHA256SUMS") { emit in
                try Array(sums.utf8).withUnsafeBytes { try emit($0) }
            }
            return Export(month: month, directory: dir, payments: counts["payments"]!, hits: counts["hits"]!,
                          auditRows: counts["audit_log"]!, checksum: sumsHash)
        }
    }

    /// Records the month as archived and detaches its partitions (the database checks again that it is
    /// closed and holds what was exported). Waits at most `lockTimeout` seconds for the daemon's transactions.
    public static func detach(_ c: Connection, _ export: Export, lockTimeout: Int = 30) throws -> String {
        try c.transaction { c in
            try c.query("SELECT set_config('lock_timeout', $1, true)", ["\(max(1, lockTimeout))s"])
            return try c.query("SELECT chokepoint.archive_detach($1::date, $2, $3, $4, $5)",
                               [export.month.firstDay, String(export.payments), String(export.hits), String(export.auditRows),
                                export.checksum]).scalar ?? ""
        }
    }

    /// Drops the detached tables of an archived month.
    public static func drop(_ c: Connection, month: Month) throws -> String {
        try c.query("SELECT chokepoint.archive_drop($1::date)", [month.firstDay]).scalar ?? ""
    }

    /// Streams bytes into `<path>.partial`, syncs it and renames it to `path`; returns the rows written
    /// (calls of `emit`) and the file's SHA-256.
    static func writeFile(_ path: String, _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> (Int, String) {
        let partial = path + ".partial"
        let fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw ArchiveError(description: "cannot create \(partial): \(String(cString: strerror(errno)))") }
        var closed = false
        defer { if !closed { close(fd) } }
        var hasher = SHA256.Hasher()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var rows = 0
        func flush() throws {
            var offset = 0
            while offset < buffer.count {
                let n = buffer.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                guard n > 0 else { throw ArchiveError(description: "cannot write \(partial): \(String(cString: strerror(errno)))") }
                offset += n
            }
            buffer.removeAll(keepingCapacity: true)
        }
        try body { bytes in
            rows += 1
            hasher.update(bytes)
            buffer.append(contentsOf: bytes)
            if buffer.count >= 1 << 20 { try flush() }
        }
        try flush()
        guard fsync(fd) == 0 else { throw ArchiveError(description: "cannot sync \(partial): \(String(cString: strerror(errno)))") }
        close(fd)
        closed = true
        guard rename(partial, path) == 0 else { throw ArchiveError(description: "cannot rename \(partial): \(String(cString: strerror(errno)))") }
        return (rows, hasher.finalizeHex())
    }
}
