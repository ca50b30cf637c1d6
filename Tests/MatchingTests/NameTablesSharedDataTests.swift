import Foundation
import Testing
@testable import Matching

/// Issue #14 item 5 on the real OFAC SDN list (skipped when absent): romanisations of given names.
@Suite("Romanisations on the real SDN list")
struct RomanisationSharedDataTests {
    /// Group of each member of `NameTables.equivalenceGroups`, as written.
    static let groupOf: [String: Int] = {
        var out = [String: Int]()
        for (g, group) in NameTables.equivalenceGroups.enumerated() { for n in group { out[n] = g } }
        return out
    }()

    @Test("generated: every SDN person with a given name of the table is found with it in each other romanisation; an invented person sharing only that given name is not",
          .enabled(if: SharedDataTests.sdnURL != nil, "../shared/data/ofac/sdn_full_2024-05-03/sdn.csv not found; skipped"))
    func swappedGivenNames() throws {
        let aliases = try SharedDataTests.sdnAliases()
        let index = NameIndex(aliases: aliases)
        var checked = 0, missed = [String](), invented = 0, falseHits = [String]()
        var rng = SeededRandom(seed: 20_240_503)
        for a in aliases where a.isPerson {
            guard let comma = a.name.firstIndex(of: ",") else { continue }
            let family = String(a.name[..<comma])
            let given = a.name[a.name.index(after: comma)...].split(separator: " ").map { String($0).uppercased() }
            guard let i = given.firstIndex(where: { Self.groupOf[$0] != nil }) else { continue }
            let group = NameTables.equivalenceGroups[Self.groupOf[given[i]]!]
            for other in group where other != given[i] {
                var swapped = given
                swapped[i] = other
                let text = swapped.joined(separator: " ") + " " + family
                checked += 1
                if !index.search(text).contains(where: { $0.entry == a.entry }) { missed.append(text) }
            }
            // The same given name (any romanisation) with an invented family name: nobody of that name.
            var letters = [UInt8]()
            for j in 0..<7 { letters.append(j % 2 == 0 ? Array("BDFGKLMNPRSTVZ".utf8)[Int(rng.next() % 14)] : Array("AEIOU".utf8)[Int(rng.next() % 5)]) }
            let fake = String(decoding: letters, as: UTF8.self)
            let text = group[Int(rng.next() % UInt64(group.count))] + " " + fake
            invented += 1
            for m in index.search(text) where aliases[m.aliasIndex].isPerson {
                // An invented name that happens to be one edit from a real family name of a listed person is not invented.
                let tokens = Normalizer.normalize(aliases[m.aliasIndex].name).split(separator: " ").map { Array($0.utf8) }
                if tokens.contains(where: { Similarity.withinOneEdit($0, Array(fake.utf8)) || Normalizer.fold($0) == Normalizer.fold(Array(fake.utf8)) }) { continue }
                falseHits.append("\(text) ~ \(aliases[m.aliasIndex].name)")
            }
        }
        print("romanisations: \(checked) swapped names checked, \(missed.count) missed; \(invented) invented names, \(falseHits.count) hit")
        #expect(checked > 300)
        #expect(missed.isEmpty, "\(missed.count) missed, e.g. \(missed.prefix(8))")
        #expect(falseHits.isEmpty, "\(falseHits.count): \(falseHits.prefix(8))")
    }
}
