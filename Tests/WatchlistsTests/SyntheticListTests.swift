import Testing
@testable import Watchlists

/// The synthetic list of `chokepoint-bench list-scale`: deterministic, never a real name, and with the real
/// list's statistics (checked on the real SDN when `../shared` is there, on the hand-made OFAC set always).
@Suite struct SyntheticListTests {
    static func fixtureEntries() throws -> [ListEntry] {
        try ListParser.parse(source: .ofacSDN, contents: OFACFixture.files).entries
    }

    static func sdnEntries() throws -> [ListEntry]? {
        guard SharedData.exists("ofac/sdn_full_2024-05-03/sdn.csv", "ofac/watchman_2025-12-24/alt.csv") else { return nil }
        return try SharedData.parse(.ofacSDN, "ofac/sdn_full_2024-05-03/sdn.csv", "ofac/watchman_2025-12-24/alt.csv").entries
    }

    @Test func sameSeedSameListOtherSeedOtherList() throws {
        let real = try Self.fixtureEntries()
        let a = SyntheticList.generate(names: 300, like: real, seed: 5)
        let b = SyntheticList.generate(names: 300, like: real, seed: 5)
        let c = SyntheticList.generate(names: 300, like: real, seed: 6)
        #expect(a.entries == b.entries)
        #expect(a.summary == b.summary)
        #expect(a.entries != c.entries)
        #expect(a.entries.first?.sourceId == "SYN-1")
    }

    @Test func exactlyTheNamesAskedFor() throws {
        let real = try Self.fixtureEntries()
        for n in [0, 1, 7, 250] {
            let (entries, summary) = SyntheticList.generate(names: n, like: real, seed: 1)
            #expect(entries.reduce(0) { $0 + $1.names.count } == n)
            #expect(summary.names == n)
            #expect(entries.allSatisfy { !$0.names.isEmpty && $0.bics.isEmpty })
        }
        #expect(SyntheticList.generate(names: 10, like: [], seed: 1).entries.isEmpty)
    }

    @Test func neverARealNameOrARealIdentifier() throws {
        let real = try Self.fixtureEntries()
        let realKeys = Set(real.flatMap { $0.names.map { SyntheticList.tokenKey($0.name) } })
        let realValues = Set(real.flatMap { $0.identifiers.map(\.value) })
        let (entries, summary) = SyntheticList.generate(names: 2_000, like: real, seed: 3)
        for e in entries {
            for n in e.names { #expect(!realKeys.contains(SyntheticList.tokenKey(n.name)), "\(n.name) is a real name") }
            for i in e.identifiers { #expect(!realValues.contains(i.value)) }
        }
        // The fixture's names are all rare words: every one is replaced, none is drawn again as real.
        #expect(summary.newTokens > 0)
        #expect(summary.identifiers > 0)
    }

    @Test func tokenKeyIgnoresOrderCaseAndPunctuation() {
        #expect(SyntheticList.tokenKey("HADDAD, Fethi") == SyntheticList.tokenKey("fethi haddad"))
        #expect(SyntheticList.tokenKey("ANGLO-CARIBBEAN CO., LTD.") == SyntheticList.tokenKey("ltd co caribbean anglo"))
        #expect(SyntheticList.tokenKey("A B") != SyntheticList.tokenKey("A B C"))
    }

    @Test func wordsKeepWhatLiesBetween() {
        let (words, separators) = SyntheticList.words("AL-MUHAMMAD, Khamis 'Abd.")
        #expect(words == ["AL", "MUHAMMAD", "Khamis", "Abd"])
        #expect(separators == ["", "-", ", ", " '", "."])
    }

    /// On the real SDN: the mix of kinds, names per entry, words per name, word length and weak share follow it;
    /// rare words are made up (never a real word), common ones kept.
    @Test(.enabled(if: SharedData.exists("ofac/sdn_full_2024-05-03/sdn.csv"), SharedData.missing("ofac/sdn_full_2024-05-03/sdn.csv")))
    func statisticsFollowTheRealSDN() throws {
        guard let real = try Self.sdnEntries() else { return }
        let (entries, summary) = SyntheticList.generate(names: 40_000, like: real, seed: 17)
        struct Stats {
            var personShare = 0.0, namesPerEntry = 0.0, wordsPerName = 0.0, wordLength = 0.0, weakShare = 0.0
            init(_ entries: [ListEntry]) {
                var names = 0, words = 0, letters = 0, weak = 0
                for e in entries {
                    for n in e.names {
                        names += 1
                        if n.strength == .weak { weak += 1 }
                        for w in SyntheticList.words(n.name).words { words += 1; letters += w.count }
                    }
                }
                personShare = Double(entries.filter { $0.type == .person }.count) / Double(entries.count)
                namesPerEntry = Double(names) / Double(entries.count)
                wordsPerName = Double(words) / Double(names)
                wordLength = Double(letters) / Double(words)
                weakShare = Double(weak) / Double(names)
            }
        }
        let r = Stats(real.filter { !$0.names.isEmpty }), s = Stats(entries)
        #expect(abs(s.personShare - r.personShare) < 0.03, "persons \(s.personShare) vs \(r.personShare)")
        #expect(abs(s.namesPerEntry / r.namesPerEntry - 1) < 0.1, "names per entry \(s.namesPerEntry) vs \(r.namesPerEntry)")
        #expect(abs(s.wordsPerName / r.wordsPerName - 1) < 0.1, "words per name \(s.wordsPerName) vs \(r.wordsPerName)")
        #expect(abs(s.wordLength - r.wordLength) < 1.0, "word length \(s.wordLength) vs \(r.wordLength)")
        #expect(abs(s.weakShare - r.weakShare) < 0.03, "weak share \(s.weakShare) vs \(r.weakShare)")
        #expect(summary.crafts > 0 && summary.entities > 0 && summary.identifiers > 0)

        var uses: [String: Int] = [:]
        for e in real { for n in e.names { for w in SyntheticList.words(n.name).words { uses[w.uppercased(), default: 0] += 1 } } }
        let realKeys = Set(real.flatMap { $0.names.map { SyntheticList.tokenKey($0.name) } })
        var common = 0, madeUp = 0
        for e in entries {
            for n in e.names {
                #expect(!realKeys.contains(SyntheticList.tokenKey(n.name)), "\(n.name) is a real name")
                for w in SyntheticList.words(n.name).words {
                    let u = uses[w.uppercased(), default: 0]
                    if u == 0 { madeUp += 1 } else { common += 1 }
                }
            }
        }
        // Rare real words are always replaced (a word used 1 to 19 times never appears), so only common words and
        // made-up ones remain, both in quantity.
        let rareKept = entries.flatMap { $0.names.flatMap { SyntheticList.words($0.name).words } }
            .filter { (1..<SyntheticList.Model.commonUses).contains(uses[$0.uppercased(), default: 0]) }
        #expect(rareKept.count == 0, "rare real words kept: \(rareKept.prefix(5))")
        #expect(common > 0 && madeUp > 0)
    }
}
