import Foundation
import Postgres
import Screening
import Watchlists

/// The database side of watchlists: versioned imports, status, and loading what screening needs.
public enum ListStore {
    public struct ImportResult: Sendable {
        public var versionId: Int64
        /// The files were byte-identical to the current version: nothing was changed.
        public var unchanged: Bool
        public var entries: Int
        public var names: Int
        public var bics: Int
        public var warnings: [String]
    }

    /// The default shrink guard: a new version with more than this share fewer entries than the version in
    /// force is refused (a truncated download, or the wrong file, must never replace a good list).
    public static let defaultMaxShrink = 0.05

    /// A new version that would drop too many of the current version's entries.
    public struct ShrinkRefused: Error, CustomStringConvertible {
        public var source: String
        public var current: Int
        public var new: Int
        public var maxShrink: Double
        public var description: String {
            let pct = String(format: "%.1f", 100 * Double(current - new) / Double(max(current, 1)))
            return "\(source): the new files have \(new) entries, \(pct) % fewer than the \(current) of the version in force "
                + "(more than the \(String(format: "%g", 100 * maxShrink)) % allowed); nothing imported. If the list really shrank, "
                + "import again with --allow-shrink"
        }
    }

    public struct StatusRow: Sendable {
        public var source: String
        public var versionId: Int64
        public var entries: Int
        public var names: Int
        public var bics: Int
        public var loadedAt: String
        /// Hours since the list was last known current: loaded, or confirmed unchanged at its publisher by
        /// `lists fetch` (a list the publisher did not change for days is not stale). What
        /// `chokepoint_list_age_seconds` reports.
        public var ageHours: Double
        public var checksum: String
        public var files: String
    }

    /// SHA-256 over every file's base name and bytes, in the order given.
    public static func checksum(_ files: [ListFile]) -> String {
        var all: [UInt8] = []
        for f in files {
            all += Array(f.baseName.utf8) + [0] + f.bytes + [0]
        }
        return SHA256.hex(all)
    }

    /// Imports a parsed list as a new current version in ONE transaction: either the whole version is
    /// in force afterwards, or nothing changed. A re-import of byte-identical files creates no version.
    ///
    /// `maxShrink` is the shrink guard: the share of the current version's entries a new version may drop
    /// (nil: any); checked inside the transaction against the version in force at that moment.
    public static func importList(_ c: Connection, parsed: ParsedList, files: [ListFile], auditReason: String? = nil,
                                  maxShrink: Double? = defaultMaxShrink) throws -> ImportResult {
        let sum = checksum(files)
        let source = parsed.source.rawValue
        return try c.transaction { c in
            // One import per source at a time.
            try c.query("SELECT pg_advisory_xact_lock(7432002, hashtext($1))", [source])
            if let auditReason { try c.query("SELECT set_config('chokepoint.reason', $1, true)", [auditReason]) }
            let current = try c.query("""
                SELECT id, checksum, entry_count, name_count, bic_count FROM chokepoint.list_versions
                 WHERE source = $1 AND is_current
                """, [source]).rows.first
            if let row = current, row.string(1) == sum {
                return ImportResult(versionId: row.int64(0) ?? 0, unchanged: true, entries: row.int(2) ?? 0,
                                    names: row.int(3) ?? 0, bics: row.int(4) ?? 0, warnings: parsed.warnings)
            }
            if let maxShrink, parsed.source != .indicators, let count = current?.int(2),
               Double(parsed.entries.count) < Double(count) * (1 - maxShrink) {
                throw ShrinkRefused(source: source, current: count, new: parsed.entries.count, maxShrink: maxShrink)
            }
            let previousId = current?.int64(0)
            let names = parsed.entries.reduce(0) { $0 + $1.names.count }
            let bics = parsed.entries.reduce(0) { $0 + $1.bics.count }
            let entryCount = parsed.source == .indicators
                ? (parsed.indicators.map { $0.keywords.count + $0.hsCodes.count + $0.exclusions.count } ?? 0)
                : parsed.entries.count
            guard let versionId = try c.query("""
                INSERT INTO chokepoint.list_versions (source, checksum, files, entry_count, name_count, bic_count, warnings,
                                                      previous_version_id)
                VALUES ($1, $2, $3::text[], $4, $5, $6, $7::text[], $8) RETURNING id
                """, [source, sum, PostgresArray.text(files.map(\.baseName)), String(entryCount), String(names), String(bics),
                      PostgresArray.text(parsed.warnings.prefix(1000).map { $0 }), previousId.map(String.init)]).rows.first?.int64(0) else {
                throw PostgresError(kind: .client, message: "no list version id returned")
            }
            if let set = parsed.indicators, parsed.source == .indicators {
                try replaceIndicators(c, set)
            } else {
                try insertEntries(c, versionId: versionId, entries: parsed.entries)
                // The diff against the version in force, in the same transaction: never a current version without it.
                if let previousId { try ListChanges.record(c, versionId: versionId, previousId: previousId, source: source) }
            }
            try c.query("UPDATE chokepoint.list_versions SET is_current = false WHERE source = $1 AND is_current", [source])
            try c.query("UPDATE chokepoint.list_versions SET is_current = true WHERE id = $1", [String(versionId)])
            return ImportResult(versionId: versionId, unchanged: false, entries: entryCount, names: names, bics: bics,
                                warnings: parsed.warnings)
        }
    }

    static func insertEntries(_ c: Connection, versionId: Int64, entries: [ListEntry]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var start = 0
        while start < entries.count {
            let chunk = entries[start..<min(entries.count, start + 2000)]
            var ord: [Int64] = [], ids: [String] = [], types: [String] = [], names: [String] = []
            var prints: [String] = [], data: [String] = []
            for (i, e) in chunk.enumerated() {
                let json = String(decoding: try encoder.encode(e), as: UTF8.self)
                ord.append(Int64(start + i)); ids.append(e.sourceId); types.append(e.type.rawValue)
                names.append(e.primaryName); prints.append(SHA256.hex(json)); data.append(json)
            }
            try c.query("""
                INSERT INTO chokepoint.list_entries (version_id, ord, source_id, entry_type, primary_name, fingerprint, data)
                SELECT $1, * FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
                """, [String(versionId), PostgresArray.int64(ord), PostgresArray.text(ids), PostgresArray.text(types),
                      PostgresArray.text(names), PostgresArray.text(prints), PostgresArray.text(data)])
            start += chunk.count
        }
    }

    static func replaceIndicators(_ c: Connection, _ set: IndicatorSet) throws {
        try c.query("DELETE FROM chokepoint.indicator_keywords")
        try c.query("DELETE FROM chokepoint.indicator_hs_codes")
        try c.query("DELETE FROM chokepoint.country_sets")
        let kw = set.keywords.map { ($0, "keyword") } + set.exclusions.map { ($0, "exclusion") }
        if !kw.isEmpty {
            try c.query("""
                INSERT INTO chokepoint.indicator_keywords (keyword, language, kind)
                SELECT DISTINCT * FROM unnest($1::text[], $2::text[], $3::text[])
                """, [PostgresArray.text(kw.map { $0.0.text }), PostgresArray.text(kw.map { $0.0.language }), PostgresArray.text(kw.map { $0.1 })])
        }
        if !set.hsCodes.isEmpty {
            try c.query("""
                INSERT INTO chokepoint.indicator_hs_codes (code, tier, description)
                SELECT DISTINCT ON (code) * FROM unnest($1::text[], $2::text[], $3::text[]) AS u(code, tier, description)
                """, [PostgresArray.text(set.hsCodes.map(\.code)), PostgresArray.text(set.hsCodes.map(\.tier)),
                      PostgresArray.text(set.hsCodes.map(\.description))])
        }
        let pairs = set.countrySets.sorted { $0.key < $1.key }.flatMap { k, v in v.map { (k, $0) } }
        if !pairs.isEmpty {
            try c.query("""
                INSERT INTO chokepoint.country_sets (set_name, country) SELECT DISTINCT * FROM unnest($1::text[], $2::text[])
                """, [PostgresArray.text(pairs.map(\.0)), PostgresArray.text(pairs.map(\.1))])
        }
    }

    /// Records an `indicators` import as a policy change request (four eyes): a second policy admin applies
    /// it with `chokepoint.apply_policy_change(id, reason)`, which replaces the indicators and creates the
    /// new `indicators` list version in one transaction. Returns the request id, or nil when the files are
    /// byte-identical to the indicators in force.
    public static func requestIndicatorsChange(_ c: Connection, set: IndicatorSet, files: [ListFile], reason: String) throws -> Int64? {
        let sum = checksum(files)
        if try c.query("SELECT 1 FROM chokepoint.list_versions WHERE source = 'indicators' AND is_current AND checksum = $1", [sum]).rows.first != nil {
            return nil
        }
        let change: [String: Any] = [
            "kind": "indicators",
            "keywords": set.keywords.map { [$0.text, $0.language, "keyword"] } + set.exclusions.map { [$0.text, $0.language, "exclusion"] },
            "hs_codes": set.hsCodes.map { [$0.code, $0.tier, $0.description] },
            "country_sets": set.countrySets,
            "checksum": sum,
            "files": files.map(\.baseName),
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: change, options: [.sortedKeys]), as: UTF8.self)
        return try c.query("SELECT chokepoint.request_policy_change($1::jsonb, $2)", [json, reason]).rows.first?.int64(0)
    }

    /// Loads the shipped default indicators when no indicators version exists; returns true if it did.
    @discardableResult
    public static func installDefaultIndicatorsIfMissing(_ c: Connection) throws -> Bool {
        let have = try c.query("SELECT count(*) FROM chokepoint.list_versions WHERE source = 'indicators'").rows.first?.int(0) ?? 0
        guard have == 0 else { return false }
        let file = defaultIndicatorsFile
        let parsed = ParsedList(source: .indicators, indicators: DefaultIndicators.set)
        _ = try importList(c, parsed: parsed, files: [file], auditReason: "default end-use indicators installed by chokepoint migrate")
        return true
    }

    /// The shipped default indicators as an `indicators` import file (what `migrate` installs).
    public static var defaultIndicatorsFile: ListFile {
        ListFile(name: "default-indicators.csv", bytes: Array(IndicatorsFile.render(DefaultIndicators.set).utf8))
    }

    /// True when the indicators in force are a default set installed by an earlier release whose defaults
    /// differ from this release's (an upgrade leaves the policy alone: changing it needs four eyes).
    public static func defaultIndicatorsOutdated(_ c: Connection) throws -> Bool {
        guard let row = try c.query("""
            SELECT checksum, files FROM chokepoint.list_versions WHERE source = 'indicators' AND is_current
            """).rows.first else { return false }
        return row.string(1) == "{default-indicators.csv}" && row.string(0) != checksum([defaultIndicatorsFile])
    }

    public static func status(_ c: Connection) throws -> [StatusRow] {
        try c.query("""
            SELECT v.source, v.id, v.entry_count, v.name_count, v.bic_count, to_char(v.loaded_at, 'YYYY-MM-DD HH24:MI:SSOF'),
                   extract(epoch FROM now() - greatest(v.loaded_at, f.last_success_at)) / 3600, v.checksum, array_to_string(v.files, ' ')
              FROM chokepoint.list_versions AS v LEFT JOIN chokepoint.list_fetch_status AS f ON f.source = v.source
             WHERE v.is_current ORDER BY v.source
            """).rows.map {
            StatusRow(source: $0.string(0) ?? "", versionId: $0.int64(1) ?? 0, entries: $0.int(2) ?? 0, names: $0.int(3) ?? 0,
                      bics: $0.int(4) ?? 0, loadedAt: $0.string(5) ?? "", ageHours: $0.double(6) ?? 0,
                      checksum: $0.string(7) ?? "", files: $0.string(8) ?? "")
        }
    }

    /// Reads the current version of every list, the indicators, the settings and the active good guys.
    public static func loadScreeningData(_ c: Connection) throws -> ScreeningData {
        // One snapshot for everything, so a concurrent import is seen whole or not at all.
        return try c.transaction { c in
            try c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let decoder = JSONDecoder()
            var lists: [ScreeningData.LoadedList] = []
            for v in try c.query("SELECT id, source FROM chokepoint.list_versions WHERE is_current AND source <> 'indicators' ORDER BY source").rows {
                guard let id = v.int64(0), let source = v.string(1).flatMap(ListSource.init(rawValue:)) else { continue }
                let rows = try c.query("SELECT data::text FROM chokepoint.list_entries WHERE version_id = $1 ORDER BY ord", [String(id)]).rows
                var entries: [ListEntry] = []
                entries.reserveCapacity(rows.count)
                for r in rows {
                    if let text = r.string(0) { entries.append(try decoder.decode(ListEntry.self, from: Data(text.utf8))) }
                }
                lists.append(.init(source: source, versionId: id, entries: entries))
            }
            var set = IndicatorSet()
            for r in try c.query("SELECT keyword, language, kind FROM chokepoint.indicator_keywords ORDER BY kind, language, keyword").rows {
                let k = IndicatorSet.Keyword(text: r.string(0) ?? "", language: r.string(1) ?? "")
                if r.string(2) == "exclusion" { set.exclusions.append(k) } else { set.keywords.append(k) }
            }
            set.hsCodes = try c.query("SELECT code, tier, description FROM chokepoint.indicator_hs_codes ORDER BY code").rows.map {
                IndicatorSet.HSCode(code: $0.string(0) ?? "", tier: $0.string(1) ?? "", description: $0.string(2) ?? "")
            }
            for r in try c.query("SELECT set_name, country FROM chokepoint.country_sets ORDER BY set_name, country").rows {
                set.countrySets[r.string(0) ?? "", default: []].append(r.string(1) ?? "")
            }
            var settings: [String: String] = [:]
            for r in try c.query("SELECT key, value::text FROM chokepoint.settings").rows {
                if let k = r.string(0) { settings[k] = r.string(1) ?? "" }
            }
            let threshold = settings["name_match_threshold"].flatMap(Double.init) ?? 0.90
            let goodGuys = try c.query("""
                SELECT field, matched, list, entry_id, id, extract(epoch FROM expires_at) FROM chokepoint.active_good_guys
                """).rows.map {
                ScreeningData.GoodGuy(field: $0.string(0) ?? "", matched: $0.string(1) ?? "", list: $0.string(2) ?? "",
                                      entryId: $0.string(3) ?? "", id: $0.int64(4) ?? 0, expiresAt: $0.double(5))
            }
            var data = ScreeningData(lists: lists, indicators: set, nameThreshold: threshold, goodGuys: goodGuys)
            data.policyProblems = ScreeningData.problems(settings: settings, indicators: set)
            data.policyGeneration = try c.query("SELECT value FROM chokepoint.policy_generation").rows.first?.int64(0) ?? 0
            return data
        }
    }
}
