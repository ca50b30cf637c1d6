import Testing
@testable import Watchlists

/// Damaged inputs never crash a parser: each one either parses or is refused with a ListFileError that names
/// the file. Mutations are generated from repeatable seeds, printed with any failure.
@Suite("Robustness on damaged input")
struct RobustnessTests {
    /// Offsets drawn from the project's seeded generator.
    struct RNG {
        var random: SeededRandom
        init(state: UInt64) { random = SeededRandom(seed: state) }
        mutating func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }
    }

    static let samples: [(ListSource, String, String)] = [
        (.ofacSDN, "sdn.csv", OFACFixture.sdn),
        (.ofacSDN, "sdn.xml", OtherFixtures.sdnXML),
        (.csl, "csl.csv", CSLFixture.text),
        (.un, "un.xml", UNFixture.xml),
        (.eu, "eu.xml", OtherFixtures.euXML),
        (.uk, "uk.xml", OtherFixtures.ukXML),
        (.openSanctions, "x.json", OtherFixtures.ftm),
        (.banks, "banks.csv", "bic,name\nSABRRUMM,SBERBANK\nVTBRRUMM,\"VTB, PJSC\"\n"),
        (.indicators, "ind.csv", IndicatorsTests.sample),
    ]

    static let interesting: [UInt8] = Array("<>&;\"',\r\n\u{1A}!-[]?/=#".utf8) + [0x00, 0xC3, 0xFF, 0xE2, 0x80]

    @Test(arguments: 0..<9)
    func mutatedFixturesNeverCrash(sample: Int) {
        let (source, name, text) = Self.samples[sample]
        let original = Array(text.utf8)
        for seed in UInt64(1)...200 {
            var rng = RNG(state: seed &* 7919 &+ UInt64(sample))
            var bytes = original
            switch rng.below(4) {
            case 0: bytes = Array(bytes.prefix(rng.below(bytes.count)))  // truncate
            case 1:  // overwrite a few bytes
                for _ in 0...rng.below(4) where !bytes.isEmpty {
                    bytes[rng.below(bytes.count)] = Self.interesting[rng.below(Self.interesting.count)]
                }
            case 2:  // delete a span
                if bytes.count > 2 {
                    let a = rng.below(bytes.count - 1)
                    bytes.removeSubrange(a..<min(bytes.count, a + 1 + rng.below(40)))
                }
            default:  // duplicate a span
                if bytes.count > 2 {
                    let a = rng.below(bytes.count - 1)
                    bytes.insert(contentsOf: bytes[a..<min(bytes.count, a + 1 + rng.below(80))], at: rng.below(bytes.count))
                }
            }
            do {
                _ = try ListParser.parse(source: source, contents: [ListFile(name: name, bytes: bytes)])
            } catch {
                #expect(error.file == name, "seed \(seed)")
                #expect(!error.message.isEmpty, "seed \(seed)")
                if let l = error.line { #expect(l >= 1, "seed \(seed)") }
            }
        }
    }

    @Test func emptyFilesAreRefused() throws {
        for (source, name, _) in Self.samples {
            let e = try #require(expectRefused(source, [file(name, "")]), "\(source)")
            #expect(e.file == name)
        }
        // A well-formed file with no entries is refused too: it would empty the list.
        #expect(try #require(expectRefused(.banks, [file("b.csv", "bic,name\n")])).message.contains("no entries"))
        #expect(try #require(expectRefused(.un, [file("u.xml", "<CONSOLIDATED_LIST/>")])).message.contains("no entries"))
    }
}

/// One bad record does not refuse a list: it is skipped and named in a warning (kept with the version);
/// the rest of the file is imported. A structurally broken file is still refused.
@Suite("bad records are skipped with a warning, not the whole list")
struct BadRecordTests {
    @Test("OFAC CSV and XML, UN, CSL, OpenSanctions: the nameless or id-less record is skipped and named")
    func skippedAndNamed() throws {
        let ofac = try ListParser.parse(source: .ofacSDN, contents: [file("sdn.csv", """
            1001,"ORION TRADING LLC",-0- ,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r
            1002,"",-0- ,"RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r

            """)])
        #expect(ofac.entries.map(\.sourceId) == ["1001"])
        #expect(ofac.warnings.contains { $0.contains("entry 1002 has no name") }, "\(ofac.warnings)")

        let xml = try ListParser.parse(source: .ofacSDN, contents: [file("sdn.xml", """
            <sdnList><sdnEntry><uid>1</uid><lastName>ORION TRADING LLC</lastName></sdnEntry>
            <sdnEntry><lastName>NO UID LLC</lastName></sdnEntry><sdnEntry><uid>3</uid></sdnEntry></sdnList>
            """)])
        #expect(xml.entries.map(\.sourceId) == ["1"])
        #expect(xml.warnings.count == 2)

        let un = try ListParser.parse(source: .un, contents: [file("un.xml", """
            <CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>11</DATAID><FIRST_NAME>IVAN</FIRST_NAME><SECOND_NAME>PETROV</SECOND_NAME></INDIVIDUAL>
            <INDIVIDUAL><FIRST_NAME>NO ID</FIRST_NAME></INDIVIDUAL></INDIVIDUALS><ENTITIES/></CONSOLIDATED_LIST>
            """)])
        #expect(un.entries.map(\.sourceId) == ["11"])
        #expect(un.warnings.contains { $0.contains("without DATAID") }, "\(un.warnings)")

        let csl = try ListParser.parse(source: .csl, contents: [file("csl.csv", CSLFixture.header + "\n"
            + CSLFixture.row("1", "Entity List (EL) - Bureau of Industry and Security", "", "", "ORION TRADING LLC") + "\n"
            + CSLFixture.row("2", "Entity List (EL) - Bureau of Industry and Security", "", "", "") + "\n")])
        #expect(csl.entries.map(\.sourceId) == ["1"])
        #expect(csl.warnings.contains { $0.contains("csl.csv:3") && $0.contains("without a name") }, "\(csl.warnings)")

        let os = try ListParser.parse(source: .openSanctions, contents: [file("entities.ftm.json", """
            {"id":"a","schema":"Company","properties":{"name":["ORION TRADING LLC"]}}
            {"id":"b","schema":"Company","properties":{}}
            """)])
        #expect(os.entries.map(\.sourceId) == ["a"])
        #expect(os.warnings.contains { $0.contains("1 entities without any name") }, "\(os.warnings)")
    }

    @Test("a structurally broken file is still refused whole")
    func brokenFilesRefused() {
        #expect(throws: ListFileError.self) { try ListParser.parse(source: .un, contents: [file("un.xml", "<CONSOLIDATED_LIST><INDIVIDUALS>")]) }
        #expect(throws: ListFileError.self) { try ListParser.parse(source: .ofacSDN, contents: [file("sdn.csv", "1001,\"SHORT\"\r\n")]) }
        #expect(throws: ListFileError.self) { try ListParser.parse(source: .openSanctions, contents: [file("e.ftm.json", "{nope}\n")]) }
    }
}
