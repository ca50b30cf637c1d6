import Matching
import Messages
@testable import Screening
import Testing
@testable import Watchlists

/// Generated checks of the goods signals with the shipped default indicators: every keyword inflected by its
/// language's endings fires with risky geography; invented benign remittance lines, account numbers and references
/// never fire; every CHPL code in every accepted writing fires, and never inside a longer number.
@Suite("end-use keywords on stems and HS-code writings, generated")
struct EndUseGeneratedTests {
    static let screener = PolicyScreener(data: ScreeningData(lists: PolicyFixtures.data.lists, indicators: DefaultIndicators.set))
    static let kz = ["/KZ75125KZT2069100100", "ALMATY TRADE TOO", "ALMATY"]

    /// The goods signals of a remittance text in a payment to Kazakhstan.
    /// MT 103 for text in the SWIFT character set, pacs.008 (unstructured remittance) for any other.
    static func signals(_ remittance: [String]) -> [PolicyScreener.GoodsSignal] {
        let ascii = remittance.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        let p = ascii ? try? MessageParser.parse(format: "mt103", message: PolicyFixtures.mt103(beneficiary: kz, remittance: remittance))
                      : try? MessageParser.parse(format: "pacs.008", message: pacs(remittance.joined(separator: " ")))
        #expect(p != nil, "\(remittance) does not parse")
        return p.map { screener.goodsSignals($0) } ?? []
    }

    static func pacs(_ ustrd: String) -> String {
        """
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf><GrpHdr><MsgId>M1</MsgId><CreDtTm>2025-10-17T09:44:00</CreDtTm><NbOfTxs>1</NbOfTxs><SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr>
        <CdtTrfTxInf><PmtId><InstrId>I1</InstrId><EndToEndId>E1</EndToEndId></PmtId><IntrBkSttlmAmt Ccy="EUR">10</IntrBkSttlmAmt><IntrBkSttlmDt>2025-10-17</IntrBkSttlmDt><ChrgBr>SHAR</ChrgBr>
        <InstgAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></InstgAgt><InstdAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></InstdAgt>
        <Dbtr><Nm>MUELLER GMBH</Nm></Dbtr><DbtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></DbtrAgt>
        <CdtrAgt><FinInstnId><BICFI>HSBCKZKA</BICFI></FinInstnId></CdtrAgt><Cdtr><Nm>ALMATY TRADE TOO</Nm><PstlAdr><Ctry>KZ</Ctry></PstlAdr></Cdtr>
        <RmtInf><Ustrd>\(ustrd)</Ustrd></RmtInf></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>
        """
    }

    /// Words as lines of at most 35 characters, as MT field 70 wraps them (at most four lines are kept).
    static func wrap(_ words: [String]) -> [String] {
        var lines: [String] = [], line = ""
        for w in words {
            if !line.isEmpty && line.count + 1 + w.count > 35 { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + w
        }
        lines.append(line)
        return Array(lines.prefix(4))
    }

    /// Russian endings written in Cyrillic, for the Cyrillic keywords (the tables hold their transliteration).
    static let cyrillicEndings = ["А", "Ы", "И", "Е", "У", "ОВ", "ЕВ", "ЕЙ", "ОЙ", "ОМ", "ЕМ", "АМ", "ЯМ", "АМИ", "ЯМИ", "АХ", "ЯХ",
                                  "ИЙ", "ИЕ", "ИЯ", "ИЮ", "ИИ", "ЫЕ", "ЫХ", "ИХ", "ЫМ", "ИМ", "ЫМИ", "ИМИ", "ОГО", "ЕГО", "ОМУ", "ЕМУ",
                                  "АЯ", "ОЕ", "ЫЙ", "УЮ", "ОЮ", "ЕЮ"]

    /// Whether the last letters of `word` and `ending` together are another ending of the table: without a
    /// lexicon the stemmer cannot tell `GORUS`+`U` from `GORU`+`SU` (a limit stated in Stemmer's documentation).
    static func ambiguous(_ word: String, _ ending: String, _ table: [String]) -> Bool {
        table.contains { s in s != ending && s.hasSuffix(ending) && word.hasSuffix(String(s.dropLast(ending.count))) }
    }

    @Test("generated: every default keyword with any one token inflected by every ending of its language fires (with risky geography)")
    func inflectedKeywordsFire() {
        let stemmer = Stemmer.shared
        var cases = 0
        var misses: [String] = []
        for k in DefaultIndicators.set.keywords {
            guard let language = Stemmer.Language(rawValue: k.language) else { continue }
            let table = Stemmer.expanded(language)
            let cyrillic = k.text.unicodeScalars.contains { $0.value >= 0x400 && $0.value < 0x500 }
            let words = k.text.split(separator: " ").map(String.init)
            for (i, word) in words.enumerated() {
                let normalized = Normalizer.normalize(word)
                guard normalized.count > Stemmer.minStemLength, !normalized.contains(" ") else { continue }
                var forms: [String] = []
                if cyrillic {
                    // The written word's own ending replaced by each Cyrillic ending (ПОДШИПНИКИ → ПОДШИПНИКОВ …).
                    let stemLength = Normalizer.normalizedBytes(word).withUnsafeBufferPointer { stemmer.stemLength($0, language: .ru).length }
                    var stem = word
                    while Normalizer.normalize(stem).count > stemLength { stem.removeLast() }
                    if Normalizer.fold(Normalizer.normalize(stem)).count < Stemmer.minStemLength { continue }
                    forms = Self.cyrillicEndings.map { stem + $0 }
                } else {
                    let stemLength = Array(normalized.utf8).withUnsafeBufferPointer { stemmer.stemLength($0, language: language).length }
                    let stem = String(normalized.prefix(stemLength))
                    // A stem that folds to fewer than four letters is not taken (TOOLS → TOOL folds to TOL): such a
                    // word matches as written only (see Stemmer).
                    if Normalizer.fold(stem).count < Stemmer.minStemLength { continue }
                    for ending in table {
                        for base in [stem, normalized] where !Self.ambiguous(base, ending, table) { forms.append(base + ending) }
                    }
                }
                for form in forms {
                    var text = words
                    text[i] = form
                    let lines = Self.wrap(["PAYMENT", "FOR"] + text + ["PER", "CONTRACT", "12"])
                    cases += 1
                    if Self.signals(lines).isEmpty { misses.append("\(k.text) [\(k.language)]: \(lines)") }
                }
            }
        }
        #expect(cases > 5_000)
        #expect(misses.isEmpty, "\(misses.count) of \(cases) missed, e.g. \(misses.prefix(10))")
    }

    /// Words of ordinary remittance text (English, Turkish, Russian transliterated), chosen without looking at the
    /// keywords' stems: goods, services, document words.
    static let benignWords = [
        "INVOICE", "PAYMENT", "FOR", "SERVICES", "CONSULTING", "RENT", "SALARY", "FREIGHT", "CONTRACT", "NO", "DATED", "ORDER",
        "FURNITURE", "TEXTILES", "APPAREL", "SHOES", "TOYS", "COFFEE", "APRICOTS", "CEMENT", "STEEL", "PIPES", "TIRES", "GLASS",
        "PAPER", "PACKAGING", "SPARE", "PARTS", "TRUCK", "TRACTOR", "PUMPS", "VALVES", "CABLES", "LAMPS", "PAINT", "CHEMICALS",
        "FERTILIZER", "SEEDS", "WHEAT", "SUGAR", "TEA", "FRUIT", "VEGETABLES", "MEDICINES", "COSMETICS", "BOOKS", "SOFTWARE",
        "LICENSE", "SUBSCRIPTION", "INSURANCE", "PREMIUM", "LOAN", "INTEREST", "REPAYMENT", "DIVIDEND", "TUITION", "HOTEL",
        "TRAVEL", "TICKETS", "ADVANCE", "BALANCE", "PARTIAL", "SHIPMENT", "DELIVERY", "WAREHOUSE", "STORAGE", "CUSTOMS", "DUTY",
        "VAT", "TAX", "FEE", "COMMISSION", "MAINTENANCE", "REPAIR", "INSTALLATION", "PROCESSING", "PROCESS", "MACHINERY",
        "KITCHEN", "EQUIPMENT", "OFFICE", "CHAIRS", "TABLES", "PRINTER", "CARTRIDGES", "MOBILE", "PHONES", "LAPTOPS",
        "FATURA", "ODEME", "KIRA", "HIZMET", "BEDELI", "SOZLESME", "MOBILYA", "TEKSTIL", "GIDA", "KUMAS", "AYAKKABI", "OYUNCAK",
        "YEDEK", "PARCA", "NAKLIYE", "SIGORTA", "AVANS", "KALAN", "TUTAR", "MAL", "BEDELIDIR", "SIPARIS", "TESLIMAT",
        "OPLATA", "PO", "DOGOVORU", "SCHETU", "SCHET", "TOVARY", "USLUGI", "ARENDA", "NDS", "ZA", "POSTAVKU", "MEBEL", "ODEZHDA",
        "PRODUKTY", "OBORUDOVANIE", "ZAPCHASTI", "AVANSOVYY", "PLATEZH", "KONSULTATSIONNYE", "TRANSPORTNYE", "STRAKHOVANIE",
        "ОПЛАТА", "ПО", "ДОГОВОРУ", "СЧЕТУ", "ТОВАРЫ", "УСЛУГИ", "АРЕНДА", "НДС", "ЗА", "ПОСТАВКУ", "МЕБЕЛЬ", "ОДЕЖДА",
    ]

    @Test("generated: invented benign remittance lines, account numbers and references never give a goods signal")
    func benignNeverFires() {
        for seed in [UInt64(1), 2, 3, 4] {
            var rng = MessageMutator.Generator(seed: seed)
            for _ in 0..<1_500 {
                var words: [String] = []
                for _ in 0..<Int.random(in: 2...9, using: &rng) {
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0: words.append(Self.accountNumber(&rng))
                    case 1: words.append(Self.reference(&rng))
                    case 2: words.append(String(Int.random(in: 1...99_999, using: &rng)) + "," + String(Int.random(in: 10...99, using: &rng)))
                    default: words.append(Self.benignWords.randomElement(using: &rng)!)
                    }
                }
                let lines = Self.wrap(words)
                let s = Self.signals(lines)
                #expect(s.isEmpty, "seed \(seed): \(lines) gave \(s.map(\.matched))")
            }
        }
    }

    /// An account number or IBAN that may carry a CHPL code inside it.
    static func accountNumber(_ rng: inout MessageMutator.Generator) -> String {
        let code = DefaultIndicators.chpl.randomElement(using: &rng)!.0
        let lengths = [7, 9, 11, 13, 14, 16, 17, 18, 20]   // not 6, 8, 10 or 12: those lengths are HS-code writings
        let n = lengths.randomElement(using: &rng)!
        var digits = (0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }
        let at = Int.random(in: 0...(n - 6), using: &rng)
        for (k, c) in code.enumerated() { digits[at + k] = c }
        let s = String(digits)
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: return "/" + s
        case 1: return "KZ" + String(Int.random(in: 10...99, using: &rng)) + s
        default: return "ACC " + s
        }
    }

    /// A reference with a CHPL code's digits glued to other digits or letters.
    static func reference(_ rng: inout MessageMutator.Generator) -> String {
        let code = DefaultIndicators.chpl.randomElement(using: &rng)!.0
        let d = String(Int.random(in: 1...999, using: &rng))
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: return "INV\(d)\(code)\(d)"
        case 1: return "\(code)-\(d)"
        case 2: return "2024/\(code)"
        case 3: return "\(d).\(code)"
        case 4: return "\(code)/\(d)"
        default: return "REF\(d)\(code)"
        }
    }

    @Test("every default exclusion covers a keyword on stems, so it applies (singular and plural alike)")
    func exclusionsApply() {
        let set = DefaultIndicators.set
        let keywords = PhraseIndex(phrases: set.keywords.map(\.text), languages: set.keywords.map(\.language))
        let exclusions = PhraseIndex(phrases: set.exclusions.map(\.text), languages: set.exclusions.map(\.language))
        for e in set.exclusions {
            let other = e.language != "en" ? e.text : e.text.hasSuffix("S") ? String(e.text.dropLast()) : e.text + "S"
            for text in [e.text, other] {
                let prepared = keywords.prepare(lines: [text])
                let k = keywords.occurrences(prepared), x = exclusions.occurrences(prepared)
                #expect(!k.isEmpty && k.allSatisfy { m in x.contains { $0.covers(m) } }, "\(text)")
            }
        }
    }

    @Test("generated: every CHPL code in every accepted writing is found; inside a longer number never")
    func hsWritings() {
        var rng = MessageMutator.Generator(seed: 14)
        func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) }) }
        for (code, _, _) in DefaultIndicators.chpl {
            let h4 = String(code.prefix(4)), h2 = String(code.suffix(2))
            let d2 = digits(2), d2b = digits(2), d4 = digits(4), d3 = digits(3), d1 = digits(1), d6 = digits(6)
            let found = [
                code, code + d2, code + d4, code + d6, "\(h4).\(h2)", "\(h4) \(h2)", "\(h4).\(h2).\(d2)", "\(h4).\(h2).\(d2).\(d2b)",
                "\(h4).\(h2).\(d2).\(d2b).\(d2)", "HTS \(h4).\(h2).\(d4)", "\(h4).\(h2).\(d4)", "TN VED \(h4) \(h2) \(d3) \(d1)",
                "ТН ВЭД \(h4).\(h2).\(d3).\(d1)", "КОД ТН ВЭД: \(code)\(d4)", "TNVED \(code) \(d4)", "GTIP NO: \(h4).\(h2).\(d2).\(d4)",
                "HS CODE \(code).\(d2)",
            ]
            for text in found {
                let hits = HSCodeScanner.codes(in: "GOODS " + text + " QTY 5")
                #expect(hits.map(\.hs6) == [code], "\(text)")
            }
            let notFound = [
                "1\(code)", "\(code)1", "12.\(code)", "\(code)-001", "\(code)/5", "\(code).5", "\(code)\(d3)", "\(code)\(d4)\(d1)",
                "\(h4).\(h2).\(d3).\(d1)", "\(h4).\(h2).\(d4).\(d1)", "\(h4).\(h2).\(d4)5",
                "INV1\(code)", "\(d4)\(code)\(d4)", "TN VED \(h4).\(h2).\(d3).\(d1).\(d3)", "TN VED \(code)\(d3)",
            ]
            for text in notFound {
                let hits = HSCodeScanner.codes(in: "REF " + text).filter { $0.hs6 == code }
                #expect(hits.isEmpty, "\(text) gave \(hits)")
            }
        }
    }
}

