import Messages
import Testing

/// Party and agent blocks that the ISO 20022 schema would reject are refused (held as `unparseable`), not
/// screened on whatever happened to be readable.
@Suite("ISO 20022 parser: party and agent blocks must follow the schema")
struct PartyStructureTests {
    /// A pacs.008 with the given creditor block and creditor agent block.
    static func pacs008(creditor: String = "<Cdtr><Nm>DUPONT SARL</Nm></Cdtr>",
                        agent: String = "<CdtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></CdtrAgt>") -> String {
        """
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>
        <GrpHdr><MsgId>M1</MsgId><NbOfTxs>1</NbOfTxs></GrpHdr>
        <CdtTrfTxInf><PmtId><EndToEndId>E1</EndToEndId></PmtId>
        <IntrBkSttlmAmt Ccy="EUR">100.00</IntrBkSttlmAmt>
        <Dbtr><Nm>MUELLER GMBH</Nm><PstlAdr><Ctry>DE</Ctry></PstlAdr></Dbtr>
        <DbtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></DbtrAgt>
        \(agent)
        \(creditor)
        </CdtTrfTxInf></FIToFICstmrCdtTrf></Document>
        """
    }

    static func refused(_ message: String, naming: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = parseError("pacs.008", message) else {
            Issue.record("accepted", sourceLocation: sourceLocation)
            return
        }
        #expect(e.code == .invalidField, sourceLocation: sourceLocation)
        #expect(e.description.contains(naming), "\(e.description)", sourceLocation: sourceLocation)
    }

    @Test("the well-formed fixture parses")
    func baseline() {
        #expect(parseError("pacs.008", Self.pacs008()) == nil)
    }

    @Test("a BIC as bare text in FinInstnId is refused")
    func bareBIC() {
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId>SABRRUMM</FinInstnId></CdtrAgt>"), naming: "CdtrAgt/FinInstnId holds text")
    }

    @Test("a name as bare text in Cdtr is refused")
    func bareName() {
        Self.refused(Self.pacs008(creditor: "<Cdtr>IVAN PETROV</Cdtr>"), naming: "Cdtr holds text")
        Self.refused(Self.pacs008(creditor: "<Cdtr>IVAN PETROV<Nm>DUPONT SARL</Nm></Cdtr>"), naming: "Cdtr holds text")
    }

    @Test("an element the schema does not allow in a party or agent block is refused")
    func unknownElement() {
        Self.refused(Self.pacs008(creditor: "<Cdtr><Name>IVAN PETROV</Name></Cdtr>"), naming: "Cdtr/Name")
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm>DUPONT SARL</Nm><Alias>IVAN PETROV</Alias></Cdtr>"), naming: "Cdtr/Alias")
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm><b>IVAN</b> PETROV</Nm></Cdtr>"), naming: "Cdtr/Nm/b")
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI><Name>X</Name></FinInstnId></CdtrAgt>"),
                     naming: "CdtrAgt/FinInstnId/Name")
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm>DUPONT SARL</Nm><PstlAdr><Street>1 RUE</Street></PstlAdr></Cdtr>"),
                     naming: "Cdtr/PstlAdr/Street")
        // An agent without FinInstnId names no institution the policy can check.
        Self.refused(Self.pacs008(agent: "<CdtrAgt><BICFI>SABRRUMM</BICFI></CdtrAgt>"), naming: "CdtrAgt/BICFI")
    }

    @Test("a name carried in an attribute is refused")
    func nameInAttribute() {
        Self.refused(Self.pacs008(creditor: "<Cdtr Nm=\"IVAN PETROV\"><Nm>DUPONT SARL</Nm></Cdtr>"), naming: "Cdtr has an attribute Nm")
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm value=\"IVAN PETROV\">DUPONT SARL</Nm></Cdtr>"), naming: "Cdtr/Nm has an attribute value")
    }

    @Test("a party or agent block that names nobody is refused")
    func noIdentifier() {
        Self.refused(Self.pacs008(creditor: "<Cdtr></Cdtr>"), naming: "Cdtr names nobody")
        Self.refused(Self.pacs008(creditor: "<Cdtr><PstlAdr><Ctry>FR</Ctry></PstlAdr></Cdtr>"), naming: "Cdtr names nobody")
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId></FinInstnId></CdtrAgt>"), naming: "CdtrAgt names no institution")
        // An identifier alone is enough.
        #expect(parseError("pacs.008", Self.pacs008(creditor: "<Cdtr><Id><OrgId><LEI>529900T8BM49AURSDO55</LEI></OrgId></Id></Cdtr>")) == nil)
    }

    @Test("older and newer versions' shapes are accepted: AdrTp and scheme names as codes or choices")
    func versionShapes() {
        let old = "<Cdtr><Nm>DUPONT SARL</Nm><PstlAdr><AdrTp>ADDR</AdrTp><AdrLine>1 RUE X</AdrLine></PstlAdr>"
            + "<Id><OrgId><BICOrBEI>BNPAFRPP</BICOrBEI><Othr><Id>123</Id><SchmeNm><Cd>TXID</Cd></SchmeNm></Othr></OrgId></Id></Cdtr>"
        #expect(parseError("pacs.008", Self.pacs008(creditor: old)) == nil)
        let new = "<Cdtr><Nm>DUPONT SARL</Nm><PstlAdr><AdrTp><Prtry><Id>HQ</Id></Prtry></AdrTp><CareOf>X</CareOf><UnitNb>4</UnitNb></PstlAdr>"
            + "<CtctDtls><NmPrfx>MADM</NmPrfx><Nm>ANNE DUPONT</Nm><EmailAdr>a@dupont.example</EmailAdr><Othr><ChanlTp>TELX</ChanlTp><Id>1</Id></Othr></CtctDtls></Cdtr>"
        #expect(parseError("pacs.008", Self.pacs008(creditor: new)) == nil)
    }

    @Test("contact details and identifier issuers are screened as the party's contact")
    func contactIsScreened() throws {
        let creditor = "<Cdtr><Nm>DUPONT SARL</Nm><Id><PrvtId><Othr><Id>77</Id><Issr>ZORBEX REGISTRY</Issr></Othr></PrvtId></Id>"
            + "<CtctDtls><Nm>IVAN PETROV</Nm><JobTitl>DIRECTOR</JobTitl><PhneNb>+7-495-0000000</PhneNb></CtctDtls></Cdtr>"
        let p = try MessageParser.parse(format: "pacs.008", message: Self.pacs008(creditor: creditor))
        #expect(p.party("creditor")?.nameLines == ["DUPONT SARL"])
        #expect(p.party("creditor_contact")?.nameLines == ["ZORBEX REGISTRY", "IVAN PETROV", "DIRECTOR"])
        #expect(p.party("creditor_contact")?.sourceField == "Cdtr/CtctDtls")
    }
}
