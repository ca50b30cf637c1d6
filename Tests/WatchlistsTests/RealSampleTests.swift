import Testing
@testable import Watchlists

/// The real OpenSanctions exports in `../shared/data/realsamples/` (never copied here).
@Suite("OpenSanctions, real exports")
struct OpenSanctionsRealTests {
    static let dir = "realsamples/"

    @Test("FtM target flag: relatives and associates (target false) are not imported as listed parties",
          .enabled(if: SharedData.exists(dir + "table681_sa_wiki_peps_entities.ftm.json"), SharedData.missing(dir + "table681_sa_wiki_peps_entities.ftm.json")))
    func targetFlag() throws {
        let r = try SharedData.parse(.openSanctions, Self.dir + "table681_sa_wiki_peps_entities.ftm.json")
        #expect(r.entries.count == 423)
        #expect(r.warnings.contains { $0.contains("192 entities that are not targets") }, "\(r.warnings)")
        #expect(!r.entries.contains { $0.sourceId == "Q100158039" })  // "Yusuf", a sibling: target false
        #expect(r.entries.allSatisfy { $0.type == .person })
    }

    @Test("caption is the primary name; addressEntity ids resolve to the Address entity's text; identifiers kept",
          .enabled(if: SharedData.exists(dir + "yente_t1_entities.ftm.json"), SharedData.missing(dir + "yente_t1_entities.ftm.json")))
    func captionsAndAddresses() throws {
        let r = try SharedData.parse(.openSanctions, Self.dir + "yente_t1_entities.ftm.json")
        #expect(r.entries.count == 6)
        let tobacco = try #require(r.entries.first { $0.sourceId == "NK-2GdmHtZTeNXjNVrBGEXZNj" })
        #expect(tobacco.primaryName == "RAB „Inter Tobacco“")
        #expect(tobacco.names.contains { $0.name == "LLC “Inter Tobacco”" && $0.kind == "aka" })
        #expect(tobacco.names.filter { $0.kind == "primary" }.count == 1)
        #expect(!tobacco.identifiers.filter { $0.type == "registrationNumber" }.isEmpty)
        // Its addressEntity points at an Address entity that is not in this excerpt: no id is stored as an address.
        #expect(!tobacco.addresses.contains { $0.hasPrefix("addr-") })
        #expect(r.warnings.contains { $0.contains("address references point at no Address entity") }, "\(r.warnings)")
        let kuzmenko = try #require(r.entries.first { $0.sourceId == "NK-2Ka3UvopqbpZmVDFjWd4LA" })
        #expect(kuzmenko.primaryName == "Vitaly Yurievich KUZMENKO")
        #expect(kuzmenko.identifiers.contains { $0.type == "taxNumber" })
    }

    @Test("addressEntity ids resolve to the text of the Address entity in the same file")
    func addressResolution() throws {
        let text = """
            {"id":"a1","schema":"Address","caption":"1 Main St, Minsk","properties":{"full":["1 Main Street, Minsk, Belarus"]},"target":false}
            {"id":"p1","caption":"ORION TRADING","schema":"Company","properties":{"name":["ORION TRADING LLC"],"addressEntity":["a1"]},"target":true}
            """
        let r = try ListParser.parse(source: .openSanctions, contents: [ListFile(name: "entities.ftm.json", text: text)])
        #expect(r.entries.map(\.addresses) == [["1 Main Street, Minsk, Belarus"]])
        #expect(r.entries.first?.names.map(\.name) == ["ORION TRADING", "ORION TRADING LLC"])
    }

    @Test("targets.simple.csv: the plural aliases, countries and identifiers columns, split on ';'",
          .enabled(if: SharedData.exists(dir + "wd_persons_targets.simple.csv"), SharedData.missing(dir + "wd_persons_targets.simple.csv")))
    func simpleCSV() throws {
        let r = try SharedData.parse(.openSanctions, Self.dir + "wd_persons_targets.simple.csv")
        #expect(r.entries.count == 20)
        #expect(r.entries.reduce(0) { $0 + $1.names.count - 1 } == 250)
        let abdullah = try #require(r.entries.first { $0.sourceId == "Q262597" })
        #expect(abdullah.primaryName == "Abdullah")
        #expect(abdullah.names.contains { $0.name == "Abdullah bin Muhammad Al ash-Sheikh" && $0.kind == "aka" })
        #expect(abdullah.countries == ["SA"])
        #expect(abdullah.identifiers.map(\.value) == ["Q262597"])
    }
}

@Suite("UK Sanctions List, real excerpt and bad records")
struct UKRealTests {
    @Test("passports, national identifiers and IMO numbers are read as identifiers",
          .enabled(if: SharedData.exists("realsamples/jaggeman_uk_sample_realonly.xml"), SharedData.missing("realsamples/jaggeman_uk_sample_realonly.xml")))
    func identifiers() throws {
        let r = try SharedData.parse(.uk, "realsamples/jaggeman_uk_sample_realonly.xml")
        let all = r.entries.flatMap(\.identifiers)
        #expect(all.filter { $0.type == "Passport" }.map(\.value).sorted() == ["D0009720", "D0010442"])
        #expect(all.contains { $0.type == "National Identifier" && $0.value == "0075258" })
        #expect(all.contains { $0.type == "IMO" })
        #expect(r.warnings.isEmpty)
    }

    @Test("a Designation without UniqueID or without a name is skipped with a warning naming its line; the rest is imported")
    func badRecordsSkipped() throws {
        let xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <Designations>
              <Designation><UniqueID>RUS0001</UniqueID><IndividualEntityShip>Entity</IndividualEntityShip>
                <Names><Name><Name6>ORION TRADING LLC</Name6><NameType>Primary Name</NameType></Name></Names></Designation>
              <Designation><IndividualEntityShip>Entity</IndividualEntityShip>
                <Names><Name><Name6>NO ID LLC</Name6><NameType>Primary Name</NameType></Name></Names></Designation>
              <Designation><UniqueID>RUS0003</UniqueID><IndividualEntityShip>Entity</IndividualEntityShip></Designation>
            </Designations>
            """
        let r = try ListParser.parse(source: .uk, contents: [ListFile(name: "UK_Sanctions_List.xml", text: xml)])
        #expect(r.entries.map(\.sourceId) == ["RUS0001"])
        #expect(r.warnings.count == 2)
        #expect(r.warnings.first?.contains("line 5") == true && r.warnings.first?.contains("without UniqueID") == true, "\(r.warnings)")
        #expect(r.warnings.last?.contains("RUS0003") == true)
    }
}

@Suite("EU Financial Sanctions File, real excerpt and bad records")
struct EURealTests {
    @Test("the primary name is the entry's own name (strong, regulation language, written with its parts), not the first alias",
          .enabled(if: SharedData.exists("realsamples/jaggeman_eu_sample_realonly.xml"), SharedData.missing("realsamples/jaggeman_eu_sample_realonly.xml")))
    func primaryNames() throws {
        let r = try SharedData.parse(.eu, "realsamples/jaggeman_eu_sample_realonly.xml")
        #expect(r.entries.count == 4)
        let primaries = Dictionary(uniqueKeysWithValues: r.entries.map { ($0.sourceId, $0.primaryName) })
        // Entity 191's first alias is a misspelled French variant ("… Bin Adballah"); its own name is the structured one.
        #expect(primaries["191"] == "Khalid Sheikh MOHAMMED")
        #expect(primaries["13"] == "Saddam Hussein Al-Tikriti")
        #expect(primaries["330"] == "Al-Rasheed Trust")
        let e191 = try #require(r.entries.first { $0.sourceId == "191" })
        #expect(e191.names.contains { $0.name == "Bin Khalid Fahd Bin Adballah" && $0.kind == "aka" })
        #expect(e191.names.filter { $0.kind == "primary" }.count == 1)
        // Country 00 ("UNKNOWN") is no country.
        let passport = r.entries.flatMap(\.identifiers).first { $0.value == "488555" }
        #expect(passport != nil && passport?.country == nil)
        #expect(!r.entries.flatMap(\.countries).contains("00"))
        #expect(r.warnings.isEmpty)
    }

    @Test("a sanctionEntity without a name or logicalId is skipped with a warning; latinNumber is kept as an identifier")
    func badRecordsAndLatinNumbers() throws {
        let xml = """
            <export xmlns="http://eu.europa.ec/fpi/fsd/export">
            <sanctionEntity logicalId="1"><subjectType code="enterprise"/>
              <nameAlias wholeName="ORION TRADING LLC" strong="true" nameLanguage="" regulationLanguage="en"/>
              <identification number="№ 12345" latinNumber="12345" identificationTypeDescription="Registration Number" countryIso2Code="BY"/>
            </sanctionEntity>
            <sanctionEntity logicalId="2"><subjectType code="enterprise"/></sanctionEntity>
            <sanctionEntity><subjectType code="enterprise"/><nameAlias wholeName="NO ID LLC" strong="true"/></sanctionEntity>
            </export>
            """
        let r = try ListParser.parse(source: .eu, contents: [ListFile(name: "eu.xml", text: xml)])
        #expect(r.entries.map(\.sourceId) == ["1"])
        #expect(r.entries.first?.identifiers.map(\.value) == ["№ 12345", "12345"])
        #expect(r.warnings.count == 2)
        #expect(r.warnings.contains { $0.contains("sanctionEntity 2 has no nameAlias") })
        #expect(r.warnings.contains { $0.contains("line 7") && $0.contains("without logicalId") }, "\(r.warnings)")
    }
}

@Suite("OFAC Sanctions List Service XML and legacy consolidated XML, real files")
struct OFACXMLRealTests {
    @Test("the Sanctions List Service export (its own namespace) reads like sdn.xml: names, types, identifiers, countries once",
          .enabled(if: SharedData.exists("realsamples/jaggeman_us_sample_sls.xml"), SharedData.missing("realsamples/jaggeman_us_sample_sls.xml")))
    func sanctionsListService() throws {
        let r = try SharedData.parse(.ofacSDN, "realsamples/jaggeman_us_sample_sls.xml")
        #expect(r.entries.map(\.sourceId) == ["36", "2674", "4238", "9758", "6944"])
        #expect(r.entries.map(\.type) == [.entity, .person, .vessel, .person, .person])
        let ibrahim = try #require(r.entries.first { $0.sourceId == "9758" })
        #expect(ibrahim.primaryName == "IBRAHIM, Dawood")
        #expect(ibrahim.names.contains { $0.name == "EBRAHIM, Dawood" && $0.kind == "aka" })
        #expect(ibrahim.identifiers.contains(EntryIdentifier(type: "Passport", value: "M-110522", country: "IN")))
        // India is both nationality and citizenship: once.
        #expect(ibrahim.countries.filter { $0 == "IN" }.count == 1)
        #expect(Set(ibrahim.countries).isSuperset(of: ["IN", "PK", "AE"]))
        let tug = try #require(r.entries.first { $0.sourceId == "4238" })
        #expect(tug.identifiers.contains { $0.type == "Call Sign" && $0.value == "CL2192" })
    }

    @Test("the legacy consolidated (non-SDN) XML imports as ofac-cons with its 444 entries",
          .enabled(if: SharedData.exists("realsamples/consolidated_nonsdn_2024-02-23.xml"), SharedData.missing("realsamples/consolidated_nonsdn_2024-02-23.xml")))
    func consolidatedXML() throws {
        let path = SharedData.path("realsamples/consolidated_nonsdn_2024-02-23.xml")
        let file = try ListFile.read(path: path)
        let r = try ListParser.parse(source: .ofacCons, contents: [ListFile(name: "consolidated.xml", bytes: file.bytes)])
        #expect(r.source == .ofacCons)
        #expect(r.entries.count == 444)
        #expect(throws: ListFileError.self) {
            try ListParser.parse(source: .ofacSDN, contents: [ListFile(name: "consolidated.xml", bytes: file.bytes)])
        }
    }
}
