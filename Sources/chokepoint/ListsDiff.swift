import ArgumentParser
import Foundation
import Store
import Watchlists

struct ListsDiff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "What a list version changed against the version it replaced: entries added, removed and changed.",
        discussion: """
            Without VERSION: the version in force. Every import (lists import and lists fetch alike) records its diff in
            chokepoint.list_changes, which operators can also query in SQL.
            """)

    @OptionGroup var database: DatabaseOptions
    @Argument(help: "The list source (ofac-sdn, eu, …).") var source: String
    @Argument(help: "A version id of that source (default: the one in force).") var version: Int64?
    @Flag(help: "One JSON object per change instead of text.") var json = false

    func validate() throws {
        guard ListSource(rawValue: source) != nil else {
            throw ValidationError("unknown source '\(source)'; use one of: \(ListSource.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        try runReportingErrors {
            let c = try database.connect()
            defer { c.close() }
            do { try Migrator.checkCurrent(c) } catch { throw CLIError(code: .unmigrated, message: "\(error)") }
            guard let diff = try ListChanges.diff(c, source: source, versionId: version) else {
                throw CLIError(code: .failure, message: version.map { "\(source) has no version \($0)" } ?? "\(source): no version loaded")
            }
            if json {
                for ch in diff.changes {
                    var obj: [String: Any] = ["source": source, "version": diff.versionId, "change": ch.change, "source_id": ch.sourceId,
                                              "entry_type": ch.entryType, "name": ch.primaryName]
                    if let p = ch.previousName { obj["previous_name"] = p }
                    if !ch.namesAdded.isEmpty { obj["names_added"] = ch.namesAdded }
                    if !ch.namesRemoved.isEmpty { obj["names_removed"] = ch.namesRemoved }
                    if !ch.identifiersAdded.isEmpty { obj["identifiers_added"] = ch.identifiersAdded }
                    if !ch.identifiersRemoved.isEmpty { obj["identifiers_removed"] = ch.identifiersRemoved }
                    print(String(decoding: try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), as: UTF8.self))
                }
                return
            }
            guard let previous = diff.previousVersionId else {
                print("\(source) version \(diff.versionId) (loaded \(diff.loadedAt)) is the first version of its source: no diff")
                return
            }
            print("\(source) version \(diff.versionId) (loaded \(diff.loadedAt)) against version \(previous): "
                  + "\(diff.count("added")) added, \(diff.count("removed")) removed, \(diff.count("changed")) changed")
            for ch in diff.changes {
                let sign = ["added": "+", "removed": "-"][ch.change] ?? "~"
                print("\(sign) \(ch.sourceId)  \(ch.entryType)  \(ch.primaryName)")
                if let p = ch.previousName { print("    name was: \(p)") }
                if !ch.namesAdded.isEmpty { print("    names added: \(ch.namesAdded.joined(separator: "; "))") }
                if !ch.namesRemoved.isEmpty { print("    names removed: \(ch.namesRemoved.joined(separator: "; "))") }
                if !ch.identifiersAdded.isEmpty { print("    identifiers added: \(ch.identifiersAdded.joined(separator: "; "))") }
                if !ch.identifiersRemoved.isEmpty { print("    identifiers removed: \(ch.identifiersRemoved.joined(separator: "; "))") }
                if ch.change == "changed", ch.previousName == nil, ch.namesAdded.isEmpty, ch.namesRemoved.isEmpty,
                   ch.identifiersAdded.isEmpty, ch.identifiersRemoved.isEmpty {
                    print("    other details changed (addresses, countries, programs or remarks)")
                }
            }
        }
    }
}
