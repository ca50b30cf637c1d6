import Testing
@testable import Watchlists

enum UNFixture {
    static let xml = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <CONSOLIDATED_LIST xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" dateGenerated="2026-02-27T00:00:09.554Z">
      <INDIVIDUALS>
        <INDIVIDUAL>
          <DATAID>6908555</DATAID>
          <FIRST_NAME>RI</FIRST_NAME>
          <SECOND_NAME>WON</SECOND_NAME>
          <THIRD_NAME>HO</THIRD_NAME>
          <UN_LIST_TYPE>DPRK</UN_LIST_TYPE>
          <REFERENCE_NUMBER>KPi.066</REFERENCE_NUMBER>
          <NAME_ORIGINAL_SCRIPT>리원호</NAME_ORIGINAL_SCRIPT>
          <COMMENTS1>Official of the Ministry of State Security &amp; representative.</COMMENTS1>
          <NATIONALITY><VALUE>Democratic People's Republic of Korea</VALUE></NATIONALITY>
          <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>LI WON HO</ALIAS_NAME></INDIVIDUAL_ALIAS>
          <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>WONHO</ALIAS_NAME></INDIVIDUAL_ALIAS>
          <INDIVIDUAL_ALIAS><QUALITY/><ALIAS_NAME/></INDIVIDUAL_ALIAS>
          <INDIVIDUAL_ADDRESS><CITY>Damascus</CITY><COUNTRY>Syrian Arab Republic</COUNTRY></INDIVIDUAL_ADDRESS>
          <INDIVIDUAL_DOCUMENT><TYPE_OF_DOCUMENT>Passport</TYPE_OF_DOCUMENT><NUMBER>381310014</NUMBER><ISSUING_COUNTRY>Democratic People's Republic of Korea</ISSUING_COUNTRY></INDIVIDUAL_DOCUMENT>
        </INDIVIDUAL>
      </INDIVIDUALS>
      <ENTITIES>
        <ENTITY>
          <DATAID>110426</DATAID>
          <FIRST_NAME>KOREA DAESONG BANK</FIRST_NAME>
          <UN_LIST_TYPE>DPRK</UN_LIST_TYPE>
          <REFERENCE_NUMBER>KPe.035</REFERENCE_NUMBER>
          <COMMENTS1><![CDATA[SWIFT/BIC: KDBKKPPY. Owned by Office 39 <of the Korea Workers' Party>.]]></COMMENTS1>
          <ENTITY_ALIAS><QUALITY>a.k.a.</QUALITY><ALIAS_NAME>Choson Taesong Unhaeng</ALIAS_NAME></ENTITY_ALIAS>
          <ENTITY_ALIAS><QUALITY>f.k.a.</QUALITY><ALIAS_NAME>Taesong Bank</ALIAS_NAME></ENTITY_ALIAS>
          <ENTITY_ADDRESS><STREET>Segori-dong</STREET><CITY>Pyongyang</CITY><COUNTRY>Democratic People's Republic of Korea</COUNTRY></ENTITY_ADDRESS>
        </ENTITY>
        <ENTITY>
          <DATAID>110427</DATAID>
          <FIRST_NAME>DAEDONG CREDIT BANK</FIRST_NAME>
          <COMMENTS1>SWIFT: DCBKKPPY. Daedong Credit Bank has provided services.</COMMENTS1>
        </ENTITY>
      </ENTITIES>
    </CONSOLIDATED_LIST>
    """
}

@Suite("UN consolidated list")
struct UNTests {
    @Test func fixture() throws {
        let r = try ListParser.parse(source: .un, contents: [file("un.xml", UNFixture.xml)])
        #expect(r.entries.count == 3)
        let ri = r.entries[0]
        #expect(ri.type == .person && ri.sourceId == "6908555")
        #expect(ri.names == [
            EntryName(name: "RI WON HO", kind: "primary", strength: .strong),
            EntryName(name: "리원호", kind: "original_script", strength: .strong),
            EntryName(name: "LI WON HO", kind: "aka", strength: .strong),
            EntryName(name: "WONHO", kind: "weak_aka", strength: .weak),
        ])
        #expect(ri.countries == ["KP", "SY"])
        #expect(ri.programs == ["DPRK"])
        #expect(ri.remarks == "Official of the Ministry of State Security & representative.")
        #expect(ri.identifiers.contains(EntryIdentifier(type: "Passport", value: "381310014", country: "KP")))
        #expect(ri.identifiers.contains(EntryIdentifier(type: "UN Reference Number", value: "KPi.066")))
        let bank = r.entries[1]
        #expect(bank.type == .entity)
        #expect(bank.bics == ["KDBKKPPY"])
        #expect(bank.names.map(\.kind) == ["primary", "aka", "fka"])
        #expect(bank.addresses == ["Segori-dong, Pyongyang, Democratic People's Republic of Korea"])
        #expect(r.entries[2].bics == ["DCBKKPPY"])
    }

    @Test func wrongRoot() throws {
        let e = try #require(expectRefused(.un, [file("un.xml", "<?xml version=\"1.0\"?>\n<export/>")]))
        #expect(e.line == 2 && e.message.contains("CONSOLIDATED_LIST"))
    }
}

@Suite("UN consolidated list, real file")
struct UNRealFileTests {
    @Test(.enabled(if: SharedData.exists("un/UN_consolidated_2026-02.xml"), SharedData.missing("un/UN_consolidated_2026-02.xml")))
    func full() throws {
        let r = try SharedData.parse(.un, "un/UN_consolidated_2026-02.xml")
        #expect(r.entries.filter { $0.type == .person }.count == 730)
        #expect(r.entries.filter { $0.type == .entity }.count == 273)
        let bics = Set(r.entries.flatMap(\.bics))
        #expect(bics == ["DCBKKPPY", "KUDBKPPY", "ILSIKPPY", "KDBKKPPY", "FTBDKPPY"])
        #expect(r.entries.flatMap(\.names).filter { $0.strength == .weak }.count >= 615)
        let cagl = try #require(r.entries.first { $0.primaryName == "COMPAGNIE AERIENNE DES GRANDS LACS (CAGL)" })
        #expect(cagl.names[1].name == "GREAT LAKES BUSINESS COMPANY (GLBC)")
        #expect(r.entries.flatMap(\.names).contains { $0.name == "Azim Agha-Jani" })
        #expect(!r.entries.flatMap(\.names).contains { $0.name.contains(";") })
        #expect(r.entries.flatMap(\.names).filter { $0.kind == "original_script" }.count > 300)
        #expect(r.entries.filter { $0.countries.contains("KP") }.count > 100)
        #expect(Set(r.entries.map(\.sourceId)).count == 1_003)
    }
}
