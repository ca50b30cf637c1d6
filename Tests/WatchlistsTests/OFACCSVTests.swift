import Testing
@testable import Watchlists

/// A hand-made OFAC set with every quirk of the real files: CRLF, `-0- ` nulls, quoted fields with commas and
/// doubled quotes, a remark cut mid-word and continued in sdn_comments, `] [` programs, weak a.k.a.s and a
/// SWIFT/BIC in remarks, the trailing 0x1A line, and orphan alt/add/comment rows.
enum OFACFixture {
    static let sdn = """
    36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r
    17018,"PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA",-0- ,"UKRAINE-EO13662] [RUSSIA-EO14024",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"SWIFT/BIC SABRRUMM; Website www.sberbank.ru; Tax ID No. 7707083893 (Russia); Registration Num"\r
    10278,"LOGAN MOREY, Elvis Angus","individual","SDNT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,"DOB 28 Jul 1963; nationality Belize; Passport P0017003 (Belize); a.k.a. 'BURTON BURGESS'."\r
    9000,"OCEAN ""STAR"", LTD",vessel,"IRAN",-0- ,"9ABC","Tanker",-0- ,-0- ,"Panama",-0- ,"Vessel Registration Identification IMO 9187629."\r
    9001,"EP-ABC","aircraft","SDGT",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r
    \u{1A}
    """
    static let comments = """
    17018,"ber 1027700132195 (Russia); a.k.a. 'SBERBANK INDIA'; f.k.a. 'OLD SBER'."\r
    99999,"orphan continuation"\r
    \u{1A}
    """
    static let alt = """
    36,12,"aka","AERO-CARIBBEAN",-0- \r
    17018,100,"aka","SBERBANK",-0- \r
    10278,101,"fka","LOGAN, Elvis",-0- \r
    55555,102,"aka","ORPHAN ALT",-0- \r
    55556,103,"aka","ORPHAN ALT 2",-0- \r
    \u{1A}
    """
    static let add = """
    17018,200,"19 Vavilova St.","Moscow 117997","Russia",-0- \r
    36,25,-0- ,"Havana","Cuba",-0- \r
    55555,201,-0- ,"Nowhere","Utopia",-0- \r
    \u{1A}
    """

    static var files: [ListFile] {
        [file("in/sdn.csv", sdn), file("in/ALT.csv", alt), file("in/add.csv", add), file("in/sdn_comments.csv", comments)]
    }
}

@Suite("OFAC legacy CSV")
struct OFACCSVTests {
    @Test func fixtureEntries() throws {
        let r = try ListParser.parse(source: .ofacSDN, contents: OFACFixture.files)
        #expect(r.source == .ofacSDN)
        #expect(r.entries.map(\.sourceId) == ["36", "17018", "10278", "9000", "9001"])
        #expect(r.entries.map(\.type) == [.entity, .entity, .person, .vessel, .aircraft])

        let sber = try #require(r.entries.first { $0.sourceId == "17018" })
        #expect(sber.primaryName == "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA")
        #expect(sber.bics == ["SABRRUMM"])
        #expect(sber.programs == ["UKRAINE-EO13662", "RUSSIA-EO14024"])
        #expect(sber.countries == ["RU"])
        #expect(sber.addresses == ["19 Vavilova St., Moscow 117997, Russia"])
        // The remark cut mid-word ("Registration Num" + "ber …") is joined before it is read.
        #expect(sber.identifiers.contains(EntryIdentifier(type: "Registration Number", value: "1027700132195", country: "RU")))
        #expect(sber.identifiers.contains(EntryIdentifier(type: "Tax ID No.", value: "7707083893", country: "RU")))
        #expect(sber.remarks?.hasSuffix("f.k.a. 'OLD SBER'.") == true)
        #expect(sber.names.contains(EntryName(name: "SBERBANK INDIA", kind: "weak_aka", strength: .weak)))
        #expect(sber.names.contains(EntryName(name: "OLD SBER", kind: "weak_fka", strength: .weak)))
        #expect(sber.names.contains(EntryName(name: "SBERBANK", kind: "aka", strength: .strong)))
        #expect(sber.names.first?.kind == "primary")

        let logan = try #require(r.entries.first { $0.sourceId == "10278" })
        #expect(logan.primaryName == "LOGAN MOREY, Elvis Angus")  // as written: the matcher reorders
        #expect(logan.names.contains(EntryName(name: "BURTON BURGESS", kind: "weak_aka", strength: .weak)))
        #expect(logan.names.contains(EntryName(name: "LOGAN, Elvis", kind: "fka", strength: .strong)))
        #expect(logan.countries == ["BZ"])
        #expect(logan.identifiers == [EntryIdentifier(type: "Passport", value: "P0017003", country: "BZ")])

        let ship = try #require(r.entries.first { $0.sourceId == "9000" })
        #expect(ship.primaryName == "OCEAN \"STAR\", LTD")
        #expect(ship.identifiers.contains(EntryIdentifier(type: "IMO", value: "9187629")))
        #expect(ship.identifiers.contains(EntryIdentifier(type: "Call Sign", value: "9ABC")))
        #expect(ship.identifiers.contains(EntryIdentifier(type: "Vessel Flag", value: "Panama", country: "PA")))

        let cuba = try #require(r.entries.first { $0.sourceId == "36" })
        #expect(cuba.remarks == nil)
        #expect(cuba.countries == ["CU"])
        #expect(cuba.names.map(\.name) == ["AEROCARIBBEAN AIRLINES", "AERO-CARIBBEAN"])
    }

    @Test func orphanRowsAreSkippedAndCounted() throws {
        let r = try ListParser.parse(source: .ofacSDN, contents: OFACFixture.files)
        #expect(r.warnings.count == 3)
        #expect(r.warnings.contains { $0.contains("in/ALT.csv") && $0.contains("2 rows point at no entry") && $0.contains("55555, 55556") })
        #expect(r.warnings.contains { $0.contains("in/add.csv") && $0.contains("1 rows point at no entry") })
        #expect(r.warnings.contains { $0.contains("in/sdn_comments.csv") && $0.contains("99999") })
        #expect(!r.entries.flatMap(\.names).contains { $0.name.hasPrefix("ORPHAN") })
    }

    @Test func sdnAloneAndLFLineEnds() throws {
        let lf = OFACFixture.sdn.replacingCRLF()
        let r = try ListParser.parse(source: .ofacSDN, contents: [file("sdn.csv", lf)])
        #expect(r.entries.count == 5)
        #expect(r.warnings.isEmpty)
        #expect(r.entries[1].bics == ["SABRRUMM"])
    }

    @Test func consolidatedNamesAreRecognised() throws {
        let cons = [file("cons_prim.csv", OFACFixture.sdn), file("cons_alt.csv", OFACFixture.alt),
                    file("cons_add.csv", OFACFixture.add), file("cons_comments.csv", OFACFixture.comments)]
        let r = try ListParser.parse(source: .ofacCons, contents: cons)
        #expect(r.source == .ofacCons)
        #expect(r.entries.count == 5)
        #expect(r.entries[0].subList == "OFAC Consolidated (non-SDN)")
    }

    @Test("the SDN and consolidated lists are two sources: a file of one is refused under the other, naming the right one")
    func sdnAndConsolidatedAreSeparate() throws {
        for name in ["cons_prim.csv", "cons_alt.csv", "consolidated.xml", "CONS_PRIM.CSV"] {
            do {
                _ = try ListParser.parse(source: .ofacSDN, contents: [file("sdn.csv", OFACFixture.sdn), file(name, OFACFixture.sdn)])
                Issue.record("\(name) accepted as ofac-sdn")
            } catch {
                #expect(error.message.contains("--source ofac-cons"), "\(error)")
            }
        }
        for name in ["sdn.csv", "alt.csv", "sdn.xml"] {
            do {
                _ = try ListParser.parse(source: .ofacCons, contents: [file(name, OFACFixture.sdn)])
                Issue.record("\(name) accepted as ofac-cons")
            } catch {
                #expect(error.message.contains("--source ofac-sdn"), "\(error)")
            }
        }
        // sdn.xml and consolidated.xml together: refused, naming the source for the consolidated file.
        do {
            _ = try ListParser.parse(source: .ofacSDN, contents: [file("sdn.xml", "<sdnList/>"), file("consolidated.xml", "<sdnList/>")])
            Issue.record("sdn.xml + consolidated.xml accepted")
        } catch {
            #expect(error.message.contains("consolidated.xml is OFAC's consolidated (non-SDN) list"), "\(error)")
        }
        #expect(try ListParser.parse(source: .ofacSDN, contents: OFACFixture.files).source == .ofacSDN)
    }

    @Test func refusesWrongColumns() throws {
        let bad = OFACFixture.sdn + "123,\"SHORT ROW\",-0- \r\n"
        let e = try #require(expectRefused(.ofacSDN, [file("sdn.csv", bad)]))
        #expect(e.file == "sdn.csv")
        // The 0x1A line is the 6th; a record after it is an error, reported on its own line.
        #expect(e.line == 6)
        let alt = try #require(expectRefused(.ofacSDN, [file("sdn.csv", OFACFixture.sdn), file("alt.csv", "36,12,\"aka\"\r\n")]))
        #expect(alt.file == "alt.csv" && alt.line == 1 && alt.message.contains("expected 5 columns"))
    }

    @Test func refusesHeaderRowsUnknownNamesAndMissingPrimary() throws {
        let header = "ent_num,name,type,programs,title,call_sign,vess_type,tonnage,grt,vess_flag,vess_owner,remarks\r\n"
        let e = try #require(expectRefused(.ofacSDN, [file("sdn.csv", header + OFACFixture.sdn)]))
        #expect(e.line == 1 && e.message.contains("not a number"))
        let n = try #require(expectRefused(.ofacSDN, [file("sdn.csv", OFACFixture.sdn), file("aliases.csv", OFACFixture.alt)]))
        #expect(n.file == "aliases.csv")
        let p = try #require(expectRefused(.ofacSDN, [file("alt.csv", OFACFixture.alt)]))
        #expect(p.message.contains("needs sdn.csv"))
    }

    @Test func refusesInvalidUTF8WithLine() throws {
        var bytes = Array(OFACFixture.sdn.utf8)
        let secondLine = bytes.firstIndex(of: 0x0A)! + 5
        bytes[secondLine] = 0xC3  // a lone lead byte
        bytes[secondLine + 1] = 0x28
        let e = try #require(expectRefused(.ofacSDN, [ListFile(name: "sdn.csv", bytes: bytes)]))
        #expect(e.line == 2 && e.message.contains("UTF-8"))
    }

    @Test func refusesTruncatedQuotedField() throws {
        let s = OFACFixture.sdn
        let cut = String(s[..<s.range(ofLiteral: "Website")!.lowerBound])
        let e = try #require(expectRefused(.ofacSDN, [file("sdn.csv", cut)]))
        #expect(e.message.contains("truncated"))
    }

    @Test func programsSplit() {
        #expect(OFACCSVParser.programs("UKRAINE-EO13662] [RUSSIA-EO14024") == ["UKRAINE-EO13662", "RUSSIA-EO14024"])
        #expect(OFACCSVParser.programs("[SDGT] [IFSR]") == ["SDGT", "IFSR"])
        #expect(OFACCSVParser.programs("") == [])
    }

    @Test func remarksExtraction() {
        let r = OFACRemarks("SWIFT/BIC VTBRRUMM; alt. SWIFT/BIC VTBRRUMMXXX; citizen Russia; alt. Passport 123 (Russia); "
            + "Legal Entity Number 253400WSS48YWMBUA688; a.k.a. 'D'S SUPERMARKET' (in Spanish); BIK (RU) 044525187.")
        #expect(r.bics == ["VTBRRUMM", "VTBRRUMMXXX"])
        #expect(r.countries == ["RU"])
        #expect(r.identifiers.contains(EntryIdentifier(type: "Passport", value: "123", country: "RU")))
        #expect(r.identifiers.contains(EntryIdentifier(type: "LEI", value: "253400WSS48YWMBUA688")))
        #expect(r.identifiers.contains(EntryIdentifier(type: "BIK", value: "044525187")))
        #expect(r.weakNames == [EntryName(name: "D'S SUPERMARKET", kind: "weak_aka", strength: .weak)])
    }
}

@Suite("OFAC legacy CSV, real files")
struct OFACCSVRealFileTests {
    @Test(.enabled(if: SharedData.exists("ofac/sdn_full_2024-05-03/sdn.csv"), SharedData.missing("ofac/sdn_full_2024-05-03/sdn.csv")))
    func fullSDN() throws {
        let r = try SharedData.parse(.ofacSDN, "ofac/sdn_full_2024-05-03/sdn.csv")
        #expect(r.entries.count == 14_965)
        #expect(r.entries.filter { $0.type == .entity }.count == 6_884)
        #expect(r.entries.filter { $0.type == .person }.count == 6_854)
        #expect(r.entries.filter { $0.type == .vessel }.count == 851)
        #expect(r.entries.filter { $0.type == .aircraft }.count == 376)
        #expect(r.warnings.isEmpty)
        let sber = try #require(r.entries.first { $0.bics.contains("SABRRUMM") })
        #expect(sber.primaryName == "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA")
        #expect(sber.type == .entity)
        #expect(sber.programs.contains("RUSSIA-EO14024"))
        // The derived bank file found these BICs in the same remarks.
        let allBICs = Set(r.entries.flatMap(\.bics))
        for b in ["VTBRRUMM", "ALFARUMM", "BFEARUMM", "PRMSRUMM", "IIBMHU22"] { #expect(allBICs.contains(b), "\(b)") }
        // Gazprombank, RSHB and the Central Bank are only on the non-SDN list in these snapshots.
        for b in ["GAZPRUMM", "RUAGRUMM", "CBRFRUMM"] { #expect(!allBICs.contains(b), "\(b)") }
        #expect(r.entries.flatMap(\.names).filter { $0.strength == .weak }.count > 3_000)
    }

    @Test(.enabled(if: SharedData.exists("ofac/sdn_full_2024-05-03/sdn.csv", "ofac/watchman_2025-12-24/alt.csv"),
                   SharedData.missing("ofac/watchman_2025-12-24/alt.csv")))
    func fullSDNWithNewerAltAddComments() throws {
        let r = try SharedData.parse(.ofacSDN, "ofac/sdn_full_2024-05-03/sdn.csv", "ofac/watchman_2025-12-24/alt.csv",
                                     "ofac/watchman_2025-12-24/add.csv", "ofac/watchman_2025-12-24/sdn_comments.csv")
        #expect(r.entries.count == 14_965)
        #expect(r.warnings.count == 3)
        #expect(r.warnings.contains { $0.contains("alt.csv: 2460 rows point at no entry") })
        #expect(r.warnings.contains { $0.contains("add.csv: 4893 rows point at no entry") })
        #expect(r.warnings.contains { $0.contains("sdn_comments.csv: 6 rows point at no entry") })
        let sber = try #require(r.entries.first { $0.sourceId == "17018" })
        #expect(sber.countries.contains("RU"))
        #expect(sber.names.count > 1)
    }

    @Test(.enabled(if: SharedData.exists("ofac/watchman_bench_2021-07/sdn.csv"), SharedData.missing("ofac/watchman_bench_2021-07/sdn.csv")))
    func consistentBenchSetHasEveryRowLinked() throws {
        let d = "ofac/watchman_bench_2021-07/"
        let r = try SharedData.parse(.ofacSDN, d + "sdn.csv", d + "alt.csv", d + "add.csv", d + "sdn_comments.csv")
        #expect(r.entries.count == 8_976)
        #expect(r.warnings.isEmpty)
        #expect(r.entries.reduce(0) { $0 + $1.names.filter { ["aka", "fka", "nka"].contains($0.kind) }.count } > 11_000)
    }

    @Test(.enabled(if: SharedData.exists("ofac/watchman_mini/sdn.csv"), SharedData.missing("ofac/watchman_mini/sdn.csv")))
    func miniSetWarnsAboutOrphans() throws {
        let d = "ofac/watchman_mini/"
        let r = try SharedData.parse(.ofacSDN, d + "sdn.csv", d + "alt.csv", d + "add.csv", d + "sdn_comments.csv")
        #expect(r.entries.count == 17)
        #expect(r.warnings.count == 2)
        #expect(r.warnings.contains { $0.contains("alt.csv: 5 rows point at no entry") })
        #expect(r.warnings.contains { $0.contains("add.csv: 4 rows point at no entry") })
        let exchange = try #require(r.entries.first { $0.sourceId == "33151" })
        #expect(exchange.names.contains { $0.name == "SUCCESSFUL EXCHANGE" && $0.strength == .weak })
    }

    @Test(.enabled(if: SharedData.exists("ofac/consolidated_non_sdn_2025-12/cons_prim.csv"),
                   SharedData.missing("ofac/consolidated_non_sdn_2025-12/cons_prim.csv")))
    func consolidatedNonSDN() throws {
        let d = "ofac/consolidated_non_sdn_2025-12/"
        let r = try SharedData.parse(.ofacCons, d + "cons_prim.csv", d + "cons_alt.csv", d + "cons_add.csv", d + "cons_comments.csv")
        #expect(r.entries.count == 442)
        #expect(r.warnings.isEmpty)
        let bics = Set(r.entries.flatMap(\.bics))
        #expect(bics.contains("GAZPRUMM"))
        #expect(bics.contains("CBRFRUMM"))
        #expect(bics.contains("RUAGRUMM"))
    }
}

@Suite("OFAC BICs against the derived bank file")
struct OFACBankFileCrossCheck {
    /// `russia/russian_bank_bics.csv` was built from the same files with a regular expression; every BIC it
    /// attributes to the 2024-05-03 sdn.csv must be found by the remarks reader too.
    @Test(.enabled(if: SharedData.exists("ofac/sdn_full_2024-05-03/sdn.csv", "russia/russian_bank_bics.csv"),
                   SharedData.missing("russia/russian_bank_bics.csv")))
    func everyBICOfTheDerivedFileIsFound() throws {
        let sdn = try SharedData.parse(.ofacSDN, "ofac/sdn_full_2024-05-03/sdn.csv")
        let found = Set(sdn.entries.flatMap(\.bics))
        var expected = Set<String>()
        var reader = CSVReader(file: try ListFile.read(path: SharedData.path("russia/russian_bank_bics.csv")))
        _ = try reader.next()
        while let rec = try reader.next() {
            if rec.fields.count > 2, rec.fields[2].contains("ofac_sdn_2024-05-03") { expected.insert(rec.fields[0]) }
        }
        #expect(expected.count == 162)
        #expect(expected.subtracting(found).isEmpty, "missing: \(expected.subtracting(found).sorted())")
    }
}

extension String {
    func replacingCRLF() -> String {
        var out = ""
        for ch in self { if ch == "\r\n" { out.append("\n") } else if ch != "\r" { out.append(ch) } }
        return out
    }
}
