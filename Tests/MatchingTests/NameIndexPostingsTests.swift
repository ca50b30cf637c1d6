import Testing
@testable import Matching

/// Candidate postings by anchor and second anchor (`NameIndex+Postings.swift`) against the way they were found
/// before: every variant posted under a hit token, kept when each of its required tokens is hit.
@Suite("NameIndex postings")
struct NameIndexPostingsTests {
    /// Names drawn from a small vocabulary, so that common anchors carry long lists of variants (the case the
    /// second anchor is for), persons (some required, some optional tokens) and entities (all required) alike.
    static func randomIndex(seed: UInt64) -> NameIndex {
        var rng = SeededRandom(seed: seed)
        let words = ["MOHAMMED", "ALI", "HASSAN", "IBRAHIM", "KHALIL", "AZIZ", "AL", "ABDEL", "OMAR", "YUSUF",
                     "TRADING", "GROUP", "HOLDING", "INVEST", "PETRO", "MARINE", "SHIPPING", "GLOBAL", "NOVA", "ZARYA",
                     "VOSTOK", "SEVER", "STROY", "TRANS", "NEFT", "GAZ", "KAPITAL", "ENERGIYA", "SOLUTIONS", "LOGISTICS",
                     "IVANOV", "PETROV", "SERGEEVICH", "ANNA", "MARIA", "VLADIMIR", "OLEG", "DMITRY", "YURI", "PAVEL"]
        var aliases = [NameIndex.Alias]()
        for entry in 0..<3_000 {
            let person = Bool.random(using: &rng)
            let count = Int.random(in: 1...5, using: &rng)
            let tokens = (0..<count).map { _ in words.randomElement(using: &rng)! }
            let name = person && count >= 2 ? tokens[0] + ", " + tokens.dropFirst().joined(separator: " ") : tokens.joined(separator: " ")
            aliases.append(.init(entry: entry, name: name, isPerson: person, weak: Int.random(in: 0..<10, using: &rng) == 0))
        }
        return NameIndex(aliases: aliases)
    }

    @Test("the postings by second anchor give the candidates the anchor postings gave", arguments: propertySeeds(4))
    func sameCandidates(seed: UInt64) {
        let index = Self.randomIndex(seed: seed)
        // The long lists are there: some anchor has more postings (after those without a second anchor) than are read whole.
        var longest = 0
        for t in 0..<index.vocabularySize {
            let withSecond = (Int(index.anchorOffsets[t])..<Int(index.anchorOffsets[t + 1])).filter { index.anchorSecond[$0] >= 0 }
            longest = max(longest, withSecond.count)
        }
        #expect(longest > NameIndex.postingScanLength, "seed \(seed): longest list \(longest)")
        var rng = SeededRandom(seed: seed ^ 0xC0FFEE)
        var candidates = [Int32]()
        var nonEmpty = 0
        for _ in 0..<500 {
            let size = Int.random(in: 1...12, using: &rng)
            let hit = Set((0..<size).map { _ in Int32.random(in: 0..<Int32(index.vocabularySize), using: &rng) }).sorted()
            index.candidateVariants(hitTokens: hit, into: &candidates)
            let expected = index.candidateVariantsByAnchorOnly(hitTokens: hit)
            #expect(candidates == expected, "seed \(seed): hit tokens \(hit)")
            if !expected.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty > 100, "seed \(seed): only \(nonEmpty) texts had candidates")
    }

    @Test("every variant is posted once, under a required token, its list ordered by second anchor then variant")
    func postingsShape() {
        let index = Self.randomIndex(seed: 17)
        #expect(index.anchorVariants.sorted() == (0..<Int32(index.indexedVariantCount)).map { $0 })
        for t in 0..<index.vocabularySize {
            let r = Int(index.anchorOffsets[t])..<Int(index.anchorOffsets[t + 1])
            for k in r {
                let v = Int(index.anchorVariants[k])
                let required = (Int(index.variantOffsets[v])..<Int(index.variantOffsets[v + 1]))
                    .filter { index.variantEssential[$0] == NameIndex.required }.map { index.variantTokens[$0] }
                #expect(required.contains(Int32(t)))
                #expect(index.anchorSecond[k] == -1 ? Set(required) == [Int32(t)] : required.contains(index.anchorSecond[k]))
                if k > r.lowerBound {
                    #expect((index.anchorSecond[k - 1], index.anchorVariants[k - 1]) < (index.anchorSecond[k], index.anchorVariants[k]))
                }
            }
        }
    }
}
