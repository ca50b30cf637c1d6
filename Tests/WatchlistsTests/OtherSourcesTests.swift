import Testing
@testable import Watchlists

/// Fixtures written from the published layouts (no real file of these formats is at hand).
enum OtherFixtures {
    /// OFAC sdn.xml (schema https://www.treasury.gov/ofac/downloads/sdn.xsd).
    static let sdnXML = """
    <?xml version="1.0" standalone="yes"?>
    <sdnList xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/XML">
      <publshInformation><Publish_Date>05/03/2024</Publish_Date><Record_Count>2</Record_Count></publshInformation>
      <sdnEntry>
        <uid>17018</uid>
        <lastName>PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA</lastName>
        <sdnType>Entity</sdnType>
        <programList><program>UKRAINE-EO13662</program><program>RUSSIA-EO14024</program></programList>
        <idList>
          <id><uid>1</uid><idType>SWIFT/BIC</idType><idNumber>SABRRUMM</idNumber></id>
          <id><uid>2</uid><idType>Tax ID No.</idType><idNumber>7707083893</idNumber><idCountry>Russia</idCountry></id>
        </idList>
        <akaList>
          <aka><uid>3</uid><type>a.k.a.</type><category>strong</category><lastName>SBERBANK</lastName></aka>
          <aka><uid>4</uid><type>a.k.a.</type><category>weak</category><lastName>SBERBANK INDIA</lastName></aka>
        </akaList>
        <addressList><address><uid>5</uid><address1>19 Vavilova St.</address1><city>Moscow</city><postalCode>117997</postalCode><country>Russia</country></address></addressList>
      </sdnEntry>
      <sdnEntry>
        <uid>10278</uid>
        <firstName>Elvis Angus</firstName>
        <lastName>LOGAN MOREY</lastName>
        <sdnType>Individual</sdnType>
        <programList><program>SDNT</program></programList>
        <akaList><aka><uid>6</uid><type>f.k.a.</type><category>strong</category><lastName>LOGAN</lastName><firstName>Elvis</firstName></aka></akaList>
        <nationalityList><nationality><uid>7</uid><country>Belize</country><mainEntry>true</mainEntry></nationality></nationalityList>
      </sdnEntry>
    </sdnList>
    """

    /// EU Financial Sanctions Files, export format 1.1.
    static let euXML = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-02-20T10:00:00.000+01:00" globalFileId="123">
      <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.9876.54" logicalId="139102">
        <regulation regulationType="amendment" organisationType="council" publicationDate="2022-02-28" entryIntoForceDate="2022-02-28" numberTitle="2022/334 (OJ L57)" programme="UKR" logicalId="1">
          <publicationUrl>https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=OJ:L:2022:057:FULL</publicationUrl>
        </regulation>
        <subjectType code="enterprise" classificationCode="E"/>
        <nameAlias firstName="" middleName="" lastName="" wholeName="Joint Stock Company Alfa-Bank" function="" gender="" title="" nameLanguage="EN" strong="true" regulationLanguage="en" logicalId="2"/>
        <nameAlias wholeName="АО «Альфа-Банк»" nameLanguage="RU" strong="true" logicalId="3"/>
        <nameAlias wholeName="ALFA" strong="false" logicalId="4"/>
        <identification diplomatic="false" knownExpired="false" knownFalse="false" reportedLost="false" revokedByIssuer="false" identificationTypeCode="swiftbic" identificationTypeDescription="SWIFT BIC" number="ALFARUMM" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" logicalId="5"/>
        <identification identificationTypeCode="regnumber" identificationTypeDescription="Registration Number" number="1027700067328" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" logicalId="6"/>
        <address city="Moscow" street="27 Kalanchevskaya Street" poBox="" zipCode="107078" region="" place="" asAtListingTime="false" countryIso2Code="RU" countryDescription="RUSSIAN FEDERATION" logicalId="7"/>
        <remark>Alt. SWIFT/BIC ALFAKZKA.</remark>
      </sanctionEntity>
      <sanctionEntity euReferenceNumber="EU.1.1" logicalId="13" unitedNationId="IQi.001">
        <regulation programme="IRQ"/>
        <subjectType code="person" classificationCode="P"/>
        <nameAlias firstName="Saddam" middleName="" lastName="Hussein Al-Tikriti" wholeName="" strong="true" logicalId="17"/>
        <citizenship region="" countryIso2Code="IQ" countryDescription="IRAQ" logicalId="18"/>
      </sanctionEntity>
    </export>
    """

    /// UK Sanctions List (FCDO) XML.
    static let ukXML = """
    <?xml version="1.0" encoding="utf-8"?>
    <Designations>
      <DateGenerated>20/02/2026</DateGenerated>
      <Designation>
        <LastUpdated>01/03/2022</LastUpdated>
        <DateDesignated>24/02/2022</DateDesignated>
        <UniqueID>RUS0251</UniqueID>
        <OFSIGroupID>14196</OFSIGroupID>
        <Names>
          <Name><Name1>Vladimir</Name1><Name2>Vladimirovich</Name2><Name6>PUTIN</Name6><NameType>Primary Name</NameType></Name>
          <Name><Name6>PUTIN Vladimir Vladimirovich</Name6><NameType>Alias</NameType><AliasStrength>Good quality</AliasStrength></Name>
          <Name><Name6>VVP</Name6><NameType>Alias</NameType><AliasStrength>Low quality</AliasStrength></Name>
        </Names>
        <NonLatinNames><NonLatinName><NameNonLatinScript>Владимир Владимирович ПУТИН</NameNonLatinScript><NonLatinScriptLanguage>Russian</NonLatinScriptLanguage></NonLatinName></NonLatinNames>
        <RegimeName>The Russia (Sanctions) (EU Exit) Regulations 2019</RegimeName>
        <IndividualEntityShip>Individual</IndividualEntityShip>
        <DesignationSource>UK</DesignationSource>
        <SanctionsImposed>Asset freeze|Travel Ban</SanctionsImposed>
        <IndividualDetails><Individual><Nationalities><Nationality>Russia</Nationality></Nationalities></Individual></IndividualDetails>
      </Designation>
      <Designation>
        <UniqueID>RUS0269</UniqueID>
        <Names>
          <Name><Name6>PJSC VTB BANK</Name6><NameType>Primary Name</NameType></Name>
          <Name><Name6>VTB BANK PAO</Name6><NameType>Primary Name Variation</NameType></Name>
        </Names>
        <RegimeName>The Russia (Sanctions) (EU Exit) Regulations 2019</RegimeName>
        <IndividualEntityShip>Entity</IndividualEntityShip>
        <OtherInformation>(UK Sanctions List Ref):RUS0269. SWIFT/BIC VTBRRUMM. Business Reg No: 1027739609391</OtherInformation>
        <Addresses><Address><AddressLine1>29 Bolshaya Morskaya Street</AddressLine1><AddressLine6>St Petersburg</AddressLine6><AddressPostalCode>190000</AddressPostalCode><AddressCountry>Russia</AddressCountry></Address></Addresses>
      </Designation>
      <Designation>
        <UniqueID>RUS1700</UniqueID>
        <Names><Name><Name6>SIG</Name6><NameType>Primary Name</NameType></Name></Names>
        <IndividualEntityShip>Ship</IndividualEntityShip>
        <ShipDetails><Ship><IMONumbers><IMONumber>9301407</IMONumber></IMONumbers></Ship></ShipDetails>
      </Designation>
    </Designations>
    """

    /// FollowTheMoney entities, one JSON object a line (OpenSanctions `entities.ftm.json`).
    static let ftm = """
    {"id": "NK-abc", "schema": "Company", "caption": "Gazprombank", "properties": {"name": ["Gazprombank JSC", "Gazprombank"], "alias": ["Газпромбанк"], "weakAlias": ["GPB"], "previousName": ["Gazprombank OJSC"], "swiftBic": ["GAZPRUMM", "not a bic"], "country": ["ru"], "jurisdiction": ["ru"], "program": ["EU-RUS"], "innCode": ["7744001497"], "address": ["Nametkina 16, Moscow"], "notes": ["Alt. SWIFT/BIC GAZPRUM2"], "topics": ["fin.bank", "sanction"]}, "datasets": ["eu_fsf", "us_ofac_cons"], "target": true}

    {"id": "addr-1", "schema": "Address", "properties": {"full": ["Nametkina 16"]}}
    {"id": "Q7747", "schema": "Person", "properties": {"name": ["Vladimir Putin"], "nationality": ["ru"], "addressEntity": [{"id": "addr-2", "schema": "Address", "caption": "Kremlin, Moscow", "properties": {"full": ["Kremlin, Moscow"]}}]}, "datasets": ["gb_fcdo_sanctions"]}
    {"id": "v-1", "schema": "Vessel", "properties": {"name": ["SIG"], "imoNumber": ["IMO9301407"], "flag": ["ga"]}}
    """
}

@Suite("OFAC sdn.xml")
struct OFACXMLTests {
    @Test func fixture() throws {
        let r = try ListParser.parse(source: .ofacSDN, contents: [file("sdn.xml", OtherFixtures.sdnXML)])
        #expect(r.entries.count == 2)
        let s = r.entries[0]
        #expect(s.sourceId == "17018" && s.type == .entity && s.bics == ["SABRRUMM"])
        #expect(s.programs == ["UKRAINE-EO13662", "RUSSIA-EO14024"])
        #expect(s.names == [EntryName(name: "PUBLIC JOINT STOCK COMPANY SBERBANK OF RUSSIA", kind: "primary", strength: .strong),
                            EntryName(name: "SBERBANK", kind: "aka", strength: .strong),
                            EntryName(name: "SBERBANK INDIA", kind: "weak_aka", strength: .weak)])
        #expect(s.identifiers == [EntryIdentifier(type: "Tax ID No.", value: "7707083893", country: "RU")])
        #expect(s.addresses == ["19 Vavilova St., Moscow, 117997, Russia"] && s.countries == ["RU"])
        let p = r.entries[1]
        #expect(p.type == .person && p.primaryName == "LOGAN MOREY, Elvis Angus")  // the CSV's form
        #expect(p.names[1] == EntryName(name: "LOGAN, Elvis", kind: "fka", strength: .strong))
        #expect(p.countries == ["BZ"])
    }

    @Test func xmlWithCSVIsRefusedAndEntityBombToo() throws {
        #expect(try #require(expectRefused(.ofacSDN, [file("sdn.xml", OtherFixtures.sdnXML), file("alt.csv", "")])).file == "sdn.xml")
        let bomb = "<?xml version=\"1.0\"?>\n<!DOCTYPE sdnList [<!ENTITY a \"aaaa\">]>\n<sdnList>&a;</sdnList>"
        let e = try #require(expectRefused(.ofacSDN, [file("sdn.xml", bomb)]))
        #expect(e.line == 2 && e.message.contains("DOCTYPE"))
    }
}

@Suite("EU Financial Sanctions Files")
struct EUTests {
    @Test func fixture() throws {
        let r = try ListParser.parse(source: .eu, contents: [file("eu.xml", OtherFixtures.euXML)])
        #expect(r.entries.count == 2)
        let alfa = r.entries[0]
        #expect(alfa.sourceId == "139102" && alfa.type == .entity)
        #expect(alfa.names == [EntryName(name: "Joint Stock Company Alfa-Bank", kind: "primary", strength: .strong),
                               EntryName(name: "АО «Альфа-Банк»", kind: "aka", strength: .strong),
                               EntryName(name: "ALFA", kind: "weak_aka", strength: .weak)])
        #expect(alfa.bics == ["ALFARUMM", "ALFAKZKA"])
        #expect(alfa.countries == ["RU"] && alfa.programs == ["UKR"])
        #expect(alfa.identifiers.contains(EntryIdentifier(type: "Registration Number", value: "1027700067328", country: "RU")))
        #expect(alfa.identifiers.contains(EntryIdentifier(type: "EU Reference Number", value: "EU.9876.54")))
        #expect(alfa.addresses == ["27 Kalanchevskaya Street, 107078, Moscow, RUSSIAN FEDERATION"])
        let saddam = r.entries[1]
        #expect(saddam.type == .person && saddam.primaryName == "Saddam Hussein Al-Tikriti" && saddam.countries == ["IQ"])
    }

    @Test func truncatedFileIsRefused() throws {
        let cut = String(OtherFixtures.euXML.prefix(900))
        let e = try #require(expectRefused(.eu, [file("eu.xml", cut)]))
        #expect(e.file == "eu.xml" && e.message.contains("truncated"))
    }
}

@Suite("UK Sanctions List")
struct UKTests {
    @Test func fixture() throws {
        let r = try ListParser.parse(source: .uk, contents: [file("UK_Sanctions_List.xml", OtherFixtures.ukXML)])
        #expect(r.entries.map(\.type) == [.person, .entity, .vessel])
        let putin = r.entries[0]
        #expect(putin.sourceId == "RUS0251")
        #expect(putin.names == [EntryName(name: "Vladimir Vladimirovich PUTIN", kind: "primary", strength: .strong),
                                EntryName(name: "PUTIN Vladimir Vladimirovich", kind: "aka", strength: .strong),
                                EntryName(name: "VVP", kind: "weak_aka", strength: .weak),
                                EntryName(name: "Владимир Владимирович ПУТИН", kind: "original_script", strength: .strong)])
        #expect(putin.countries == ["RU"])
        #expect(putin.programs == ["The Russia (Sanctions) (EU Exit) Regulations 2019"])
        #expect(putin.identifiers == [EntryIdentifier(type: "OFSI Group ID", value: "14196")])
        let vtb = r.entries[1]
        #expect(vtb.bics == ["VTBRRUMM"])
        #expect(vtb.names.map(\.kind) == ["primary", "primary_variation"])
        #expect(vtb.addresses == ["29 Bolshaya Morskaya Street, St Petersburg, 190000, Russia"] && vtb.countries == ["RU"])
        #expect(r.entries[2].identifiers == [EntryIdentifier(type: "IMO", value: "9301407")])
    }
}

@Suite("OpenSanctions")
struct OpenSanctionsTests {
    @Test func ftmJSONLines() throws {
        let r = try ListParser.parse(source: .openSanctions, contents: [file("entities.ftm.json", OtherFixtures.ftm)])
        #expect(r.entries.map(\.sourceId) == ["NK-abc", "Q7747", "v-1"])
        #expect(r.warnings == ["entities.ftm.json: 1 non-subject entities skipped (Address 1)"])
        let g = r.entries[0]
        #expect(g.type == .entity)
        // The caption is the primary name; every `name` is an a.k.a.
        #expect(g.names == [EntryName(name: "Gazprombank", kind: "primary", strength: .strong),
                            EntryName(name: "Gazprombank JSC", kind: "aka", strength: .strong),
                            EntryName(name: "Газпромбанк", kind: "aka", strength: .strong),
                            EntryName(name: "Gazprombank OJSC", kind: "fka", strength: .strong),
                            EntryName(name: "GPB", kind: "weak_aka", strength: .weak)])
        #expect(g.bics == ["GAZPRUMM", "GAZPRUM2"])
        #expect(g.countries == ["RU"] && g.programs == ["EU-RUS"])
        #expect(g.identifiers == [EntryIdentifier(type: "innCode", value: "7744001497")])
        #expect(g.subList == "eu_fsf, us_ofac_cons")
        #expect(r.entries[1].addresses == ["Kremlin, Moscow"] && r.entries[1].type == .person)
        #expect(r.entries[2].type == .vessel)
    }

    @Test func badLinesAreRefusedWithTheirLine() throws {
        let e = try #require(expectRefused(.openSanctions, [file("x.json", "{\"id\":\"a\",\"schema\":\"Person\",\"properties\":{\"name\":[\"A\"]}}\n{\"id\": \"b\", \"schema\": \"Pers")]))
        #expect(e.line == 2 && e.message.contains("truncated"))
        #expect(try #require(expectRefused(.openSanctions, [file("x.json", "[1,2]")])).message.contains("one JSON object"))
        #expect(try #require(expectRefused(.openSanctions, [file("x.json", "{\"a\":1}")])).message.contains("FollowTheMoney"))
    }

    @Test(.enabled(if: SharedData.exists("eu/opensanctions_oj/32014R0269.csv", "eu/opensanctions_oj/32014R0833.csv"),
                   SharedData.missing("eu/opensanctions_oj/32014R0269.csv")))
    func officialJournalCSVs() throws {
        let r = try SharedData.parse(.openSanctions, "eu/opensanctions_oj/32014R0269.csv", "eu/opensanctions_oj/32014R0833.csv")
        #expect(r.entries.count == 2_802 + 1_746)
        #expect(r.warnings.isEmpty)
        #expect(r.entries.filter { $0.type == .person }.count == 1_984)
        #expect(r.entries.filter { $0.type == .vessel }.count == 633)
        #expect(r.entries.filter { $0.type == .other }.count == 28)
        let otkritie = try #require(r.entries.first { $0.bics.contains("JSNMRUMM") })
        #expect(otkritie.sourceId.hasPrefix("32014R0269-"))
        #expect(r.entries.filter { $0.countries.contains("RU") }.count > 1_000)
        #expect(r.entries.first?.names.count ?? 0 >= 3)
    }
}
