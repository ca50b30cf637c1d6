import Testing
@testable import Watchlists

/// The CSV editions of the UK list on the fixtures in `Fixtures/`: `UK_Sanctions_List.csv` (the FCDO's 58-column
/// layout) with `UK_Sanctions_List.xml` holding the same invented designations, and `ConList.csv` (OFSI's layout).
@Suite("UK Sanctions List CSV")
struct UKCSVTests {
    @Test("the FCDO CSV gives the entries of the XML edition; the row without Unique ID and the nameless designation are skipped")
    func fcdoCSVEqualsXML() throws {
        let csv = try ListParser.parse(source: .uk, contents: [Fixtures.file("UK_Sanctions_List.csv")])
        let xml = try ListParser.parse(source: .uk, contents: [Fixtures.file("UK_Sanctions_List.xml")])
        #expect(csv.entries.map(\.sourceId) == ["RUS9001", "RUS9002", "RUS9003"])
        #expect(csv.entries == xml.entries)
        #expect(csv.warnings.count == 2)
        #expect(csv.warnings[0].hasSuffix("UK_Sanctions_List.csv line 9: a row without Unique ID was skipped"), "\(csv.warnings)")
        #expect(csv.warnings[1].hasSuffix("UK_Sanctions_List.csv line 10: designation RUS9005 has no name and was skipped"))

        let p = csv.entries[0]
        #expect(p.type == .person)
        #expect(p.names == [EntryName(name: "Arkady Semyonovich VELTRANOV", kind: "primary", strength: .strong),
                            EntryName(name: "VELTRANOV Arkadi", kind: "aka", strength: .strong),
                            EntryName(name: "ARKASHA", kind: "weak_aka", strength: .weak),
                            EntryName(name: "Аркадий ВЕЛТРАНОВ", kind: "original_script", strength: .strong)])
        #expect(p.programs == ["The Russia (Sanctions) (EU Exit) Regulations 2019"])
        #expect(p.identifiers == [EntryIdentifier(type: "OFSI Group ID", value: "99001"), EntryIdentifier(type: "Passport", value: "7512345678"),
                                  EntryIdentifier(type: "National Identifier", value: "4509112233")])
        #expect(p.countries == ["RU"] && p.addresses == ["Omsk, Russia"])

        let e = csv.entries[1]
        #expect(e.type == .entity && e.names.map(\.kind) == ["primary", "primary_variation"])
        #expect(e.identifiers.last == EntryIdentifier(type: "Business Registration Number", value: "HE412233"))
        #expect(e.bics == ["NWTLCY2L"])
        #expect(e.addresses == ["12 Harbour Street, Office 4, Limassol, 3035, Cyprus", "7 Tverskaya Street, Moscow, 125009, Russia"])
        #expect(e.countries == ["CY", "RU"])

        let s = csv.entries[2]
        #expect(s.type == .vessel && s.primaryName == "SEA MERIDIAN" && s.identifiers == [EntryIdentifier(type: "IMO", value: "9123453")])
    }

    @Test("OFSI's ConList: grouped by Group ID, keyed by the UK Sanctions List reference, numbered values split")
    func conList() throws {
        let r = try ListParser.parse(source: .uk, contents: [Fixtures.file("ConList.csv")])
        #expect(r.entries.map(\.sourceId) == ["RUS9001", "RUS9002", "99004"])
        #expect(r.warnings.count == 1 && r.warnings[0].hasSuffix("ConList.csv line 9: a row without Group ID was skipped"), "\(r.warnings)")
        let p = r.entries[0]
        #expect(p.names == [EntryName(name: "Arkady Semyonovich VELTRANOV", kind: "primary", strength: .strong),
                            EntryName(name: "Arkadi VELTRANOV", kind: "aka", strength: .strong),
                            EntryName(name: "ARKASHA", kind: "weak_aka", strength: .weak),
                            EntryName(name: "Аркадий ВЕЛТРАНОВ", kind: "original_script", strength: .strong)])
        #expect(p.countries == ["RU", "BY"])  // the address's, then "(1) Russia (2) Belarus"
        #expect(p.identifiers == [EntryIdentifier(type: "OFSI Group ID", value: "99001"), EntryIdentifier(type: "Passport", value: "7512345678"),
                                  EntryIdentifier(type: "National Identifier", value: "4509112233")])
        #expect(p.programs == ["Russia"] && p.type == .person)
        let e = r.entries[1]
        #expect(e.names.map(\.name) == ["NORDWIND TRADING LIMITED", "NORDWIND TRADING LTD"] && e.bics == ["NWTLCY2L"] && e.countries == ["CY"])
        #expect(r.entries[2].identifiers == [EntryIdentifier(type: "OFSI Group ID", value: "99004")])
    }

    @Test("multi-valued fields: `a|b` and `(1) a (2) b`")
    func split() {
        #expect(UKCSVParser.split("Russia|Ukraine") == ["Russia", "Ukraine"])
        #expect(UKCSVParser.split("(1) 7512345678 (2) 7512345679 (3) ") == ["7512345678", "7512345679"])
        #expect(UKCSVParser.split("Moscow (Russia)") == ["Moscow (Russia)"])
        #expect(UKCSVParser.split("") == [])
        #expect(UKCSVParser.listReference("(UK Sanctions List Ref):RUS0251. (Gender):Male") == "RUS0251")
    }

    @Test("structurally broken CSVs are refused naming the file and line")
    func refusals() throws {
        let noName6 = try #require(expectRefused(.uk, [file("UK_Sanctions_List.csv", "Report Date: 02-Mar-2026\nUnique ID,Name\nRUS1,X\n")]))
        #expect(noName6.message.contains("no header row with a Name 6 column"))

        let missing = try #require(expectRefused(.uk, [Fixtures.edited("UK_Sanctions_List.csv", replacing: ",Name type,", with: ",Name kind,")]))
        #expect(missing.line == 2 && missing.message.contains("lacks the column(s) 'name type'") && missing.message.contains("FCDO"), "\(missing)")
        let missingConList = try #require(expectRefused(.uk, [Fixtures.edited("ConList.csv", replacing: ",Group Type,", with: ",Group,")]))
        #expect(missingConList.line == 2 && missingConList.message.contains("'group type'") && missingConList.message.contains("ConList"))

        let short = try #require(expectRefused(.uk, [Fixtures.edited("UK_Sanctions_List.csv", replacing: "\r\n02/03/2026,RUS9003,", with: "\r\nRUS9003,")]))
        #expect(short.line == 8 && short.message.contains("57 fields where the header has 58"), "\(short)")

        let cut = try Fixtures.edited("ConList.csv", replacing: "NO GROUP", with: "\"NO GROUP")
        let truncated = try #require(expectRefused(.uk, [cut]))
        #expect(truncated.line == 9 && truncated.message.contains("truncated"), "\(truncated)")
    }

    @Test("routing: the extension decides, else whether the file starts with markup")
    func routing() throws {
        let csv = try Fixtures.file("UK_Sanctions_List.csv", savedAs: "uk-list-download")
        #expect(try ListParser.parse(source: .uk, contents: [csv]).entries.count == 3)
        let xml = try Fixtures.file("UK_Sanctions_List.xml", savedAs: "uk-list-download")
        #expect(try ListParser.parse(source: .uk, contents: [xml]).entries.count == 3)
        // Both editions at once: one designation read twice is kept once, with a warning.
        let both = try ListParser.parse(source: .uk, contents: [Fixtures.file("UK_Sanctions_List.xml"), Fixtures.file("UK_Sanctions_List.csv")])
        #expect(both.entries.count == 3 && both.warnings.contains { $0.contains("3 entries repeated a source id") })
    }
}
