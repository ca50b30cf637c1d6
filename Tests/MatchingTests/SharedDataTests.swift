import Foundation
import Testing
@testable import Matching

/// Tests on the real lists in `../shared/data` (read in place, never copied); skipped when absent.
@Suite("Shared data")
struct SharedDataTests {
    static let sdnURL = sharedDataURL("ofac/sdn_full_2024-05-03/sdn.csv")
    static let pairsURL = sharedDataURL("name_matching/ofac_alias_pairs_derived.csv")
    static let crossScriptURL = sharedDataURL("name_matching/watchman_cross_script_pairs.csv")

    /// OFAC SDN primary names as aliases (entry = ent_num).
    static func sdnAliases() throws -> [NameIndex.Alias] {
        let url = try #require(sdnURL)
        let text = try String(contentsOf: url, encoding: .isoLatin1)
        return parseCSV(text).compactMap { row in
            guard row.count >= 3, let ent = Int(row[0]) else { return nil }
            let type = row[2].trimmingCharacters(in: .whitespaces)
            return NameIndex.Alias(entry: ent, name: row[1], isPerson: type == "individual", weak: false)
        }
    }

    @Test("every indexed SDN name is found verbatim with score 1, and as written in another order",
          .enabled(if: sdnURL != nil, "../shared/data/ofac/sdn_full_2024-05-03/sdn.csv not found; skipped"))
    func sdnSelfRecall() throws {
        let aliases = try Self.sdnAliases()
        #expect(aliases.count > 14_000)
        let index = NameIndex(aliases: aliases)
        let indexed = Set(index.variantAlias.map(Int.init))
        var missed = [String]()
        var reorderedMissed = [String]()
        for ai in indexed {
            let a = aliases[ai]
            let found = index.search(lines: [a.name])
            if !found.contains(where: { $0.entry == a.entry && $0.score == 1 }) { missed.append(a.name) }
            // "LAST, First Middle" written "First Middle LAST".
            if a.isPerson, let comma = a.name.firstIndex(of: ",") {
                let swapped = a.name[a.name.index(after: comma)...] + " " + a.name[..<comma]
                if !index.search(lines: [String(swapped)]).contains(where: { $0.entry == a.entry }) { reorderedMissed.append(a.name) }
            }
        }
        #expect(missed.isEmpty, "\(missed.count) of \(indexed.count) not found verbatim, e.g. \(missed.prefix(5))")
        #expect(reorderedMissed.isEmpty, "\(reorderedMissed.count) persons not found reordered, e.g. \(reorderedMissed.prefix(5))")
        print("SDN: \(aliases.count) names, \(index.indexedVariantCount) variants indexed, \(index.skippedAliasCount) skipped, vocabulary \(index.vocabularySize)")
    }

    @Test("SDN: the key table finds exactly what the whole-token automaton finds (names as listed, reordered, with a typo, in longer text)",
          .enabled(if: sdnURL != nil, "../shared/data/ofac/sdn_full_2024-05-03/sdn.csv not found; skipped"))
    func keyTableEqualsAutomaton() throws {
        let aliases = try Self.sdnAliases()
        var config = MatchConfiguration()
        config.tokenAutomatonMaxBytes = 0
        let automaton = NameIndex(aliases: aliases), table = NameIndex(aliases: aliases, configuration: config)
        #expect(automaton.tokenAutomaton != nil, "the SDN's vocabulary must fit the default automaton budget")
        #expect(table.tokenAutomaton == nil)
        var texts = 0
        for (i, a) in aliases.enumerated() where i % 5 == 0 {
            let words = a.name.split(separator: " ")
            let typo = a.name.count > 8 ? String(a.name.prefix(4)) + "X" + String(a.name.dropFirst(5)) : a.name
            for lines in [[a.name], [String(words.reversed().joined(separator: " "))], [typo],
                          ["PAYMENT FOR INVOICE 12 TO " + a.name, "UL. LENINA 4 MOSCOW"]] {
                texts += 1
                let expected = automaton.search(lines: lines)
                #expect(table.search(lines: lines) == expected, "\(lines)")
            }
        }
        #expect(texts > 10_000)
    }

    @Test("labelled pairs: hard and random negatives rarely match",
          .enabled(if: pairsURL != nil, "../shared/data/name_matching/ofac_alias_pairs_derived.csv not found; skipped"))
    func pairs() throws {
        let rows = parseCSV(try String(contentsOf: try #require(Self.pairsURL), encoding: .utf8)).dropFirst()
        var negatives = 0, falsePositives = [String](), positives = 0, found = 0
        for row in rows where row.count >= 7 {
            let isPerson = row[6] == "individual"
            let index = NameIndex(aliases: [NameIndex.Alias(entry: 1, name: row[0], isPerson: isPerson, weak: row[5] == "weak_aka_in_remarks")])
            let hit = !index.search(lines: [row[1]]).isEmpty
            if row[2] == "match" {
                positives += 1
                if hit { found += 1 }
            } else {
                negatives += 1
                if hit { falsePositives.append("\(row[0]) ~ \(row[1])") }
            }
        }
        print("pairs: \(found)/\(positives) positives matched (aliases are often different names), \(falsePositives.count)/\(negatives) negatives matched: \(falsePositives.prefix(10))")
        #expect(negatives > 1000)
        #expect(Double(falsePositives.count) / Double(negatives) <= 0.01, "\(falsePositives)")
    }

    @Test("cross-script pairs in Cyrillic and Greek",
          .enabled(if: crossScriptURL != nil, "../shared/data/name_matching/watchman_cross_script_pairs.csv not found; skipped"))
    func crossScript() throws {
        let rows = parseCSV(try String(contentsOf: try #require(Self.crossScriptURL), encoding: .utf8))
        var checked = 0
        for row in rows where row.count >= 4 && !row[0].hasPrefix("#") {
            let isCyrillic = row[0].unicodeScalars.contains { (0x400...0x4FF).contains($0.value) }
            guard isCyrillic else { continue }
            let index = NameIndex(aliases: [NameIndex.Alias(entry: 1, name: row[1], isPerson: true, weak: false)])
            #expect(index.search(lines: [row[0]]).first?.entry == 1, "\(row[0]) ~ \(row[1])")
            checked += 1
        }
        #expect(checked == 4)
    }
}
