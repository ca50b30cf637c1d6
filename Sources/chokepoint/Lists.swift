import ArgumentParser
import Foundation
import Postgres
import Store
import Watchlists

struct Lists: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import or fetch list files, show loaded list versions and what each changed.",
        subcommands: [ListsImport.self, ListsFetch.self, ListsStatus.self, ListsDiff.self, ListsDefaultIndicators.self])
}

struct ListsImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load list files as a new list version (one transaction) and wake running daemons to reload.",
        discussion: """
            KIND: ofac-sdn (sdn.csv with alt.csv, add.csv, sdn_comments.csv; or sdn.xml), ofac-cons (OFAC's consolidated
            non-SDN list: cons_prim.csv with cons_alt.csv, cons_add.csv, cons_comments.csv; or consolidated.xml; a list of
            its own beside ofac-sdn), csl, eu, uk, un, opensanctions, indicators, banks (CSV with a header naming bic and name).
            Shrink guard: a new version with more than --max-shrink percent (default 5) fewer entries than the version in
            force is refused (a truncated download or the wrong file never replaces a good list) unless --allow-shrink.
            A malformed file is refused with its name and line, and the version in force stays.
            Re-importing byte-identical files changes nothing and says so.
            An indicators import is a policy change: it needs --reason and is recorded as a request that a second
            policy admin (role chokepoint_policy_admin) applies with SELECT chokepoint.apply_policy_change(ID, 'reason').
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "ofac-sdn, ofac-cons, csl, eu, uk, un, opensanctions, indicators or banks.") var source: String
    @Argument(help: "The list file(s).") var paths: [String]
    @Option(help: "Why (required for --source indicators, which is a four-eyes policy change).") var reason: String?
    @Option(help: "The share of the current version's entries, in percent, a new version may drop.") var maxShrink = 100 * ListStore.defaultMaxShrink
    @Flag(help: "Import even if the new version drops more entries than --max-shrink allows.") var allowShrink = false

    func validate() throws {
        guard ListSource(rawValue: source) != nil else {
            throw ValidationError("unknown --source '\(source)'; use one of: \(ListSource.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard !paths.isEmpty else { throw ValidationError("give at least one list file") }
        guard maxShrink >= 0, maxShrink <= 100 else { throw ValidationError("--max-shrink is a percentage between 0 and 100") }
        if source == ListSource.indicators.rawValue, (reason ?? "").allSatisfy(\.isWhitespace) {
            throw ValidationError("--source indicators changes the screening policy: give --reason")
        }
    }

    func run() throws {
        try runReportingErrors {
            let kind = ListSource(rawValue: source)!
            let started = Date()
            var files: [ListFile] = []
            let parsed: ParsedList
            do {
                for p in paths { files.append(try ListFile.read(path: p)) }
                parsed = try ListParser.parse(source: kind, contents: files)
            } catch {
                throw CLIError(code: .badInput, message: "refused: \(error)")
            }
            let parseSeconds = Date().timeIntervalSince(started)
            let c = try database.connect()
            defer { c.close() }
            do { try Migrator.checkCurrent(c) } catch { throw CLIError(code: .unmigrated, message: "\(error)") }
            if kind == .indicators, let set = parsed.indicators {
                let request: Int64?
                do {
                    request = try ListStore.requestIndicatorsChange(c, set: set, files: files, reason: reason ?? "")
                } catch {
                    throw CLIError(code: .failure, message: "indicators change refused, nothing changed: \(error)")
                }
                guard let request else {
                    print("indicators: unchanged (same files as the indicators in force); nothing requested")
                    return
                }
                print("indicators: change request \(request) recorded (\(set.keywords.count) keywords, \(set.exclusions.count) exclusions, "
                      + "\(set.hsCodes.count) HS codes, \(set.countrySets.count) country sets); a second policy admin applies it with "
                      + "SELECT chokepoint.apply_policy_change(\(request), 'reason')")
                return
            }
            let result: ListStore.ImportResult
            do {
                result = try ListStore.importList(c, parsed: parsed, files: files, maxShrink: allowShrink ? nil : maxShrink / 100)
            } catch let e as ListStore.ShrinkRefused {
                throw CLIError(code: .badInput, message: "refused: \(e)")
            } catch {
                throw CLIError(code: .failure, message: "import failed, nothing changed: \(error)")
            }
            printWarnings(parsed.warnings)
            if result.unchanged {
                print("\(kind.rawValue): unchanged (same files as version \(result.versionId)); nothing imported")
            } else {
                print("\(kind.rawValue): version \(result.versionId) loaded: \(result.entries) entries, \(result.names) names, \(result.bics) BICs, \(parsed.warnings.count) warnings (parse \(String(format: "%.2f", parseSeconds)) s, total \(String(format: "%.2f", Date().timeIntervalSince(started))) s)")
            }
        }
    }
}

/// Prints a parse's warnings to stderr, the first 20 and a count of the rest (the version keeps them all).
func printWarnings(_ warnings: [String], source: String? = nil) {
    let prefix = source.map { "warning: \($0): " } ?? "warning: "
    for w in warnings.prefix(20) { FileHandle.standardError.write(Data("\(prefix)\(w)\n".utf8)) }
    if warnings.count > 20 { FileHandle.standardError.write(Data("\(prefix)… and \(warnings.count - 20) more\n".utf8)) }
}

struct ListsStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Current list versions, entry counts and age; for fetched sources the last fetch, its outcome and the last error.",
        discussion: """
            age: time since the list was last known current (loaded, or confirmed unchanged at its publisher by lists fetch),
            what chokepoint_list_age_seconds reports. A source whose last fetch failed shows FAILED with the error and its age.
            """)
    @OptionGroup var database: DatabaseOptions
    @Flag(help: "One JSON object per line instead of a table.") var json = false

    func run() throws {
        try runReportingErrors {
            let c = try database.connect()
            defer { c.close() }
            do { try Migrator.checkCurrent(c) } catch { throw CLIError(code: .unmigrated, message: "\(error)") }
            let rows = try ListStore.status(c)
            let fetches = Dictionary(uniqueKeysWithValues: try ListFetchStatus.all(c).map { ($0.source, $0) })
            // Sources fetched but never loaded (every fetch failed so far) are listed too.
            let sources = (rows.map(\.source) + fetches.keys.filter { s in !rows.contains { $0.source == s } }.sorted())
            if json {
                for source in sources {
                    var obj: [String: Any] = ["source": source]
                    if let r = rows.first(where: { $0.source == source }) {
                        obj.merge(["version": r.versionId, "entries": r.entries, "names": r.names, "bics": r.bics, "loaded_at": r.loadedAt,
                                   "age_hours": (r.ageHours * 10).rounded() / 10, "checksum": r.checksum, "files": r.files]) { $1 }
                    }
                    if let f = fetches[source] {
                        obj["last_fetch_at"] = f.lastAttemptAt
                        obj["last_fetch_outcome"] = f.outcome
                        if let e = f.lastError { obj["last_fetch_error"] = e }
                        if let a = f.lastErrorAgeHours { obj["last_fetch_error_age_hours"] = (a * 10).rounded() / 10 }
                    }
                    print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
                }
                return
            }
            if rows.isEmpty { print("no lists loaded: every payment is held as lists_unavailable until a sanctions list is imported") }
            func age(_ hours: Double) -> String { hours < 48 ? String(format: "%.1f h", hours) : String(format: "%.1f d", hours / 24) }
            let header = ["source", "version", "entries", "names", "BICs", "loaded at", "age", "last fetch", "files"]
            var table = [header]
            for source in sources {
                let r = rows.first { $0.source == source }
                let fetch = fetches[source].map { f in
                    f.outcome == "failed" ? "FAILED \(f.lastAttemptAt)" : "\(f.outcome) \(f.lastAttemptAt)"
                } ?? "-"
                table.append([source, r.map { String($0.versionId) } ?? "-", r.map { String($0.entries) } ?? "-", r.map { String($0.names) } ?? "-",
                              r.map { String($0.bics) } ?? "-", r?.loadedAt ?? "-", r.map { age($0.ageHours) } ?? "-", fetch, r?.files ?? "-"])
            }
            let widths = (0..<header.count).map { i in table.map { $0[i].count }.max() ?? 0 }
            for row in table {
                print(zip(row, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
            for source in sources {
                guard let f = fetches[source], let error = f.lastError, let a = f.lastErrorAgeHours else { continue }
                print("\(source): last fetch error \(age(a)) ago\(f.outcome == "failed" ? " (the last fetch)" : ", fetched fine since"): \(error)")
            }
        }
    }
}

struct ListsDefaultIndicators: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "default-indicators",
        abstract: "Print this release's default indicators (CHPL codes, keywords, exclusions, country sets) as an indicators file.",
        discussion: "To adopt them after an upgrade: save the output and import it with --source indicators (four eyes).")

    func run() throws {
        FileHandle.standardOutput.write(Data(ListStore.defaultIndicatorsFile.bytes))
    }
}
