import Testing
@testable import Matching

/// A small hand-written list: entry numbers are what tests expect back.
let fixtureAliases: [NameIndex.Alias] = [
    .init(entry: 1, name: "SBERBANK OF RUSSIA", isPerson: false, weak: false),
    .init(entry: 1, name: "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA", isPerson: false, weak: false),
    .init(entry: 2, name: "ALFA-BANK", isPerson: false, weak: false),
    .init(entry: 2, name: "AO ALFA-BANK", isPerson: false, weak: false),
    .init(entry: 3, name: "ALROSA", isPerson: false, weak: false),
    .init(entry: 4, name: "PUTIN, Vladimir Vladimirovich", isPerson: true, weak: false),
    .init(entry: 5, name: "ROMASHKA, OOO", isPerson: false, weak: false),
    .init(entry: 6, name: "ROSOBORONEXPORT", isPerson: false, weak: false),
    .init(entry: 7, name: "KALASHNIKOV CONCERN", isPerson: false, weak: false),
    .init(entry: 8, name: "VTB BANK", isPerson: false, weak: false),
    .init(entry: 9, name: "MOSCOW INDUSTRIAL BANK", isPerson: false, weak: false),
    .init(entry: 10, name: "IVANOV, Sergei Borisovich", isPerson: true, weak: false),
    .init(entry: 11, name: "TRADING HOUSE TEKHNOLOGII", isPerson: false, weak: false),
    .init(entry: 12, name: "VOVA", isPerson: true, weak: true),
    .init(entry: 12, name: "BIG VOVA", isPerson: true, weak: true),
    .init(entry: 13, name: "LIMITED LIABILITY COMPANY", isPerson: false, weak: false),  // legal form only: never indexed
    .init(entry: 14, name: "BANK", isPerson: false, weak: false),                       // generic single token
    .init(entry: 15, name: "AKTSIONERNOE OBSHCHESTVO KONTSERN AVTOMATIKA", isPerson: false, weak: false),
    .init(entry: 16, name: "Медведев Дмитрий Анатольевич", isPerson: true, weak: false),
    .init(entry: 17, name: "MAHMOUD", isPerson: true, weak: false),                     // single-token person: not indexed
    .init(entry: 18, name: "ZAO", isPerson: false, weak: false),
    .init(entry: 19, name: "TEKHNOPROMEKSPORT", isPerson: false, weak: false),
    .init(entry: 20, name: "SHIPPING", isPerson: false, weak: false),
]

/// (field lines, entries that must be found).
let mustFind: [(lines: [String], entries: Set<Int>, note: String)] = [
    (["SBERBANK OF RUSSIA"], [1], "exact"),
    (["PAO SBERBANK OF RUSSIA"], [1], "legal form in front"),
    (["Sberbank of Russia, Public Joint-Stock Company"], [1], "legal form at the back"),
    (["SBERBANK OF RU", "SSIA MOSCOW"], [1], "MT line split mid-word"),
    (["/40702810900000012345", "SBERBANK OF", "RUSSIA"], [1], "MT line split between words"),
    (["ALFA-BANK"], [2], "hyphen"),
    (["ALFABANK"], [2], "hyphen removed"),
    (["ALFA BANK"], [2], "hyphen as space"),
    (["JOINT STOCK COMPANY ALFA BANK"], [2], "legal form spelled out"),
    (["J.S.C. ALFA-BANK"], [2], "dotted legal form"),
    (["ALROSA PJSC"], [3], "single-token entity with a legal form"),
    (["PAYMENT TO ALROSA FOR DIAMONDS"], [3], "extra words around the name"),
    (["VLADIMIR PUTIN"], [4], "missing middle name"),
    (["PUTIN VLADIMIR VLADIMIROVICH"], [4], "family name first"),
    (["VLADIMIR VLADIMIROVICH PUTIN"], [4], "given names first"),
    (["Владимир Владимирович Путин"], [4], "Cyrillic"),
    (["MR VLADIMIR V PUTIN"], [4], "initial for the middle name"),
    (["ROMASHKA LLC"], [5], "LLC for OOO"),
    (["OBSCHESTVO S OGRANICHENNOI OTVETSTVENNOSTIU ROMASHKA"], [5], "another transliteration of the form"),
    (["ROSOBORONEKSPORT"], [6], "X/KS"),
    (["ROSOBORNEXPORT"], [6], "one deletion in a long single token"),
    (["KALASHNIKOV CONCERN"], [7], "exact"),
    (["KALASHNIKOV CONCREN"], [7], "transposition"),
    (["KALASHNIKOFF CONCERN"].map { $0.replacingOccurrences(of: "FF", with: "F") }, [7], "substitution"),
    (["KALASHNIKOV CONCERNS"], [7], "insertion"),
    (["IVANOV SERGEY BORISOVICH"], [10], "transliteration variant"),
    (["SERGEI IVANOV"], [10], "reordered, no middle name"),
    (["SERGEY BORISOVICH IVANOFF"].map { $0.replacingOccurrences(of: "OFF", with: "OV") }, [10], "reordered"),
    (["IVANOV SERGIE"], [10], "typo in a 6-letter given name"),
    (["TORGOVYI DOM", "TRADING HOUSE TECHNOLOGII"], [11], "KH/H on a second line"),
    (["BIG VOVA"], [12], "weak alias, exact"),
    (["AO KONCERN AVTOMATIKA"], [15], "Russian legal form, C/TS"),
    (["DMITRY MEDVEDEV"], [16], "Cyrillic alias, Latin text"),
    (["TEKHNOPROMEXPORT"], [19], "KS/X in a single token"),
]

/// (field lines, entries that must NOT be found).
let mustNotFind: [(lines: [String], entries: Set<Int>, note: String)] = [
    (["VLADIMIR"], [4], "a common first name alone"),
    (["VLADIMIR IVANOV"], [4, 10], "two different people's names"),
    (["PUTIN STREET 5", "VLADIVOSTOK"], [4], "family name alone"),
    (["LIMITED LIABILITY COMPANY"], [13, 5], "a legal form alone"),
    (["OOO"], [5, 13, 18], "a legal form alone"),
    (["ZAO"], [18], "a legal form alone"),
    (["KALROSANTEKS LLC"], [3], "a short name inside a longer word"),
    (["BANK OF AMERICA"], [1, 8, 9, 14], "a single common token"),
    (["TRADING HOUSE"], [11], "common tokens of a multi-token name"),
    (["MOSCOW"], [9], "a single common token"),
    (["MOSCOW BANK"], [9], "two of three tokens"),
    (["SBERBANK"], [1], "one token of a two-token name"),
    (["VOVA"], [12], "single-token weak alias"),
    (["BIG VOVAN"], [12], "weak aliases match exactly only"),
    (["MAHMOUD"], [17], "single-token person alias"),
    (["MAHMOUD ABBAS"], [17], "single-token person alias"),
    (["ALFA", "BANK"].map { $0 + " LTD" }, [], "nothing"),
    (["KALASHNIKOV"], [7], "one token of a two-token name"),
    (["ROSOBARANEXPORT GROUP"], [6], "two typos"),
    (["SHIPPING"], [20], "generic single-token alias"),
    (["ALROSAS"], [3], "typo in a short single-token alias"),
    (["IVANOV SERGEY", "PETROV BORISOVICH"], [], "nothing asserted beyond no crash"),
    (["VLADIMIR PETROVICH ANDREEV PUTIN"], [4], "too many extra tokens between the names"),
]

let fixtureIndex = NameIndex(aliases: fixtureAliases)

@Suite("NameIndex")
struct NameIndexTests {
    @Test("must find", arguments: mustFind.indices)
    func find(i: Int) {
        let c = mustFind[i]
        let found = fixtureIndex.search(lines: c.lines)
        let entries = Set(found.map(\.entry))
        #expect(c.entries.isSubset(of: entries), "\(c.note): \(c.lines) -> \(found)")
        for m in found { #expect(m.score >= 0.9 && m.score <= 1) }
    }

    @Test("a workspace shared by many searches (of two indexes) changes no result")
    func sharedWorkspace() {
        let other = NameIndex(aliases: Array(fixtureAliases.prefix(8)))
        // Long texts first, so that later, shorter ones run in buffers holding longer leftovers.
        let texts = (mustFind.map(\.lines) + mustNotFind.map(\.lines)).sorted { $0.joined().count > $1.joined().count }
        var workspace = NameIndex.SearchWorkspace()
        for round in 0..<2 {
            for lines in texts + [[], [""], ["SBERBANK OF RUSSIA"]] {
                for index in [fixtureIndex, other] {
                    #expect(index.search(lines: lines, workspace: &workspace) == index.search(lines: lines), "round \(round): \(lines)")
                }
            }
        }
    }

    @Test("the vocabulary's key table finds what the whole-token automaton finds, on every must-find and must-not-find text")
    func keyTableEqualsAutomaton() {
        var config = MatchConfiguration()
        config.tokenAutomatonMaxBytes = 0
        let tableOnly = NameIndex(aliases: fixtureAliases, configuration: config)
        #expect(fixtureIndex.tokenAutomaton != nil)
        #expect(tableOnly.tokenAutomaton == nil)
        // A budget smaller than the table also falls back, without failing the build.
        config.tokenAutomatonMaxBytes = 1024
        #expect(NameIndex(aliases: fixtureAliases, configuration: config).tokenAutomaton == nil)
        for lines in mustFind.map(\.lines) + mustNotFind.map(\.lines) {
            #expect(tableOnly.search(lines: lines) == fixtureIndex.search(lines: lines), "\(lines)")
        }
    }

    @Test("must not find", arguments: mustNotFind.indices)
    func notFind(i: Int) {
        let c = mustNotFind[i]
        let found = fixtureIndex.search(lines: c.lines)
        #expect(c.entries.isDisjoint(with: found.map(\.entry)), "\(c.note): \(c.lines) -> \(found)")
    }

    @Test("skipped aliases are counted")
    func skipped() {
        // LIMITED LIABILITY COMPANY, BANK, MAHMOUD, ZAO, SHIPPING, VOVA.
        #expect(fixtureIndex.skippedAliasCount == 6)
    }

    @Test("one result per entry, its best alias, best first")
    func dedupe() {
        let found = fixtureIndex.search(lines: ["PAO SBERBANK OF RUSSIA AND KALASHNIKOV CONCREN"])
        #expect(found.map(\.entry) == [1, 7])
        #expect(found[0].score == 1)
        #expect(found[1].score < 1)
        #expect(found[0].matchedText == "SBERBANK OF RUSSIA")
    }

    @Test("matched text is the normalized span of the field")
    func matchedText() {
        let found = fixtureIndex.search(lines: ["Beneficiary: Ivanov, Sergey B."])
        #expect(found.first?.entry == 10)
        #expect(found.first?.matchedText == "IVANOV SERGEY")
    }

    @Test("missing middle names cost a little; typos cost more on shorter tokens")
    func scores() throws {
        let exact = try #require(fixtureIndex.search(lines: ["PUTIN VLADIMIR VLADIMIROVICH"]).first)
        let missing = try #require(fixtureIndex.search(lines: ["VLADIMIR PUTIN"]).first)
        #expect(exact.score == 1)
        #expect(missing.score < exact.score && missing.score >= 0.95)
    }

    @Test("the threshold is configurable")
    func threshold() {
        var strict = MatchConfiguration()
        strict.threshold = 1.0
        let idx = NameIndex(aliases: fixtureAliases, configuration: strict)
        #expect(idx.search(lines: ["KALASHNIKOV CONCREN"]).isEmpty)
        #expect(idx.search(lines: ["KALASHNIKOV CONCERN"]).map(\.entry) == [7])
    }

    @Test("lines joined without a space can be switched off")
    func joinSwitch() {
        var cfg = MatchConfiguration()
        cfg.joinLinesWithoutSpace = false
        let idx = NameIndex(aliases: fixtureAliases, configuration: cfg)
        #expect(idx.search(lines: ["SBERBANK OF RU", "SSIA"]).isEmpty)
        #expect(!fixtureIndex.search(lines: ["SBERBANK OF RU", "SSIA"]).isEmpty)
    }

    /// Every must-find and must-not-find row, replayed under configurations that must not change them.
    @Test("tables hold under equivalent configurations", arguments: [0.85, 0.9, 0.92])
    func configurations(threshold: Double) {
        var cfg = MatchConfiguration()
        cfg.threshold = threshold
        let idx = NameIndex(aliases: fixtureAliases, configuration: cfg)
        for c in mustNotFind {
            #expect(c.entries.isDisjoint(with: idx.search(lines: c.lines).map(\.entry)), "\(threshold) \(c.note)")
        }
        for c in mustFind where threshold <= 0.9 {
            #expect(c.entries.isSubset(of: idx.search(lines: c.lines).map(\.entry)), "\(threshold) \(c.note)")
        }
    }

    @Test("a long field of repeated name tokens is handled (verification looks only at matching positions)")
    func longField() {
        let filler = Array(repeating: "VLADIMIR SERGEI IVANOV KALASHNIKOV PUTIN BANK", count: 150).joined(separator: " ")
        let found = fixtureIndex.search(lines: [filler, "SBERBANK OF RUSSIA"])
        #expect(Set(found.map(\.entry)).isSuperset(of: [1, 4, 10]))
    }

    @Test("empty inputs")
    func empty() {
        #expect(NameIndex(aliases: []).search(lines: ["ANYTHING"]).isEmpty)
        #expect(fixtureIndex.search(lines: []).isEmpty)
        #expect(fixtureIndex.search(lines: ["", "  ", "---"]).isEmpty)
    }

    @Test("random text never crashes and scores stay in [0, 1]", arguments: propertySeeds(4))
    func randomText(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let words = ["SBERBANK", "OF", "RUSSIA", "PUTIN", "VLADIMIR", "OOO", "ALFA", "BANK", "-", ",", "ИВАНОВ", "Сергей",
                     "KALASHNIKOV", "CONCERN", "X", "ROSOBORONEXPORT", "ALROSA", "İ", "\n"]
        for _ in 0..<100 {
            let lines = (0..<Int.random(in: 1...3, using: &rng)).map { _ in
                (0..<Int.random(in: 0...8, using: &rng)).map { _ in words.randomElement(using: &rng)! }.joined(separator: " ")
            }
            for m in fixtureIndex.search(lines: lines) {
                #expect(m.score >= 0.9 && m.score <= 1, "seed \(seed): \(lines)")
            }
        }
    }
}

@Suite("PhraseIndex")
struct PhraseIndexTests {
    static let phrases = ["SPARE PARTS FOR AIRCRAFT", "BALL BEARINGS", "RULMAN", "ПОДШИПНИК", "ELEKTRONIK KART", "854231", "8542 31",
                          "DVOYNOGO NAZNACHENIYA", "---"]
    let index = PhraseIndex(phrases: PhraseIndexTests.phrases)

    @Test("finds", arguments: [
        ("PAYMENT FOR SPARE PARTS FOR AIRCRAFT", [0]),
        ("ball-bearings, 200 pcs", [1]),
        ("Rulman ve elektronik kart", [2, 4]),
        ("RULMAN VE ELEKTRONİK KART", [2, 4]),
        ("ELEKTRONİK KART", [4]),
        ("подшипник шариковый", [3]),
        ("PODSHIPNIK", [3]),
        ("INV 12 HS 854231", [5]),
        ("HS CODE 8542.31", [5, 6]),   // dot as separator and dot removed
        ("tovary dvoinogo naznacheniia", [7]),
    ])
    func finds(text: String, expected: [Int]) {
        #expect(index.search(text).map(\.phrase) == expected, "\(text)")
    }

    @Test("does not fire inside longer tokens", arguments: [
        "ACCOUNT 128542310", "REF 8542311", "SPARE PARTS", "BALLBEARINGSX", "RULMANLAR", "",
    ])
    func notFinds(text: String) {
        #expect(index.search(text).isEmpty, "\(text)")
    }

    @Test("matched text and line joins")
    func lines() {
        let r = index.search(lines: ["PAYMENT FOR BALL BEAR", "INGS AND SPARE PARTS"])
        #expect(r.map(\.phrase) == [1])
        #expect(r.first?.matchedText == "BALL BEARINGS")
        #expect(index.emptyPhrases == [8])
    }
}
