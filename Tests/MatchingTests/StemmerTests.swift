@testable import Matching
import Testing

@Suite("Stemmer: suffix tables for English, Turkish and Russian")
struct StemmerTests {
    let stemmer = Stemmer.shared

    @Test("an inflected word and its keyword form meet on one stem", arguments: [
        ("ПОДШИПНИКОВ", "ПОДШИПНИКИ", Stemmer.Language.ru), ("ПОДШИПНИКАМИ", "PODSHIPNIKI", .ru), ("МИКРОСХЕМ", "МИКРОСХЕМЫ", .ru),
        ("MIKROSKHEM", "MIKROSKHEMY", .ru), ("MIKROSXEM", "MIKROSXEMY", .ru), ("PROTSESSOROV", "PROTSESSORY", .ru),
        ("STANKOV", "STANKI", .ru), ("KART", "KARTY", .ru), ("ПАМЯТИ", "PAMYATI", .ru), ("РАДИОСТАНЦИЙ", "RADIOSTANTSII", .ru),
        ("TOKARNYKH", "TOKARNYE", .ru), ("TOKARNYKH", "TOKARNYX", .ru), ("УСИЛИТЕЛЕЙ", "USILITELI", .ru), ("ANTENN", "ANTENNY", .ru),
        ("RULMANLARI", "RULMAN", .tr), ("RULMANLARIN", "RULMANLAR", .tr), ("DEVRELERIN", "DEVRE", .tr), ("ENTEGRE", "ENTEGRE", .tr),
        ("KARTLARINDAN", "KARTI", .tr), ("KAMERASI", "KAMERA", .tr), ("İŞLEMCİLERİ", "ISLEMCI", .tr), ("TEZGÂHLARI", "TEZGAHI", .tr),
        ("MACHINE", "MACHINES", .en), ("AMPLIFIER", "AMPLIFIERS", .en), ("MODULE", "MODULES", .en), ("PROCESSOR", "PROCESSORS", .en),
        ("COMPONENT", "COMPONENTS", .en), ("CIRCUIT", "CIRCUITS", .en),
    ])
    func meet(inflected: String, keyword: String, language: Stemmer.Language) {
        #expect(stemmer.stem(word: inflected, language: language) == stemmer.stem(word: keyword, language: language),
                "\(inflected) / \(keyword)")
    }

    @Test("stems as expected", arguments: [
        ("PODSHIPNIKOV", Stemmer.Language.ru, "PODSHIPNIK"), ("RULMANLARI", .tr, "RULMAN"), ("MACHINES", .en, "MACHIN"),
        ("GLASS", .en, "GLAS"), ("BUS", .en, "BUS"), ("GAS", .en, "GAS"), ("UAVS", .en, "UAVS"), ("CHPU", .ru, "CHPU"),
        ("BPLA", .ru, "BPLA"), ("RATSII", .ru, "RACI"), ("8542310000", .tr, "8542310000"), ("A1B2S", .en, "A1B2S"),
    ])
    func stems(word: String, language: Stemmer.Language, expected: String) {
        #expect(stemmer.stem(word: word, language: language) == expected, "\(word)")
    }

    @Test("different words keep different stems (no over-stemming of short or unrelated words)", arguments: [
        ("KART", "KARTA", Stemmer.Language.ru, true), ("KARTA", "KAR", .ru, false), ("BEARING", "BEAR", .en, false),
        ("PROCESS", "PROCESSOR", .en, false), ("DRONE", "DRONGO", .en, false), ("ANTEN", "ANT", .tr, false),
        ("RULMAN", "RULO", .tr, false), ("DEVRE", "DEV", .tr, false), ("STANKI", "STAN", .ru, false),
    ])
    func distinct(a: String, b: String, language: Stemmer.Language, same: Bool) {
        #expect((stemmer.stem(word: a, language: language) == stemmer.stem(word: b, language: language)) == same, "\(a) / \(b)")
    }

    @Test("generated: the stem is the fold of a prefix, never under four letters unless the word is, never of a token with digits")
    func properties() {
        for seed in propertySeeds() {
            var rng = SeededRandom(seed: seed)
            let letters = Array("ABCDEFGHIKLMNOPRSTUVYXJ".utf8), digits = Array("0123456789".utf8)
            for _ in 0..<2_000 {
                let n = Int.random(in: 1...14, using: &rng)
                var token = (0..<n).map { _ in letters.randomElement(using: &rng)! }
                if Bool.random(using: &rng) {
                    let language = Stemmer.Language.allCases.randomElement(using: &rng)!
                    token += Array(Stemmer.expanded(language).randomElement(using: &rng)!.utf8)
                }
                let withDigit = Int.random(in: 0..<8, using: &rng) == 0
                if withDigit { token[Int.random(in: 0..<token.count, using: &rng)] = digits.randomElement(using: &rng)! }
                for language in Stemmer.Language.allCases {
                    let s = stemmer.foldedStem(token, language: language)
                    let folded = Normalizer.fold(token)
                    let length = token.withUnsafeBufferPointer { stemmer.stemLength($0, language: language).length }
                    #expect(length >= min(token.count, Stemmer.minStemLength), "seed \(seed) \(String(decoding: token, as: UTF8.self))")
                    #expect(s.count >= min(folded.count, Stemmer.minStemLength), "seed \(seed) \(String(decoding: token, as: UTF8.self))")
                    let prefixes = (0...token.count).map { Normalizer.fold(token[..<$0]) }
                    #expect(prefixes.contains(s), "seed \(seed) \(String(decoding: token, as: UTF8.self))")
                    if withDigit { #expect(s == folded) }
                }
            }
        }
    }

    @Test("the tables: Russian endings come in every transliteration, every entry is upper-case ASCII letters")
    func tables() {
        let ru = Set(Stemmer.expanded(.ru))
        for s in ["YAMI", "IAMI", "JAMI", "YKH", "IKH", "YX", "IX", "YH", "OV", "EJ", "EY"] { #expect(ru.contains(s), "\(s)") }
        for language in Stemmer.Language.allCases {
            for s in Stemmer.expanded(language) { #expect(!s.isEmpty && s.utf8.allSatisfy { $0 >= 0x41 && $0 <= 0x5A }, "\(s)") }
        }
    }
}

@Suite("PhraseIndex on stems")
struct StemmedPhraseIndexTests {
    static let phrases = ["BALL BEARINGS", "ПОДШИПНИКИ", "RULMAN", "ENTEGRE DEVRE", "КАРТЫ ПАМЯТИ", "STANKI CHPU", "CNC MACHINES",
                          "FOOD PROCESSORS", "PROCESSORS", "DVOYNOGO NAZNACHENIYA", "854231"]
    static let languages = ["en", "ru", "tr", "tr", "ru", "ru", "en", "en", "en", "de", "en"]
    let index = PhraseIndex(phrases: phrases, languages: languages)

    @Test("finds inflected forms", arguments: [
        ("2 BALL BEARING", [0]), ("поставка подшипников", [1]), ("PODSHIPNIKAMI", [1]), ("RULMANLARI VE ENTEGRE DEVRELERIN", [2, 3]),
        ("КАРТ ПАМЯТИ", [4]), ("KART PAMIATI 64GB", [4]), ("STANKOV CHPU", [5]), ("STANKAMI S CHPU", []), ("ONE CNC MACHINE", [6]),
        ("FOOD PROCESSOR", [7, 8]), ("DVOYNOGO NAZNACHENIYA", [9]), ("DVOYNOGO NAZNACHENIYU", []), ("HS 854231", [10]),
        ("HS 85423", []),
    ])
    func finds(text: String, expected: [Int]) {
        #expect(index.search(text).map(\.phrase) == expected, "\(text)")
    }

    @Test("occurrences name their tokens; an exclusion covers a keyword only at the same place")
    func occurrences() {
        let keywords = PhraseIndex(phrases: ["PROCESSORS"], languages: ["en"])
        let exclusions = PhraseIndex(phrases: ["FOOD PROCESSORS"], languages: ["en"])
        let prepared = keywords.prepare(lines: ["PROCESSOR X7 AND FOOD PROCESSORS"])
        let k = keywords.occurrences(prepared), e = exclusions.occurrences(prepared)
        #expect(k.map(\.tokens) == [0...0, 4...4])
        #expect(e.map(\.tokens) == [3...4])
        #expect(k.filter { m in !e.contains { $0.covers(m) } }.map { prepared.text(of: $0) } == ["PROCESSOR"])
    }

    @Test("an exact index ignores stemmed segments, and a stemmed index prepares its own")
    func suits() {
        let exact = PhraseIndex(phrases: StemmedPhraseIndexTests.phrases)
        let prepared = index.prepare(lines: ["BALL BEARING", "BALL BEARINGS"])
        #expect(exact.search(prepared, lines: ["BALL BEARING", "BALL BEARINGS"]).map(\.phrase) == [0])
        #expect(index.search(PhraseIndex.PreparedLines(lines: ["2 BALL BEARING"]), lines: ["2 BALL BEARING"]).map(\.phrase) == [0])
    }
}
