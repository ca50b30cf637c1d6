import Foundation
import Postgres

/// The database side of `chokepoint lists fetch` (`chokepoint.list_fetch_status`): per source, the last
/// attempt, its outcome, the last error, and the HTTP validators of the files in force.
public enum ListFetchStatus {
    /// An HTTP validator pair of one file, as the publisher sent it.
    public struct Validator: Sendable, Equatable, Codable {
        public var etag: String?
        public var lastModified: String?
        public init(etag: String?, lastModified: String?) {
            self.etag = etag
            self.lastModified = lastModified
        }
        enum CodingKeys: String, CodingKey {
            case etag
            case lastModified = "last_modified"
        }
    }

    public struct Row: Sendable {
        public var source: String
        public var lastAttemptAt: String
        public var outcome: String
        public var lastSuccessAt: String?
        public var lastError: String?
        public var lastErrorAgeHours: Double?
    }

    /// The validators to send for `source`'s files, by URL: only while the version they were stored with is
    /// still the one in force (after a `lists import` of other files, a 304 would keep the wrong list).
    public static func validators(_ c: Connection, source: String) throws -> [String: Validator] {
        guard let text = try c.query("""
            SELECT f.validators::text FROM chokepoint.list_fetch_status AS f
              JOIN chokepoint.list_versions AS v ON v.id = f.validators_version_id AND v.is_current
             WHERE f.source = $1
            """, [source]).rows.first?.string(0) else { return [:] }
        return (try? JSONDecoder().decode([String: Validator].self, from: Data(text.utf8))) ?? [:]
    }

    /// Records a successful fetch: `outcome` is `imported`, `unchanged` or `not_modified`; the validators are
    /// those of the files of `versionId`, the version now in force. The last error, if any, is kept with its time.
    public static func recordSuccess(_ c: Connection, source: String, outcome: String, versionId: Int64,
                                     validators: [String: Validator]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(validators), as: UTF8.self)
        try c.query("""
            INSERT INTO chokepoint.list_fetch_status (source, last_attempt_at, last_outcome, last_success_at, validators, validators_version_id)
            VALUES ($1, now(), $2, now(), $3::jsonb, $4)
            ON CONFLICT (source) DO UPDATE SET last_attempt_at = now(), last_outcome = $2, last_success_at = now(),
                                               validators = $3::jsonb, validators_version_id = $4
            """, [source, outcome, json, String(versionId)])
    }

    /// Records a failed fetch: the version in force and its validators stay as they were.
    public static func recordFailure(_ c: Connection, source: String, error: String) throws {
        try c.query("""
            INSERT INTO chokepoint.list_fetch_status (source, last_attempt_at, last_outcome, last_error, last_error_at)
            VALUES ($1, now(), 'failed', $2, now())
            ON CONFLICT (source) DO UPDATE SET last_attempt_at = now(), last_outcome = 'failed', last_error = $2, last_error_at = now()
            """, [source, error])
    }

    public static func all(_ c: Connection) throws -> [Row] {
        try c.query("""
            SELECT source, to_char(last_attempt_at, 'YYYY-MM-DD HH24:MI:SSOF'), last_outcome,
                   to_char(last_success_at, 'YYYY-MM-DD HH24:MI:SSOF'), last_error, extract(epoch FROM now() - last_error_at) / 3600
              FROM chokepoint.list_fetch_status ORDER BY source
            """).rows.map {
            Row(source: $0.string(0) ?? "", lastAttemptAt: $0.string(1) ?? "", outcome: $0.string(2) ?? "", lastSuccessAt: $0.string(3),
                lastError: $0.string(4), lastErrorAgeHours: $0.double(5))
        }
    }
}
