import Foundation
import Postgres

/// What a list version changed against the version it replaced: entries added, removed and changed
/// (`chokepoint.list_changes`), written by every import and read by `chokepoint lists diff`.
public enum ListChanges {
    public struct Change: Sendable, Equatable {
        public var change: String
        public var sourceId: String
        public var entryType: String
        public var primaryName: String
        public var previousName: String?
        public var namesAdded: [String]
        public var namesRemoved: [String]
        public var identifiersAdded: [String]
        public var identifiersRemoved: [String]
    }

    public struct Diff: Sendable {
        public var source: String
        public var versionId: Int64
        /// nil: the first version of its source, which has no diff.
        public var previousVersionId: Int64?
        public var loadedAt: String
        public var changes: [Change]
        public func count(_ kind: String) -> Int { changes.count { $0.change == kind } }
    }

    /// Records the diff of `versionId` against `previousId` (both already hold their entries), in the caller's
    /// transaction. Entries are matched by source id (the first of a repeated id, by position); an entry
    /// changed when its fingerprint (a hash of the whole entry) differs, and the names and identifiers it
    /// gained or lost are listed with it.
    static func record(_ c: Connection, versionId: Int64, previousId: Int64, source: String) throws {
        try c.query("""
            WITH old AS (SELECT DISTINCT ON (source_id) source_id, entry_type, primary_name, fingerprint, data
                           FROM chokepoint.list_entries WHERE version_id = $2 ORDER BY source_id, ord),
                 new AS (SELECT DISTINCT ON (source_id) source_id, entry_type, primary_name, fingerprint, data
                           FROM chokepoint.list_entries WHERE version_id = $1 ORDER BY source_id, ord),
                 pairs AS (
                   SELECT o.source_id AS old_id, n.source_id AS new_id, o.primary_name AS old_name, n.primary_name AS new_name,
                          coalesce(n.entry_type, o.entry_type) AS entry_type,
                          ARRAY(SELECT x->>'name' FROM jsonb_array_elements(o.data->'names') AS x) AS old_names,
                          ARRAY(SELECT x->>'name' FROM jsonb_array_elements(n.data->'names') AS x) AS new_names,
                          ARRAY(SELECT 'BIC ' || (b #>> '{}') FROM jsonb_array_elements(o.data->'bics') AS b
                                UNION ALL SELECT (x->>'type') || ' ' || (x->>'value') FROM jsonb_array_elements(o.data->'identifiers') AS x) AS old_ids,
                          ARRAY(SELECT 'BIC ' || (b #>> '{}') FROM jsonb_array_elements(n.data->'bics') AS b
                                UNION ALL SELECT (x->>'type') || ' ' || (x->>'value') FROM jsonb_array_elements(n.data->'identifiers') AS x) AS new_ids
                     FROM old AS o FULL JOIN new AS n ON n.source_id = o.source_id
                    WHERE o.source_id IS NULL OR n.source_id IS NULL OR o.fingerprint <> n.fingerprint)
            INSERT INTO chokepoint.list_changes (version_id, source, change, source_id, entry_type, primary_name, previous_name,
                                                 names_added, names_removed, identifiers_added, identifiers_removed)
            SELECT $1, $3,
                   CASE WHEN old_id IS NULL THEN 'added' WHEN new_id IS NULL THEN 'removed' ELSE 'changed' END,
                   coalesce(new_id, old_id), entry_type, coalesce(new_name, old_name),
                   CASE WHEN old_id IS NOT NULL AND new_id IS NOT NULL AND old_name <> new_name THEN old_name END,
                   CASE WHEN old_id IS NULL OR new_id IS NULL THEN '{}'
                        ELSE ARRAY(SELECT unnest(new_names) EXCEPT SELECT unnest(old_names) ORDER BY 1) END,
                   CASE WHEN old_id IS NULL OR new_id IS NULL THEN '{}'
                        ELSE ARRAY(SELECT unnest(old_names) EXCEPT SELECT unnest(new_names) ORDER BY 1) END,
                   CASE WHEN old_id IS NULL OR new_id IS NULL THEN '{}'
                        ELSE ARRAY(SELECT unnest(new_ids) EXCEPT SELECT unnest(old_ids) ORDER BY 1) END,
                   CASE WHEN old_id IS NULL OR new_id IS NULL THEN '{}'
                        ELSE ARRAY(SELECT unnest(old_ids) EXCEPT SELECT unnest(new_ids) ORDER BY 1) END
              FROM pairs ORDER BY 4, 3
            """, [String(versionId), String(previousId), source])
    }

    /// The diff of one version of `source` (the one in force when `versionId` is nil); nil when there is none.
    public static func diff(_ c: Connection, source: String, versionId: Int64?) throws -> Diff? {
        guard let v = try c.query("""
            SELECT id, previous_version_id, to_char(loaded_at, 'YYYY-MM-DD HH24:MI:SSOF') FROM chokepoint.list_versions
             WHERE source = $1 AND (CASE WHEN $2::bigint IS NULL THEN is_current ELSE id = $2::bigint END)
            """, [source, versionId.map(String.init)]).rows.first, let id = v.int64(0) else { return nil }
        func texts(_ literal: String?) -> [String] { PostgresArray.parseText(literal ?? "{}").compactMap { $0 } }
        let changes = try c.query("""
            SELECT change, source_id, entry_type, primary_name, previous_name, names_added, names_removed,
                   identifiers_added, identifiers_removed
              FROM chokepoint.list_changes WHERE version_id = $1
             ORDER BY CASE change WHEN 'added' THEN 1 WHEN 'removed' THEN 2 ELSE 3 END, source_id
            """, [String(id)]).rows.map {
            Change(change: $0.string(0) ?? "", sourceId: $0.string(1) ?? "", entryType: $0.string(2) ?? "", primaryName: $0.string(3) ?? "",
                   previousName: $0.string(4), namesAdded: texts($0.string(5)), namesRemoved: texts($0.string(6)),
                   identifiersAdded: texts($0.string(7)), identifiersRemoved: texts($0.string(8)))
        }
        return Diff(source: source, versionId: id, previousVersionId: v.int64(1), loadedAt: v.string(2) ?? "", changes: changes)
    }
}
