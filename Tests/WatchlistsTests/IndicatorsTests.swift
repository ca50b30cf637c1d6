import Testing
@testable import Watchlists

@Suite("Indicators file and defaults")
struct IndicatorsTests {
    static let sample = """
    # a bank in Kazakhstan takes its own country out of the transshipment set
    kind,value,attribute,description
    keyword,INTEGRATED CIRCUITS,en,
    keyword,"МИКРОСХЕМЫ",ru,Cyrillic
    keyword,  MIKROSKHEMY ,RU,transliterated
    exclude,FOOD PROCESSORS,en,kitchen appliances
    hs_code,8542.31,1,"Electronic integrated circuits: Processors and controllers, whether or not combined"
    hs_code,8482 10,3.B,Ball bearings
    country,RU,risk,
    country,Belarus,risk,
    country,,transshipment,declared empty

    """

    @Test func parsesTheDocumentedFormat() throws {
        let r = try ListParser.parse(source: .indicators, contents: [file("ind.csv", Self.sample)])
        let s = try #require(r.indicators)
        #expect(r.entries.isEmpty)
        #expect(s.keywords == [.init(text: "INTEGRATED CIRCUITS", language: "en"), .init(text: "МИКРОСХЕМЫ", language: "ru"),
                               .init(text: "MIKROSKHEMY", language: "ru")])
        #expect(s.exclusions == [.init(text: "FOOD PROCESSORS", language: "en")])
        #expect(s.hsCodes.map(\.code) == ["854231", "848210"])
        #expect(s.hsCodes[0].tier == "1" && s.hsCodes[0].description.hasSuffix("whether or not combined"))
        #expect(s.countrySets == ["risk": ["RU", "BY"], "transshipment": []])
    }

    @Test func roundTrip() throws {
        let s = try IndicatorsFile.parse(text: Self.sample)
        #expect(try IndicatorsFile.parse(text: IndicatorsFile.render(s)) == s)
        let d = DefaultIndicators.set
        #expect(try IndicatorsFile.parse(text: IndicatorsFile.render(d)) == d)
    }

    @Test func refusals() throws {
        func bad(_ body: String) throws -> ListFileError {
            try #require(expectRefused(.indicators, [file("ind.csv", "kind,value,attribute,description\n" + body)]))
        }
        #expect(try bad("keyword,X\n").message.contains("3 or 4 columns"))
        #expect(try bad("keyword,CHIPS,,\n").message.contains("language"))
        #expect(try bad("hs_code,8542.3,1,\n").message.contains("six-digit"))
        #expect(try bad("hs_code,854231,,\n").message.contains("tier"))
        #expect(try bad("hs_code,854231,1,\nhs_code,8542.31,1,\n").line == 3)
        #expect(try bad("country,Atlantis,risk,\n").message.contains("unknown country"))
        #expect(try bad("country,RU,,\n").message.contains("set name"))
        #expect(try bad("colour,RED,en,\n").message.contains("unknown kind"))
        #expect(try #require(expectRefused(.indicators, [file("ind.csv", "keyword,X,en\n")])).message.contains("header"))
    }

    @Test func chplDefaults() {
        let codes = DefaultIndicators.set.hsCodes
        #expect(codes.count == 50)
        #expect(Set(codes.map(\.code)).count == 50)
        #expect(codes.allSatisfy { $0.code.count == 6 && $0.code.allSatisfy(\.isNumber) && !$0.description.isEmpty })
        var tiers: [String: Int] = [:]
        for c in codes { tiers[c.tier, default: 0] += 1 }
        #expect(tiers == ["1": 4, "2": 5, "3.A": 16, "3.B": 9, "4.A": 11, "4.B": 5])
        #expect(codes.first { $0.code == "854231" }?.tier == "1")
        #expect(codes.first { $0.code == "848210" }?.description == "Ball bearings")
    }

    /// The shipped codes equal the CHPL file they were transcribed from.
    @Test(.enabled(if: SharedData.exists("chpl/chpl.csv"), SharedData.missing("chpl/chpl.csv")))
    func chplMatchesTheSourceFile() throws {
        var reader = CSVReader(file: try ListFile.read(path: SharedData.path("chpl/chpl.csv")))
        _ = try reader.next()
        var fromFile: [IndicatorSet.HSCode] = []
        while let rec = try reader.next() {
            fromFile.append(.init(code: IndicatorsFile.normalizeHS(rec.fields[0])!, tier: rec.fields[1], description: rec.fields[2]))
        }
        #expect(fromFile == DefaultIndicators.set.hsCodes)
    }

    @Test func countrySetDefaults() {
        let sets = DefaultIndicators.set.countrySets
        #expect(sets["risk"] == ["RU", "BY"])
        #expect(Set(sets["transshipment"] ?? []) == ["AM", "AZ", "GE", "KZ", "KG", "TJ", "UZ", "AE", "CN", "HK", "RS"])
    }

    @Test func keywordDefaults() {
        let kw = DefaultIndicators.set.keywords
        #expect(Set(kw.map(\.text)).count == kw.count)
        let byLang = Dictionary(grouping: kw, by: \.language)
        #expect(Set(byLang.keys) == ["en", "tr", "ru"])
        let texts = Set(kw.map(\.text))
        // The end-use vocabulary of the test deck's categories E2–E4.
        for k in ["INTEGRATED CIRCUITS", "MICROCHIPS", "MICROCONTROLLERS", "PROCESSORS", "MEMORY CARDS", "AMPLIFIERS",
                  "TANTALUM CAPACITORS", "TRANSCEIVER MODULES", "RADIO REMOTE CONTROL", "GNSS MODULES", "BALL BEARINGS",
                  "CNC MACHINES", "MACHINE TOOLS", "DRONE COMPONENTS", "UAV PARTS",
                  "ENTEGRE DEVRE", "MIKROCIP", "MİKROÇİP", "ISLEMCI", "İŞLEMCİ", "BELLEK KARTI", "KONDANSATOR", "RULMAN",
                  "CNC TEZGAHI", "TAKIM TEZGAHI", "UZAKTAN KUMANDA", "INSANSIZ HAVA ARACI PARCALARI",
                  "МИКРОСХЕМЫ", "ПОДШИПНИКИ", "ПРОЦЕССОРЫ", "СТАНКИ ЧПУ", "КАРТЫ ПАМЯТИ",
                  "MIKROSKHEMY", "PODSHIPNIKI", "PROTSESSORY", "STANKI CHPU", "KARTY PAMYATI"] {
            #expect(texts.contains(k), "\(k)")
        }
        // Never words that ordinary trade uses on its own.
        for k in ["CHIPS", "PROCESSOR", "DRAM", "REMOTE CONTROL", "COMPONENTS", "PARTS", "MACHINES", "MODULES", "OIL"] {
            #expect(!texts.contains(k), "\(k)")
        }
        // No keyword is a whole word of the deck's benign goods (N1–N6 style remittance).
        let benign = ["POTATO CHIPS", "FOOD PROCESSOR", "FRESH APRICOTS", "TEXTILES", "HAZELNUTS", "CERAMIC TILES", "COTTON YARN",
                      "SUNFLOWER OIL", "OLIVE OIL", "TOMATO PASTE", "DRIED FIGS", "CUT FLOWERS", "WOOL CARPETS", "COFFEE BEANS",
                      "OFFICE FURNITURE", "PACKAGING MATERIAL", "SPARE KEYS AND LOCKS", "SOFTWARE LICENCE RENEWAL", "WINE SHIPMENT",
                      "PRINTED BROCHURES", "FREIGHT CHARGES", "AMD 50000 DRAM"]
        for text in benign {
            let words = Set(text.split(separator: " ").map(String.init))
            let hits = kw.filter { k in
                let kws = k.text.split(separator: " ").map(String.init)
                return kws.allSatisfy(words.contains) && text.contains(k.text)
            }
            #expect(hits.isEmpty, "\(text): \(hits.map(\.text))")
        }
        // Every exclusion contains a keyword (otherwise it would never apply): as written, or its singular, since
        // English keywords match on stems (ScreeningTests checks this on the stems themselves).
        for e in DefaultIndicators.set.exclusions {
            #expect(kw.contains { e.text.contains($0.text) || ($0.text.hasSuffix("S") && e.text.contains($0.text.dropLast())) }, "\(e.text)")
        }
    }
}
