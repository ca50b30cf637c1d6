import Testing
@testable import Watchlists

/// OFAC's structured XML (`sdn_advanced.xml`, `cons_advanced.xml`) on the fixtures in `Fixtures/`, written in the
/// published layout with invented parties.
@Suite("OFAC advanced XML")
struct OFACAdvancedTests {
    @Test("sdn_advanced.xml: names, aliases, type, programmes, countries, typed identifiers; the nameless party skipped")
    func sdn() throws {
        let r = try ListParser.parse(source: .ofacSDN, contents: [Fixtures.file("sdn_advanced.xml")])
        #expect(r.source == .ofacSDN)
        #expect(r.entries.map(\.sourceId) == ["90001", "90002", "90003"])
        #expect(r.warnings.count == 1 && r.warnings[0].contains("DistinctParty 90004 has no name"), "\(r.warnings)")

        let p = r.entries[0]
        #expect(p.type == .person)
        #expect(p.names == [
            EntryName(name: "VELTRANOV, Arkady Semyonovich", kind: "primary", strength: .strong),  // the CSV's form
            EntryName(name: "ВЕЛТРАНОВ, Аркадий", kind: "original_script", strength: .strong),
            EntryName(name: "VELTRANOV, Arkadi", kind: "aka", strength: .strong),
            EntryName(name: "ARKASHA", kind: "weak_fka", strength: .weak),
        ])
        #expect(p.programs == ["RUSSIA-EO14024"])
        #expect(p.countries == ["RU"])
        #expect(p.identifiers == [
            EntryIdentifier(type: "Passport", value: "7512345678", country: "RU"),
            EntryIdentifier(type: "National ID No.", value: "4509 112233"),
            EntryIdentifier(type: "Digital Currency Address - XBT", value: "bc1qveltranov0example0wallet0address0q8z"),
        ])
        #expect(p.remarks == "DOB 14 Mar 1961; DOB 1962; POB Omsk, Russia")

        let e = r.entries[1]
        #expect(e.type == .entity && e.primaryName == "NORDWIND TRADING LIMITED")
        #expect(e.names.dropFirst().map(\.kind) == ["aka", "nka"])
        #expect(e.programs == ["RUSSIA-EO14024", "UKRAINE-EO13662"])
        #expect(e.bics == ["NWTLCY2L"])
        // The remarks' labels: "Legal Entity Number" is stored as LEI, as the CSV's remarks parser stores it.
        #expect(e.identifiers == [
            EntryIdentifier(type: "LEI", value: "2138009NWTL5CY4K2Q20"),
            EntryIdentifier(type: "Registration Number", value: "HE 412233", country: "CY"),
            EntryIdentifier(type: "Tax ID No.", value: "7709123453", country: "RU"),
        ])
        // An address in sdn.xml's order; a location whose area is "undetermined" gives neither text nor country.
        #expect(e.addresses == ["12 Harbour Street, Office 4, Limassol, 3035, Cyprus"])
        #expect(e.countries == ["CY"])
        #expect(e.remarks == nil)

        let v = r.entries[2]
        #expect(v.type == .vessel && v.primaryName == "SEA MERIDIAN" && v.names.count == 1)
        #expect(v.programs == ["IRAN-EO13846"])
        #expect(v.identifiers == [
            EntryIdentifier(type: "IMO", value: "9123453"),
            EntryIdentifier(type: "Call Sign", value: "3FQX7"),
            EntryIdentifier(type: "Vessel Flag", value: "Panama", country: "PA"),
            EntryIdentifier(type: "Vessel Owner", value: "NORDWIND TRADING LIMITED"),
        ])
    }

    @Test("the identifier labels are the CSV remarks parser's: the same party reads alike from both")
    func sameLabelsAsRemarks() throws {
        let r = try ListParser.parse(source: .ofacSDN, contents: [Fixtures.file("sdn_advanced.xml")])
        let remarks = OFACRemarks("Legal Entity Number 2138009NWTL5CY4K2Q20; Vessel Registration Identification IMO 9123453; "
            + "Passport 7512345678 (Russia); Digital Currency Address - XBT bc1qveltranov0example0wallet0address0q8z.")
        let fromXML = Set(r.entries.flatMap(\.identifiers))
        for id in remarks.identifiers { #expect(fromXML.contains(id), "\(id) read from remarks is not read from the XML") }
    }

    @Test("cons_advanced.xml is ofac-cons: parties on non-SDN lists, an SDN-only party left out with a warning")
    func cons() throws {
        let r = try ListParser.parse(source: .ofacCons, contents: [Fixtures.file("cons_advanced.xml")])
        #expect(r.source == .ofacCons)
        #expect(r.entries.map(\.primaryName) == ["ORIENT BRIDGE CAPITAL JSC", "KESTREL ENERGY HOLDINGS"])
        #expect(r.entries.map(\.programs) == [["UKRAINE-EO13662"], ["RUSSIA-EO14024"]])
        #expect(r.entries[0].names[1] == EntryName(name: "OBC JSC", kind: "aka", strength: .strong))
        #expect(r.entries.allSatisfy { $0.subList == "OFAC Consolidated (non-SDN)" && $0.type == .entity })
        #expect(r.warnings == ["1 party of \(Fixtures.directory)/cons_advanced.xml is not on a non-SDN list and was left out of ofac-cons"])
    }

    @Test("a file of one list is refused under the other: by its published name, or else by its content")
    func crossSource() throws {
        let byName = try #require(expectRefused(.ofacCons, [Fixtures.file("sdn_advanced.xml")]))
        #expect(byName.message.contains("--source ofac-sdn"))
        let byName2 = try #require(expectRefused(.ofacSDN, [Fixtures.file("cons_advanced.xml")]))
        #expect(byName2.message.contains("--source ofac-cons"))
        // Renamed, the lists its parties are on still tell.
        let renamed = try #require(expectRefused(.ofacCons, [Fixtures.file("sdn_advanced.xml", savedAs: "ofac-2026-11-30.xml")]))
        #expect(renamed.file == "ofac-2026-11-30.xml" && renamed.message.contains("--source ofac-sdn"), "\(renamed)")
        let renamedCons = try ListParser.parse(source: .ofacSDN, contents: [Fixtures.file("cons_advanced.xml", savedAs: "list.xml")])
        #expect(renamedCons.entries.map(\.sourceId) == ["91003"])
        #expect(renamedCons.warnings == ["2 parties of list.xml are not on the SDN List and were left out of ofac-sdn"])
    }

    @Test("structurally broken files are refused naming the file and line: wrong root, ids that resolve to nothing")
    func refusals() throws {
        let wrongRoot = try #require(expectRefused(.ofacSDN, [file("sdn_advanced.xml", "<?xml version=\"1.0\"?>\n<Sanction><x/></Sanction>")]))
        #expect(wrongRoot.line == 2 && wrongRoot.message.contains("expected <sdnList>") && wrongRoot.message.contains("<Sanctions>"))

        let noRefs = try #require(expectRefused(.ofacSDN, [file("sdn_advanced.xml", "<Sanctions><DistinctParties/></Sanctions>")]))
        #expect(noRefs.message.contains("ReferenceValueSets"))

        let cases: [(String, String, String)] = [
            ("AliasTypeID=\"1401\" Primary", "AliasTypeID=\"1499\" Primary", "AliasTypeID=\"1499\" names no AliasType"),
            ("IDRegDocTypeID=\"1626\"", "IDRegDocTypeID=\"1627\"", "IDRegDocTypeID=\"1627\" names no IDRegDocType"),
            ("FeatureTypeID=\"344\"", "FeatureTypeID=\"345\"", "FeatureTypeID=\"345\" names no FeatureType"),
            ("<NamePartGroup ID=\"8203\" NamePartTypeID=\"1522\"", "<NamePartGroup ID=\"8203\" NamePartTypeID=\"1523\"",
             "NamePartTypeID=\"1523\" names no NamePartType"),
            ("<VersionLocation LocationID=\"502\"", "<VersionLocation LocationID=\"599\"", "LocationID=\"599\" names no Location"),
            ("NamePartGroupID=\"8221\"", "NamePartGroupID=\"8222\"", "NamePartGroupID=\"8222\" names no NamePartGroup"),
            ("ProfileID=\"90003\" ListID=\"1550\"", "ProfileID=\"90003\" ListID=\"1551\"", "ListID=\"1551\" names no List"),
        ]
        for (from, to, message) in cases {
            let broken = try Fixtures.edited("sdn_advanced.xml", replacing: from, with: to)
            let e = try #require(expectRefused(.ofacSDN, [broken]))
            #expect(e.message.contains(message) && e.line != nil, "\(e)")
        }
    }

    @Test("the older namespace of the schema (http://www.un.org/sanctions/1.0) reads the same")
    func olderNamespace() throws {
        let current = try ListParser.parse(source: .ofacSDN, contents: [Fixtures.file("sdn_advanced.xml")])
        let older = try Fixtures.edited("sdn_advanced.xml",
                                        replacing: "xmlns=\"https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML\"",
                                        with: "xmlns=\"http://www.un.org/sanctions/1.0\"")
        #expect(try ListParser.parse(source: .ofacSDN, contents: [older]).entries == current.entries)
    }

    @Test("a DistinctParty without FixedRef is skipped and named by its line")
    func withoutFixedRef() throws {
        let edited = try Fixtures.edited("sdn_advanced.xml", replacing: "<DistinctParty FixedRef=\"90002\">", with: "<DistinctParty>")
        let r = try ListParser.parse(source: .ofacSDN, contents: [edited])
        #expect(r.entries.map(\.sourceId) == ["90001", "90003"])
        #expect(r.warnings.contains { $0.contains("a DistinctParty without FixedRef was skipped") && $0.contains(" line ") })
    }

    @Test("a date period is written as the CSV's remarks write a date")
    func dates() throws {
        func period(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) throws -> String? {
            func d(_ x: (Int, Int, Int)) -> String { "<Year>\(x.0)</Year><Month>\(x.1)</Month><Day>\(x.2)</Day>" }
            let xml = "<DatePeriod><Start><From>\(d(a))</From><To>\(d(a))</To></Start><End><From>\(d(b))</From><To>\(d(b))</To></End></DatePeriod>"
            return OFACAdvancedParser.date(try ListXML.parse(file("d.xml", xml)))
        }
        #expect(try period((1948, 12, 10), (1948, 12, 10)) == "10 Dec 1948")
        #expect(try period((1962, 1, 1), (1962, 12, 31)) == "1962")
        #expect(try period((1970, 2, 1), (1970, 2, 28)) == "Feb 1970")
        #expect(try period((1960, 1, 1), (1962, 12, 31)) == "01 Jan 1960 to 31 Dec 1962")
    }
}
