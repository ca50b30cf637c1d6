import ArgumentParser
import FetchConfig
import Foundation
import ListFetch
import Postgres
import Store
import Watchlists

struct ListsFetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download the lists named in the config file and import those that changed (what chokepoint-lists.timer runs).",
        discussion: """
            Each source of the config file (default \(FetchConfig.defaultPath); see systemd/lists.toml.example) is downloaded
            over https with TLS verification, a timeout, a size limit and the configured proxy; a conditional GET
            (ETag / If-Modified-Since) and a byte-identical file import nothing. A changed file is checked against its
            published checksum, parsed and imported as `lists import` does, shrink guard included, and the version's diff
            is recorded (chokepoint lists diff SOURCE). Any failure (network, HTTP status, size, checksum, parse, shrink
            guard) keeps the version in force, is recorded as the source's last fetch error (chokepoint lists status) and
            makes the command exit 1 once every source was tried. Exit 5: the config file is missing or invalid.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The lists' config file.") var config = FetchConfig.defaultPath
    @Option(name: .customLong("source"), help: "Fetch only this source (repeatable); default: every source of the config file.")
    var only: [String] = []
    @Flag(help: "Import even if a new version drops more entries than the source's max_shrink_percent allows.") var allowShrink = false

    func run() throws {
        try runReportingErrors {
            let listSources = ListSource.allCases.filter { $0 != .indicators }.map(\.rawValue)
            let loaded: FetchConfig
            do {
                loaded = try FetchConfig.load(path: config, knownSources: listSources)
            } catch {
                throw CLIError(code: .badInput, message: "config refused: \(error)")
            }
            let unknown = only.filter { name in !loaded.sources.contains { $0.name == name } }
            guard unknown.isEmpty else {
                throw CLIError(code: .badInput, message: "--source \(unknown.joined(separator: ", ")): not in \(config)")
            }
            let c = try database.connect()
            defer { c.close() }
            do { try Migrator.checkCurrent(c) } catch { throw CLIError(code: .unmigrated, message: "\(error)") }
            var failed: [String] = []
            for source in loaded.sources where only.isEmpty || only.contains(source.name) {
                let started = Date()
                do {
                    let outcome = try ListFetcher.fetch(source, c, allowShrink: allowShrink)
                    let took = String(format: "%.1f s", Date().timeIntervalSince(started))
                    switch outcome {
                    case .notModified(let v):
                        print("\(source.name): not modified at the publisher (HTTP 304); version \(v) stays in force (\(took))")
                    case .unchanged(let v):
                        print("\(source.name): unchanged (same files as version \(v)); nothing imported (\(took))")
                    case .imported(let v, let entries, let added, let removed, let changed, let warnings):
                        printWarnings(warnings, source: source.name)
                        print("\(source.name): version \(v) loaded: \(entries) entries; \(added) added, \(removed) removed, \(changed) changed; "
                              + "\(warnings.count) warnings (\(took))")
                    }
                } catch {
                    failed.append(source.name)
                    FileHandle.standardError.write(Data("chokepoint: \(source.name): fetch failed, the version in force stays: \(error)\n".utf8))
                }
            }
            if !failed.isEmpty {
                throw CLIError(code: .failure, message: "\(failed.count) source(s) failed: \(failed.joined(separator: ", ")) (see chokepoint lists status)")
            }
        }
    }
}
