import Testing
@testable import Matching

/// The rules for short names, a.k.a.s, wrapped lines, typos and reordered persons (DESIGN.md §3), on a
/// small hand-made list. Entry numbers are what the tables expect back.
let ruleAliases: [NameIndex.Alias] = [
    // Short or single-token distinctive part + legal form: anchored matching.
    .init(entry: 1, name: "KOTI CORP", isPerson: false, weak: false),
    .init(entry: 2, name: "MGI PTE LTD", isPerson: false, weak: false),
    .init(entry: 3, name: "JSC NIIEVM", isPerson: false, weak: false),
    .init(entry: 4, name: "LIMITED LIABILITY COMPANY GAAN CORPORATION", isPerson: false, weak: false),
    .init(entry: 5, name: "OBSHCHESTVO S OGRANICHENNOI OTVETSTVENNOSTYU A1", isPerson: false, weak: false),
    .init(entry: 6, name: "LIMITED LIABILITY COMPANY SIGNATEK", isPerson: false, weak: false),
    .init(entry: 7, name: "PROMTEK GROUP", isPerson: false, weak: false),
    .init(entry: 7, name: "JSC VAD", isPerson: false, weak: false, primary: false),
    .init(entry: 8, name: "LIMITED LIABILITY COMPANY TRADING", isPerson: false, weak: false),   // generic: whole name with its form only
    // Single-token a.k.a.s: only as the whole name or anchored.
    .init(entry: 10, name: "NOVGORODSKAYA AKKUMULYATORNAYA KOMPANIYA", isPerson: false, weak: false),
    .init(entry: 10, name: "NOVAK OOO", isPerson: false, weak: true, primary: false),
    .init(entry: 11, name: "ISLAMIC STATE OF IRAQ AND THE LEVANT", isPerson: false, weak: false),
    .init(entry: 11, name: "ISIL", isPerson: false, weak: false, primary: false),
    .init(entry: 12, name: "SPECIAL PURPOSE PROJECTS", isPerson: false, weak: false),
    .init(entry: 12, name: "SPP", isPerson: false, weak: false, primary: false),
    .init(entry: 13, name: "ALROSA", isPerson: false, weak: false),                          // primary single token
    .init(entry: 14, name: "IYARI", isPerson: false, weak: false),                           // folds to 4 letters
    .init(entry: 15, name: "PROISTOK OOO", isPerson: false, weak: false),
    // Wrapped names.
    .init(entry: 20, name: "STATE ENTERPRISE MAGARACH OF THE NATIONAL INSTITUTE OF WINE", isPerson: false, weak: false),
    .init(entry: 21, name: "SURABAYA HOBBY CV", isPerson: false, weak: false),
    .init(entry: 22, name: "SARUR, Muhammad", isPerson: true, weak: false),
    .init(entry: 23, name: "IDA ASANSOR SANAYII VE TICARET LIMITED SIRKETI", isPerson: false, weak: false),
    .init(entry: 24, name: "KIM, Gon", isPerson: true, weak: false),
    .init(entry: 25, name: "GONUL TEKSTIL", isPerson: false, weak: false),
    // Typos that folding would make two.
    .init(entry: 30, name: "PETRO SUISSE INTERTRADE COMPANY SA", isPerson: false, weak: false),
    .init(entry: 31, name: "CENTRAL INSTITUTE OF AVIATION MOTORS", isPerson: false, weak: false),
    .init(entry: 32, name: "AFRAAH, Ahmed", isPerson: true, weak: false),
    .init(entry: 33, name: "MTTO INDUSTRY AND TRADE LIMITED", isPerson: false, weak: false),
    .init(entry: 34, name: "ORBIT INTERNATIONAL FZE", isPerson: false, weak: false),
    .init(entry: 35, name: "MELVALE CORPORATION DOO BEOGRAD", isPerson: false, weak: false),
    .init(entry: 36, name: "LO, Stephen", isPerson: true, weak: false),
    .init(entry: 37, name: "ZARYA LIMTED", isPerson: false, weak: false),                   // the list's own typo
    .init(entry: 38, name: "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO KAMAZAVTO", isPerson: false, weak: false),
    // Persons.
    .init(entry: 40, name: "AL-LIBI, Abd al-Muhsin", isPerson: true, weak: false),
    .init(entry: 41, name: "HADDAD, Fethi Ben Assen Ben Salem", isPerson: true, weak: false),
    .init(entry: 42, name: "LEE, John Robert", isPerson: true, weak: false),
    .init(entry: 43, name: "KIM, Won Hong", isPerson: true, weak: false),
    .init(entry: 44, name: "SMITH, J. Robert", isPerson: true, weak: false),
]

let ruleIndex = NameIndex(aliases: ruleAliases)
let address = ["UL. DLUGA 43", "PL/00-001 WARSZAWA"]

/// (field lines, entries that must be found).
let ruleMustFind: [(lines: [String], entries: Set<Int>, note: String)] = [
    // Legal-form-anchored short names.
    (["KOTI CORP"], [1], "short name, its own legal form"),
    (["KOTI CORPORATION"], [1], "short name, the form spelled out"),
    (["MGI PTE, LTD"], [2], "comma inside the form"),
    (["NIIEVM, JOINT STOCK COMPANY"], [3], "form moved to the back and spelled out"),
    (["AO NIIEVM"], [3], "another form of the family"),
    (["GAAN CORPORATION OOO"], [4], "two forms, both families of the alias"),
    (["A1, LLC"], [5], "two characters, a digit"),
    (["LLC SIGNATEHK"], [6], "one typo in an anchored 8-letter token"),
    (["JSC VAD"], [7], "an a.k.a. anchored"),
    // A generic word with a legal form: only as the whole name, with a form of its family, exactly.
    (["LLC TRADING"], [8], "a generic word with its legal form as the whole name"),
    (["TRADING, OOO"] + address, [8], "another form of the family, behind it, an address below"),
    (["OBSHCHESTVO S OGRANICHENNOI OTVET", "STVENNOSTYU TRADING"], [8], "the line break inside the spelled-out form"),
    (["C/O KOTI CORP"], [1], "extra words on the side away from the form"),
    (["KOTI CORP MOSCOW BRANCH"], [1], "extra words after the form"),
    // Single-token a.k.a.s as the whole name.
    (["NOWAK"] + address, [10], "weak a.k.a. as the whole first line"),
    (["NOWAK OOO"] + address, [10], "weak a.k.a. with its own legal form"),
    (["LLC NOWAK"], [10], "anchored by the alias' family"),
    (["ISIL"] + address, [11], "short a.k.a. as the whole name"),
    (["SPP"], [12], "short a.k.a. at its written length"),
    (["PAYMENT TO ALROSA FOR DIAMONDS"], [13], "primary single token: any whole token"),
    (["IYARI"], [14], "length counted as written, not folded"),
    // Wrapped lines followed by address lines.
    (["STATE ENTERPRISE MAGARACH OF THE NA", "TIONAL INSTITUTE OF WINE"] + address, [20], "one break mid-word, address after"),
    (["SURABAYA HOBB", "Y CV"] + address, [21], "a word split one letter before its end"),
    (["SARUR, Mu", "hammad"] + address, [22], "a one-word line joined, then the address kept apart"),
    (["IDA ASANSOR SANAYII VE TICARET LIMI", "TED SIRKETI"] + address, [23], "a legal-form word split"),
    (["KIM, G", "ON"] + ["UL. GONCHARNAYA 4"], [24], "a break whose pieces are words too"),
    (["GON", "UL TEKSTIL"], [25], "the same break joined"),
    // Typos.
    (["PETRO SUISSE INTERRADE COMPANY SA"], [30], "deletion next to a double letter after folding"),
    (["CENTRAL INSTITUTE OF AVIATION MOORS"], [31], "deletion that leaves 5 letters"),
    (["AFARAH, Ahmed"], [32], "transposition in a token that folds to 5 letters"),
    (["MTTO INDUTSRY AND TRADE LIMITED"], [33], "transposition that folding turns into two edits"),
    (["ORBIT IFTERNATIONAL FZE"], [34], "early substitution in a long token"),
    (["MELVALE CORPORUTION DOO BEOGRAD"], [35], "typo in a legal-form word"),
    (["LO, STJPHEN"], [36], "typo scored on the written form"),
    (["ZARYA LTD"], [37], "a typo'd legal form in the alias is the legal form too"),
    (["ZARYA LIMTED"], [37], "...and written the same in the text"),
    (["KAMAZAVTO PUBLICHNOE AKTSIONERNOE OBCSHESTVO"], [38], "typo in a form word, one edit only after folding"),
    // Persons.
    (["ABD AL-LIBI"], [40], "a leading particle of the given names stands for them"),
    (["FETHI HADDAD"], [41], "four middle tokens missing"),
    (["JOHN LEE"], [42], "LEE folds to the stop word LE but is a name"),
    (["WON KIM"], [43], "WON folds to the stop word VON but is a name"),
]

/// (field lines, entries that must NOT be found).
let ruleMustNotFind: [(lines: [String], entries: Set<Int>, note: String)] = [
    (["CORP"], [1], "the legal form alone"),
    (["KOTI"], [1], "a short name without its legal form"),
    (["KOTI GMBH"], [1], "a legal form of another family"),
    (["KOTI TRADING CORP"], [1], "another word between name and form"),
    (["KOTIX CORP"], [1], "short token: no typo"),
    (["TRADING"], [8], "a generic word without its legal form"),
    (["ACME TRADING LLC"], [8], "a generic word with a legal form, among other name tokens"),
    (["TRADING GMBH"], [8], "a generic word with a legal form of another family"),
    (["ACME LLC", "TRADING LLC"], [8], "a generic word with a legal form on a later line"),
    (["LLC TRADNG"], [8], "a generic word with a legal form: no typo"),
    (["PIOTR NOWAK"] + address, [10], "a.k.a. among other name tokens"),
    (["VIRORAT NOWAK SA"], [10], "a.k.a. next to a form of another family, among other words"),
    (["NOWAK AB"], [10], "a.k.a. as the whole name, but with another family's form"),
    (["ACME TRADING", "NOWAK"], [10], "a.k.a. alone on a later line"),
    (["NOWAKS"], [10], "weak: no typo"),
    (["ISIL ANDERSEN"], [11], "short a.k.a. among other words"),
    (["SP"], [12], "short a.k.a.: folded equal, written shorter"),
    (["KALROSANTEKS LLC"], [13], "a short name inside a longer word"),
    (["TPROISTOK OOO"], [15], "anchored typo that is the name inside a longer word"),
    (["PROISTOKA LLC"], [15], "the same at the end"),
    (["AL-LIBI"], [40], "the family name alone"),
    (["AL-LIBI ABD KARIM"], [40], "a particle followed by another given name is not this person's"),
    (["J SMITH"], [44], "an initial does not stand for the given names"),
    (["STATE ENTERPRISE MAGARACH OF THE NA"], [20], "a wrapped name's first line alone"),
]

@Suite("NameIndex rules: short names, a.k.a.s, wraps, typos, persons")
struct NameRulesTests {
    @Test("must find", arguments: ruleMustFind.indices)
    func find(i: Int) {
        let c = ruleMustFind[i]
        let found = ruleIndex.search(lines: c.lines)
        #expect(c.entries.isSubset(of: Set(found.map(\.entry))), "\(c.note): \(c.lines) -> \(found)")
        for m in found { #expect(m.score >= 0.9 && m.score <= 1) }
    }

    @Test("must not find", arguments: ruleMustNotFind.indices)
    func notFind(i: Int) {
        let c = ruleMustNotFind[i]
        let found = ruleIndex.search(lines: c.lines)
        #expect(c.entries.isDisjoint(with: found.map(\.entry)), "\(c.note): \(c.lines) -> \(found)")
    }

    @Test("the original list's tables still hold with the rule fixtures added")
    func combined() {
        let index = NameIndex(aliases: fixtureAliases + ruleAliases.map { a in
            var b = a
            b.entry += 1000
            return b
        })
        for c in mustFind { #expect(c.entries.isSubset(of: Set(index.search(lines: c.lines).map(\.entry))), "\(c.note)") }
        for c in mustNotFind { #expect(c.entries.isDisjoint(with: index.search(lines: c.lines).map(\.entry)), "\(c.note)") }
    }

    @Test("line breaks: each decided alone, known words rejoined, lines kept apart otherwise")
    func textVariants() {
        func texts(_ lines: [String]) -> [String] { ruleIndex.nameTextVariants(lines).map { String(decoding: $0.bytes, as: UTF8.self) } }
        #expect(texts(["SURABAYA HOBB", "Y CV", "JL RAYA 5"]) == ["SURABAYA HOBB Y CV JL RAYA 5", "SURABAYA HOBBY CV JL RAYA 5"])
        #expect(texts(["SARUR, MU", "HAMMAD", "UL. DLUGA 43"]).contains("SARUR MUHAMMAD UL DLUGA 43"))
        #expect(texts(["KOTI CORP", "WARSZAWA"]) == ["KOTI CORP WARSZAWA"])   // no known word: one text
        #expect(texts(["KOTI CORP.", "WARSZAWA"]) == ["KOTI CORP WARSZAWA"])  // the break is not inside a word
        // Both pieces are words and so is the whole: both texts.
        let both = texts(["KIM, G", "ON", "UL. GONCHARNAYA 4"])
        #expect(both.contains("KIM GON UL GONCHARNAYA 4"))
        // Lines joined count as one line.
        let v = ruleIndex.nameTextVariants(["SURABAYA HOBB", "Y CV", "JL RAYA 5"])[1]
        #expect(v.lineOf == [0, 0, 0, 1, 1, 1])
        // Working buffers reused from field to field give the same texts as fresh ones.
        var scratch = NameIndex.JoinScratch()
        for lines in [["SARUR, MU", "HAMMAD", "UL. DLUGA 43"], ["", "KIM, G", "", "ON"], ["ALFA-BANK", "MOSKVA"], [],
                      ["SURABAYA HOBB", "Y CV", "JL RAYA 5"], ["Ä", "ÖZ-KAN"], ["KIM, G", "ON", "UL. GONCHARNAYA 4"]] {
            #expect(ruleIndex.nameTextVariants(lines, scratch: &scratch) == ruleIndex.nameTextVariants(lines), "\(lines)")
        }
        #expect(ruleIndex.nameTextVariants(["", "KIM G", "", "ON X"])[0].lineOf == [1, 1, 3, 3])
        var off = MatchConfiguration()
        off.joinLinesWithoutSpace = false
        #expect(NameIndex(aliases: ruleAliases, configuration: off).nameTextVariants(["SURABAYA HOBB", "Y CV"]).count == 1)
    }

    @Test("legal forms around a token: families before and after, a stop word breaks adjacency")
    func legalFormScan() {
        let m = LegalForms.matcher
        func scan(_ s: String) -> LegalForms.Matcher.Scan {
            m.scan(Normalizer.normalizedBytes(s).split(separator: 0x20).map { Normalizer.fold($0) })
        }
        func family(_ name: String) -> UInt64 { 1 << UInt64(m.families.firstIndex(of: name)!) }
        let a = scan("GAAN CORPORATION OOO")
        #expect(a.kept == [0])
        #expect(a.formsAfter[0] == family("INC") | family("LLC"))
        #expect(a.formsBefore[0] == 0)
        let b = scan("JOINT STOCK COMPANY NIIEVM")
        #expect(b.formsBefore == [family("JSC")])
        let c = scan("ZAO KOTI OF CORP")
        #expect(c.formsBefore == [family("JSC")] && c.formsAfter == [0])
        #expect(scan("KOTI SA").formsAfter == [family("SA")])
        #expect(scan("KOTI SA").formsAfter != [family("JSC")])     // SA is not the Russian joint-stock family
        #expect(scan("PAO X").formsBefore == scan("ZAKRYTOE AKTSIONERNOE OBSHCHESTVO X").formsBefore)
    }

    @Test("a typo in a long legal-form word is still the legal form, unless the caller knows the word")
    func formTypos() {
        let m = LegalForms.matcher
        func corrected(_ s: String) -> String? {
            let raw = Array(s.utf8)
            return m.correctedFormToken(raw[...], folded: Normalizer.fold(raw), known: { _ in false }).map { String(decoding: $0, as: UTF8.self) }
        }
        #expect(corrected("COMPAY") == "COMPANI")
        #expect(corrected("LIITED") == "LIMITED")
        #expect(corrected("CORPORUTION") == "CORPORATION")
        #expect(corrected("OBCSHESTVO") != nil)
        #expect(corrected("LIMITED") == nil)            // already a form
        #expect(corrected("ROMASHKA") == nil)
        let raw = Array("COMPAY".utf8)
        #expect(m.correctedFormToken(raw[...], folded: Normalizer.fold(raw), known: { _ in true }) == nil)
    }

    @Test("the form-word typo lookup (ends filter, then deletion keys) finds the first form word within one edit, as a scan does",
          arguments: propertySeeds(4))
    func formTypoLookupEqualsScan(seed: UInt64) {
        let m = LegalForms.matcher
        var rng = SeededRandom(seed: seed)
        for (words, table, ends) in [(m.longFormTokens, m.longFormDeletions, m.longFormEnds),
                                     (m.longFormFolded, m.longFormFoldedDeletions, m.longFormFoldedEnds)] {
            for round in 0..<600 {
                // A form word with one random edit (or none, or two), or random letters.
                var t = words.randomElement(using: &rng)!
                let letters = Array("ABCDEIKLMNOPRSTVYZ".utf8)
                for _ in 0..<Int.random(in: 0...2, using: &rng) where !t.isEmpty {
                    let at = Int.random(in: 0..<t.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: t[at] = letters.randomElement(using: &rng)!
                    case 1: t.insert(letters.randomElement(using: &rng)!, at: Int.random(in: 0...t.count, using: &rng))
                    case 2: t.remove(at: at)
                    default: if at + 1 < t.count { t.swapAt(at, at + 1) }
                    }
                }
                if round % 5 == 0 { t = (0..<Int.random(in: 3...12, using: &rng)).map { _ in letters.randomElement(using: &rng)! } }
                let scanned = words.firstIndex { Similarity.withinOneEdit($0, t) }
                let found = t.withUnsafeBufferPointer { LegalForms.Matcher.firstWithinOneEdit($0, words, table, ends) }
                #expect(found == scanned, "seed \(seed) round \(round): \(String(decoding: t, as: UTF8.self))")
                if scanned != nil { #expect(t.withUnsafeBufferPointer { ends.mayBeWithinOneEdit($0) }) }
            }
        }
    }

    @Test("a typo's similarity is at least 1 - 1/length")
    func typoSimilarity() {
        let s = NameIndex.typoSimilarity(Array("INTERNATIONAL".utf8), Array("IFTERNATIONAL".utf8))
        #expect(s >= 1 - 1.0 / 13 && s < 1)
        #expect(NameIndex.isExtension(Array("TPROISTOK".utf8), of: Array("PROISTOK".utf8)))
        #expect(!NameIndex.isExtension(Array("PROITSOK".utf8), of: Array("PROISTOK".utf8)))
    }
}
