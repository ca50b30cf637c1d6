import FetchConfig
import Foundation
import Postgres
import Store
import Watchlists

/// `chokepoint lists fetch` for one source: download (conditionally), check, parse, import, record.
///
/// The import is the one `lists import` makes (`ListParser.parse`, then `ListStore.importList` with the
/// shrink guard), so a fetched version is versioned, diffed, audited and announced to daemons the same way.
/// Any failure leaves the version in force as it was, is recorded as the source's last fetch error, and is
/// thrown; the HTTP validators are stored only with a version that was imported or confirmed, so a refused
/// file is downloaded (and refused) again on the next run rather than hidden behind a 304.
public enum ListFetcher {
    public enum Outcome: Sendable, Equatable {
        /// A new version is in force.
        case imported(versionId: Int64, entries: Int, added: Int, removed: Int, changed: Int, warnings: [String])
        /// The files are byte-identical to the version in force: nothing imported.
        case unchanged(versionId: Int64)
        /// The publisher answered 304 Not Modified for every file.
        case notModified(versionId: Int64)
    }

    /// Fetches `source` into the database behind `c`; `allowShrink` lifts the shrink guard (as `--allow-shrink`).
    public static func fetch(_ source: FetchConfig.Source, _ c: Connection, allowShrink: Bool = false,
                             downloader: Downloader = Downloader()) throws(FetchError) -> Outcome {
        do {
            let outcome = try run(source, c, allowShrink: allowShrink, downloader: downloader)
            return outcome
        } catch {
            // Recorded on its own (the import's transaction, if any, has rolled back).
            do {
                try ListFetchStatus.recordFailure(c, source: source.name, error: error.message)
            } catch let recordError {
                throw FetchError("\(error.message) (and recording the failure failed: \(recordError))")
            }
            throw error
        }
    }

    private static func run(_ source: FetchConfig.Source, _ c: Connection, allowShrink: Bool,
                            downloader: Downloader) throws(FetchError) -> Outcome {
        guard let kind = ListSource(rawValue: source.name), kind != .indicators else {
            throw FetchError("not a list source that can be fetched")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chokepoint-fetch-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw FetchError("cannot create a temporary directory (\(error.localizedDescription))")
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let options = Downloader.Options(timeoutSeconds: source.timeoutSeconds, maxBytes: source.maxBytes, proxy: source.proxy)

        let current: (id: Int64, checksum: String)?
        let validators: [String: ListFetchStatus.Validator]
        do {
            current = try c.query("SELECT id, checksum FROM chokepoint.list_versions WHERE source = $1 AND is_current", [source.name])
                .rows.first.map { ($0.int64(0) ?? 0, $0.string(1) ?? "") }
            // Conditional requests only while a version is in force to fall back on.
            validators = current == nil ? [:] : try ListFetchStatus.validators(c, source: source.name)
        } catch {
            throw FetchError("\(error)")
        }

        // 1. Download every file, conditionally where a validator is known.
        var results: [Downloader.Result] = []
        for (i, file) in source.files.enumerated() {
            let path = "\(dir)/\(i)-\(file.name)"
            results.append(try downloader.download(file.url, to: path, options: options, validator: validators[file.url.absoluteString]))
        }
        if let current, results.allSatisfy({ $0 == .notModified }) {
            try record(c, source.name, "not_modified", current.id, validators)
            return .notModified(versionId: current.id)
        }
        // Some files changed: the set is imported together, so fetch the unchanged ones again in full.
        for (i, file) in source.files.enumerated() where results[i] == .notModified {
            results[i] = try downloader.download(file.url, to: "\(dir)/\(i)-\(file.name)", options: options, validator: nil)
        }

        // 2. Read and check each file against its published checksum.
        var files: [ListFile] = []
        var newValidators: [String: ListFetchStatus.Validator] = [:]
        for (i, file) in source.files.enumerated() {
            guard case .downloaded(let path, _, let validator) = results[i] else {
                throw FetchError("\(file.url.absoluteString): HTTP 304 to a request that was not conditional")
            }
            let bytes: [UInt8]
            do {
                bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            } catch {
                throw FetchError("\(file.url.absoluteString): cannot read the downloaded file (\(error.localizedDescription))")
            }
            if let expected = try expectedChecksum(file, dir: dir, index: i, downloader: downloader, options: options) {
                let actual = SHA256.hex(bytes)
                guard actual == expected else {
                    throw FetchError("\(file.url.absoluteString): checksum mismatch: SHA-256 \(actual), expected \(expected); nothing imported")
                }
            }
            files.append(ListFile(name: file.name, bytes: bytes))
            newValidators[file.url.absoluteString] = validator
        }

        // 3. Byte-identical to the version in force: not parsed, not imported.
        if let current, ListStore.checksum(files) == current.checksum {
            try record(c, source.name, "unchanged", current.id, newValidators)
            return .unchanged(versionId: current.id)
        }

        // 4. Parse and import exactly as `lists import` does.
        let parsed: ParsedList
        do {
            parsed = try ListParser.parse(source: kind, contents: files)
        } catch {
            throw FetchError("refused: \(error); nothing imported")
        }
        let result: ListStore.ImportResult
        do {
            result = try ListStore.importList(c, parsed: parsed, files: files, maxShrink: allowShrink ? nil : source.maxShrinkPercent / 100)
        } catch let e as ListStore.ShrinkRefused {
            throw FetchError("refused by the shrink guard: \(e.description.replacingOccurrences(of: "import again with --allow-shrink", with: "fetch again with --allow-shrink"))")
        } catch {
            throw FetchError("import failed, nothing changed: \(error)")
        }
        try record(c, source.name, result.unchanged ? "unchanged" : "imported", result.versionId, newValidators)
        if result.unchanged { return .unchanged(versionId: result.versionId) }
        // The counts are for the report only: the version and its diff are already committed.
        let counts = Dictionary(uniqueKeysWithValues: ((try? c.query(
            "SELECT change, count(*) FROM chokepoint.list_changes WHERE version_id = $1 GROUP BY change", [String(result.versionId)]).rows) ?? [])
            .map { ($0.string(0) ?? "", $0.int(1) ?? 0) })
        return .imported(versionId: result.versionId, entries: result.entries, added: counts["added"] ?? 0,
                         removed: counts["removed"] ?? 0, changed: counts["changed"] ?? 0, warnings: parsed.warnings)
    }

    /// The checksum a file must have: pinned in the config, or read from the publisher's checksum URL.
    static func expectedChecksum(_ file: FetchConfig.File, dir: String, index: Int, downloader: Downloader,
                                 options: Downloader.Options) throws(FetchError) -> String? {
        if let sha = file.sha256 { return sha }
        guard let url = file.checksumURL else { return nil }
        var small = options
        small.maxBytes = 64 * 1024
        let path = "\(dir)/\(index)-checksum"
        guard case .downloaded = try downloader.download(url, to: path, options: small, validator: nil),
              let text = try? String(contentsOfFile: path, encoding: .utf8), let sha = FetchConfig.checksumFromText(text) else {
            throw FetchError("\(url.absoluteString): no SHA-256 found in the checksum file")
        }
        return sha
    }

    private static func record(_ c: Connection, _ source: String, _ outcome: String, _ versionId: Int64,
                               _ validators: [String: ListFetchStatus.Validator]) throws(FetchError) {
        do {
            try ListFetchStatus.recordSuccess(c, source: source, outcome: outcome, versionId: versionId, validators: validators)
        } catch {
            throw FetchError("\(source): recording the fetch failed: \(error)")
        }
    }
}
