import Foundation
import TOMLKit

/// The lists' config file of `chokepoint lists fetch` (`/etc/chokepoint/lists.toml` by default), read and checked.
///
/// Pure: TOML text in, sources out; no network, no database. Every mistake is refused with the file, the key
/// (`sources.ofac-sdn.files[2].url`) and, where it can be found, the line: a typo must never quietly switch a
/// checksum or a size limit off, so unknown keys are errors too.
public struct FetchConfig: Sendable, Equatable {
    /// The file format of a downloaded file: the parsers dispatch on the file name's extension, so a file is
    /// named with the extension of its format.
    public enum Format: String, Sendable, CaseIterable {
        case csv, xml, json, jsonl
    }

    /// One downloaded file of a source.
    public struct File: Sendable, Equatable {
        public var url: URL
        /// The name the parser sees (`sdn.csv`, `alt.csv`: OFAC's parser recognises its files by name).
        public var name: String
        /// The expected SHA-256 (lower-case hex), pinned in the config.
        public var sha256: String?
        /// A URL whose text holds the file's SHA-256 (a `sha256sum` line or the bare hex), fetched each time.
        public var checksumURL: URL?
    }

    /// One list source to fetch.
    public struct Source: Sendable, Equatable {
        /// The list source it becomes (`lists import --source`): `ofac-sdn`, `eu`, …
        public var name: String
        public var format: Format
        public var files: [File]
        public var proxy: URL?
        public var timeoutSeconds: Double
        public var maxBytes: Int
        /// The shrink guard, in percent (`lists import --max-shrink`).
        public var maxShrinkPercent: Double
    }

    public var sources: [Source]

    public static let defaultPath = "/etc/chokepoint/lists.toml"
    public static let defaultTimeoutSeconds = 300.0
    /// 512 MiB: OpenSanctions' full exports are the largest published files; a bank raises it per source.
    public static let defaultMaxBytes = 512 * 1024 * 1024
    public static let defaultMaxShrinkPercent = 5.0

    /// Reads and checks the config file at `path`.
    public static func load(path: String, knownSources: [String]) throws(FetchConfigError) -> FetchConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw FetchConfigError(file: path, line: nil, key: nil, message: "cannot read the config file (\(error.localizedDescription))")
        }
        return try parse(text, file: path, knownSources: knownSources)
    }

    /// Parses config text; `file` names it in errors, `knownSources` are the list sources a table may name.
    public static func parse(_ text: String, file: String, knownSources: [String]) throws(FetchConfigError) -> FetchConfig {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw FetchConfigError(file: file, line: e.source.begin.line, key: nil, message: "not valid TOML: \(e.description)")
        } catch {
            throw FetchConfigError(file: file, line: nil, key: nil, message: "not valid TOML: \(error)")
        }
        let reader = Reader(file: file, lines: text.components(separatedBy: "\n"))
        try reader.onlyKeys(root, ["defaults", "sources"], at: nil)
        var defaults = Defaults()
        if let d = root["defaults"] {
            let t = try reader.table(d, "defaults")
            try reader.onlyKeys(t, ["proxy", "timeout_seconds", "max_bytes", "max_shrink_percent"], at: "defaults")
            defaults = try reader.limits(t, at: "defaults", over: defaults)
        }
        guard let s = root["sources"] else {
            throw FetchConfigError(file: file, line: nil, key: "sources", message: "no [sources.NAME] table: nothing to fetch")
        }
        let sourcesTable = try reader.table(s, "sources")
        var sources: [Source] = []
        for name in sourcesTable.keys.sorted() {
            let key = "sources.\(name)"
            guard knownSources.contains(name) else {
                throw reader.error(key, "unknown list source '\(name)'; use one of: \(knownSources.joined(separator: ", "))")
            }
            let t = try reader.table(sourcesTable[name]!, key)
            try reader.onlyKeys(t, ["format", "url", "name", "sha256", "checksum_url", "files", "proxy", "timeout_seconds", "max_bytes",
                                    "max_shrink_percent"], at: key)
            let limits = try reader.limits(t, at: key, over: defaults)
            let format = try t["format"].map { v throws(FetchConfigError) in
                let f = try reader.string(v, "\(key).format")
                guard let format = Format(rawValue: f) else {
                    throw reader.error("\(key).format", "'\(f)' is not a format; use one of: \(Format.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return format
            }
            var files: [File] = []
            var formats: [Format] = []
            if let list = t["files"] {
                if t["url"] != nil || t["name"] != nil || t["sha256"] != nil || t["checksum_url"] != nil {
                    throw reader.error(key, "give either url (one file) or files (several), not both")
                }
                guard let array = list.array else { throw reader.error("\(key).files", "must be an array of tables { url = \"…\" }") }
                for i in 0..<array.count {
                    let fk = "\(key).files[\(i + 1)]"
                    let ft = try reader.table(array[i], fk)
                    try reader.onlyKeys(ft, ["url", "name", "sha256", "checksum_url"], at: fk)
                    let (file, f) = try reader.file(ft, at: fk, format: format)
                    files.append(file)
                    formats.append(f)
                }
            } else {
                let (file, f) = try reader.file(t, at: key, format: format)
                files.append(file)
                formats.append(f)
            }
            guard !files.isEmpty else { throw reader.error("\(key).files", "is empty: give at least one file") }
            guard Set(files.map(\.name)).count == files.count else {
                throw reader.error("\(key).files", "two files have the same name; give each its own name = \"…\"")
            }
            sources.append(Source(name: name, format: format ?? formats[0], files: files, proxy: limits.proxy,
                                  timeoutSeconds: limits.timeout, maxBytes: limits.maxBytes, maxShrinkPercent: limits.maxShrink))
        }
        guard !sources.isEmpty else {
            throw FetchConfigError(file: file, line: nil, key: "sources", message: "no [sources.NAME] table: nothing to fetch")
        }
        return FetchConfig(sources: sources)
    }

    struct Defaults {
        var proxy: URL?
        var timeout = FetchConfig.defaultTimeoutSeconds
        var maxBytes = FetchConfig.defaultMaxBytes
        var maxShrink = FetchConfig.defaultMaxShrinkPercent
    }

    /// Reads values with errors that name the key and the line of its table.
    struct Reader {
        var file: String
        var lines: [String]

        /// The line of `[sources.NAME]` (or of the key's own table) for an error about `key`, if it can be found.
        func line(of key: String) -> Int? {
            var parts = key.split(separator: ".").map(String.init)
            while !parts.isEmpty {
                let header = parts.joined(separator: ".").replacingOccurrences(of: #"\[\d+\]$"#, with: "", options: .regularExpression)
                let candidates = ["[\(header)]", "[\"\(header)\"]"]
                if let i = lines.firstIndex(where: { l in candidates.contains(l.trimmingCharacters(in: .whitespaces)) }) { return i + 1 }
                parts.removeLast()
            }
            return nil
        }

        func error(_ key: String, _ message: String) -> FetchConfigError {
            FetchConfigError(file: file, line: line(of: key), key: key, message: message)
        }

        func onlyKeys(_ t: TOMLTable, _ allowed: [String], at key: String?) throws(FetchConfigError) {
            for k in t.keys where !allowed.contains(k) {
                let full = key.map { "\($0).\(k)" } ?? k
                throw FetchConfigError(file: file, line: key.flatMap(line(of:)), key: full,
                                       message: "unknown key '\(k)'; allowed here: \(allowed.joined(separator: ", "))")
            }
        }

        func table(_ v: TOMLValueConvertible, _ key: String) throws(FetchConfigError) -> TOMLTable {
            guard let t = v.table else { throw error(key, "must be a table") }
            return t
        }

        func string(_ v: TOMLValueConvertible, _ key: String) throws(FetchConfigError) -> String {
            guard let s = v.string else { throw error(key, "must be a string") }
            return s
        }

        func number(_ v: TOMLValueConvertible, _ key: String) throws(FetchConfigError) -> Double {
            if let i = v.int { return Double(i) }
            if let d = v.double { return d }
            throw error(key, "must be a number")
        }

        func url(_ v: TOMLValueConvertible, _ key: String, schemes: [String]) throws(FetchConfigError) -> URL {
            let s = try string(v, key)
            guard let u = URL(string: s), let scheme = u.scheme?.lowercased(), schemes.contains(scheme), let host = u.host, !host.isEmpty else {
                throw error(key, "'\(s)' is not a \(schemes.joined(separator: "/")) URL")
            }
            return u
        }

        /// A list URL: https, or plain http only to this machine (a local mirror, the tests' server), since
        /// nothing else would check that the file came from its publisher.
        func listURL(_ v: TOMLValueConvertible, _ key: String) throws(FetchConfigError) -> URL {
            let u = try url(v, key, schemes: ["https", "http"])
            if u.scheme?.lowercased() == "http", !["127.0.0.1", "::1", "[::1]", "localhost"].contains(u.host?.lowercased() ?? "") {
                throw error(key, "'\(u.absoluteString)' is plain http: lists are fetched over https (TLS verified) only")
            }
            return u
        }

        func limits(_ t: TOMLTable, at key: String, over base: Defaults) throws(FetchConfigError) -> Defaults {
            var d = base
            if let v = t["proxy"] { d.proxy = try url(v, "\(key).proxy", schemes: ["http", "https", "socks5", "socks5h"]) }
            if let v = t["timeout_seconds"] {
                d.timeout = try number(v, "\(key).timeout_seconds")
                guard d.timeout > 0, d.timeout <= 86_400 else { throw error("\(key).timeout_seconds", "must be between 0 and 86400 seconds") }
            }
            if let v = t["max_bytes"] {
                let n = try number(v, "\(key).max_bytes")
                guard n >= 1, n <= 16 * 1024 * 1024 * 1024, n.rounded() == n else {
                    throw error("\(key).max_bytes", "must be a whole number of bytes between 1 and 16 GiB")
                }
                d.maxBytes = Int(n)
            }
            if let v = t["max_shrink_percent"] {
                d.maxShrink = try number(v, "\(key).max_shrink_percent")
                guard d.maxShrink >= 0, d.maxShrink <= 100 else { throw error("\(key).max_shrink_percent", "is a percentage between 0 and 100") }
            }
            return d
        }

        /// One file: its URL, the name the parser sees, its checksum, and its format (given or from the name).
        func file(_ t: TOMLTable, at key: String, format: Format?) throws(FetchConfigError) -> (File, Format) {
            guard let u = t["url"] else { throw error("\(key).url", "missing: give the file's URL") }
            let url = try listURL(u, "\(key).url")
            var name = try t["name"].map { v throws(FetchConfigError) in try string(v, "\(key).name") } ?? url.lastPathComponent.lowercased()
            guard !name.isEmpty, name != "/", !name.contains("/"), !name.hasPrefix(".") else {
                throw error("\(key).name", "'\(name)' is not a file name")
            }
            let ext = Format(rawValue: (name as NSString).pathExtension.lowercased())
            if let format, ext != format {
                // The parsers dispatch on the extension: a published name without one (an API path) gets the format's.
                if t["name"] != nil, ext != nil {
                    throw error("\(key).name", "'\(name)' does not end in .\(format.rawValue), the source's format")
                }
                name += "." + format.rawValue
            }
            guard let fileFormat = format ?? ext else {
                throw error("\(key).format", "cannot tell the format of '\(name)': give format = \"csv\", \"xml\", \"json\" or \"jsonl\"")
            }
            var sha: String?
            if let v = t["sha256"] {
                let s = try string(v, "\(key).sha256").lowercased()
                guard s.count == 64, s.allSatisfy(\.isHexDigit) else { throw error("\(key).sha256", "must be 64 hexadecimal digits") }
                sha = s
            }
            let checksumURL = try t["checksum_url"].map { v throws(FetchConfigError) in try listURL(v, "\(key).checksum_url") }
            if sha != nil, checksumURL != nil { throw error(key, "give sha256 or checksum_url, not both") }
            return (File(url: url, name: name, sha256: sha, checksumURL: checksumURL), fileFormat)
        }
    }
}

/// A config file that cannot be used, naming the file, the line (when known) and the key.
public struct FetchConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var key: String?
    public var message: String

    public var description: String {
        var s = file
        if let line { s += ":\(line)" }
        if let key { s += ": \(key)" }
        return s + ": " + message
    }
}

extension FetchConfig {
    /// The SHA-256 hex in a checksum file: the first 64-hex-digit token (`sha256sum` output, or the bare hash).
    public static func checksumFromText(_ text: String) -> String? {
        for token in text.split(whereSeparator: { $0.isWhitespace || $0 == "=" || $0 == "," || $0 == "\"" || $0 == ":" }) {
            let t = token.lowercased()
            if t.count == 64, t.allSatisfy(\.isHexDigit) { return t }
        }
        return nil
    }
}
