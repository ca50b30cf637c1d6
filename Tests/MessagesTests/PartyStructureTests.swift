import Messages
import Testing

/// Party and agent blocks that the ISO 20022 schema would reject are refused (held as `unparseable`), not
/// screened on whatever happened to be readable.
@Suite("ISO 20022 parser: party and agent blocks must follow the schema")
struct PartyStructureTests {
    /// A pacs.008 with the given creditor block and creditor agent block.
    static func pacs008(creditor: String = "<Cdtr><Nm>DUPONT SARL</Nm></Cdtr>",
                        agent: String = "<CdtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></CdtrAgt>",
                        account: String = "") -> String {
        """
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>
        <GrpHdr><MsgId>M1</MsgId><NbOfTxs>1</NbOfTxs></GrpHdr>
        <CdtTrfTxInf><PmtId><EndToEndId>E1</EndToEndId></PmtId>
        <IntrBkSttlmAmt Ccy="EUR">100.00</IntrBkSttlmAmt>
        <Dbtr><Nm>MUELLER GMBH</Nm><PstlAdr><Ctry>DE</Ctry></PstlAdr></Dbtr>
        <DbtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></DbtrAgt>
        \(agent)
        \(creditor)\(account)
        </CdtTrfTxInf></FIToFICstmrCdtTrf></Document>
        """
    }

    /// A bank-to-bank pacs.009 with the given debtor and creditor blocks.
    static func pacs009(debtor: String = "<Dbtr><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></Dbtr>",
                        creditor: String = "<Cdtr><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></Cdtr>") -> String {
        """
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.009.001.08"><FICdtTrf>
        <GrpHdr><MsgId>M1</MsgId><NbOfTxs>1</NbOfTxs></GrpHdr>
        <CdtTrfTxInf><PmtId><EndToEndId>E1</EndToEndId></PmtId>
        <IntrBkSttlmAmt Ccy="EUR">100.00</IntrBkSttlmAmt>
        \(debtor)
        <CdtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></CdtrAgt>
        \(creditor)
        </CdtTrfTxInf></FICdtTrf></Document>
        """
    }

    /// The pacs.008 fixture behind a business application header with the given `Fr`.
    static func withHeader(from: String) -> String {
        """
        <Envelope><AppHdr xmlns="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">\(from)
        <To><FIId><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></FIId></To>
        <BizMsgIdr>B1</BizMsgIdr><MsgDefIdr>pacs.008.001.08</MsgDefIdr></AppHdr>\(pacs008())</Envelope>
        """
    }

    static func refused(_ message: String, naming: String, format: String = "pacs.008", sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = parseError(format, message) else {
            Issue.record("accepted", sourceLocation: sourceLocation)
            return
        }
        #expect(e.code == .invalidField, sourceLocation: sourceLocation)
        #expect(e.description.contains(naming), "\(e.description)", sourceLocation: sourceLocation)
    }

    @Test("the well-formed fixtures parse")
    func baseline() {
        #expect(parseError("pacs.008", Self.pacs008()) == nil)
        #expect(parseError("pacs.009", Self.pacs009()) == nil)
        #expect(parseError("pacs.008", Self.withHeader(from: "<Fr><FIId><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></FIId></Fr>")) == nil)
    }

    @Test("a BIC as bare text in FinInstnId is refused")
    func bareBIC() {
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId>SABRRUMM</FinInstnId></CdtrAgt>"), naming: "CdtrAgt/FinInstnId holds text")
    }

    @Test("a BIC as bare text in the header's Fr is refused")
    func bareBICInHeader() {
        Self.refused(Self.withHeader(from: "<Fr><FIId><FinInstnId>SABRRUMM</FinInstnId></FIId></Fr>"), naming: "AppHdr/Fr/FIId/FinInstnId holds text")
        Self.refused(Self.withHeader(from: "<Fr>SABRRUMM</Fr>"), naming: "AppHdr/Fr holds text")
        Self.refused(Self.withHeader(from: "<Fr><BICFI>SABRRUMM</BICFI></Fr>"), naming: "AppHdr/Fr/BICFI is not an element")
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
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm>DUPONT SARL</Nm><CtctDtls><Name>IVAN PETROV</Name></CtctDtls></Cdtr>"),
                     naming: "Cdtr/CtctDtls/Name")
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId><BrnchId><Name>X</Name></BrnchId></CdtrAgt>"),
                     naming: "CdtrAgt/BrnchId/Name")
        Self.refused(Self.pacs008(account: "<CdtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Owner>IVAN PETROV</Owner></CdtrAcct>"),
                     naming: "CdtrAcct/Owner")
        Self.refused(Self.pacs008(account: "<CdtrAcct>IVAN PETROV</CdtrAcct>"), naming: "CdtrAcct holds text")
    }

    @Test("a block of the wrong kind for its place is refused: customers in pacs.008, institutions in bank-to-bank pacs.009")
    func blockKindByPlace() {
        Self.refused(Self.pacs008(creditor: "<Cdtr><FinInstnId><BICFI>BNPAFRPP</BICFI></FinInstnId></Cdtr>"), naming: "Cdtr/FinInstnId is not an element")
        Self.refused(Self.pacs009(creditor: "<Cdtr><Nm>IVAN PETROV</Nm></Cdtr>"), naming: "Cdtr/Nm is not an element", format: "pacs.009")
        Self.refused(Self.pacs009(debtor: "<Dbtr><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId><Nm>IVAN PETROV</Nm></Dbtr>"),
                     naming: "Dbtr/Nm is not an element", format: "pacs.009")
        Self.refused(Self.pacs009(creditor: "<Cdtr><FinInstnId>BNPAFRPP</FinInstnId></Cdtr>"), naming: "Cdtr/FinInstnId holds text", format: "pacs.009")
    }

    @Test("a BIC, country or code that cannot be one is refused rather than screened as something else")
    func typedValues() {
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId><BICFI>SABR-RUMM</BICFI></FinInstnId></CdtrAgt>"),
                     naming: "CdtrAgt/FinInstnId/BICFI is not a BIC")
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId><BICFI>IVAN PETROV</BICFI></FinInstnId></CdtrAgt>"),
                     naming: "CdtrAgt/FinInstnId/BICFI is not a BIC")
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm>DUPONT SARL</Nm><PstlAdr><Ctry>RUSSIA</Ctry></PstlAdr></Cdtr>"),
                     naming: "Cdtr/PstlAdr/Ctry is not a country code")
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm>DUPONT SARL</Nm><Id><OrgId><Othr><Id>1</Id><SchmeNm><Cd>IVAN PETROV</Cd></SchmeNm></Othr></OrgId></Id></Cdtr>"),
                     naming: "Cdtr/Id/OrgId/Othr/SchmeNm/Cd is longer than an ISO 20022 code")
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm>DUPONT SARL</Nm><PstlAdr><AdrTp>IVAN PETROV</AdrTp></PstlAdr></Cdtr>"),
                     naming: "Cdtr/PstlAdr/AdrTp is longer than an ISO 20022 code")
        // Letters in either case: screening upper-cases BICs and countries.
        #expect(parseError("pacs.008", Self.pacs008(agent: "<CdtrAgt><FinInstnId><BICFI>bnpafrppxxx</BICFI></FinInstnId></CdtrAgt>")) == nil)
    }

    @Test("a name carried in an attribute is refused")
    func nameInAttribute() {
        Self.refused(Self.pacs008(creditor: "<Cdtr Nm=\"IVAN PETROV\"><Nm>DUPONT SARL</Nm></Cdtr>"), naming: "Cdtr has an attribute Nm")
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm value=\"IVAN PETROV\">DUPONT SARL</Nm></Cdtr>"), naming: "Cdtr/Nm has an attribute value")
        Self.refused(Self.pacs008(creditor: "<Cdtr Nm=\"IVAN PETROV\"/>"), naming: "Cdtr has an attribute Nm")
        Self.refused(Self.pacs008(creditor: "<Cdtr><Nm value=\"IVAN PETROV\"/></Cdtr>"), naming: "Cdtr/Nm has an attribute value")
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId BICFI=\"SABRRUMM\"><BICFI>BNPAFRPP</BICFI></FinInstnId></CdtrAgt>"),
                     naming: "CdtrAgt/FinInstnId has an attribute BICFI")
        Self.refused(Self.pacs008(account: "<CdtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Nm holder=\"IVAN PETROV\"/></CdtrAcct>"),
                     naming: "CdtrAcct/Nm has an attribute holder")
        // A namespace declaration is not content.
        #expect(parseError("pacs.008", Self.pacs008(creditor: "<Cdtr xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\"><Nm>DUPONT SARL</Nm></Cdtr>")) == nil)
    }

    @Test("error texts name the element path and never the message's text; a long element name is cut")
    func errorTexts() throws {
        let e = try #require(parseError("pacs.008", Self.pacs008(creditor: "<Cdtr>IVAN PETROV</Cdtr>")))
        #expect(e.description == "invalid_field: Cdtr holds text where the ISO 20022 schema allows only elements")
        let inner = try #require(parseError("pacs.008", Self.pacs008(creditor: "<Cdtr><Nm><b>IVAN</b> PETROV</Nm></Cdtr>")))
        #expect(inner.reason == "Cdtr/Nm/b is not allowed: Nm holds text only")
        // Reasons stay short and ASCII whatever the names (a fuzzed mutant found a 104-byte one).
        let long = String(repeating: "X", count: 5_000)
        let cut = try #require(parseError("pacs.008", Self.pacs008(creditor: "<Cdtr><Nm>DUPONT SARL</Nm><\(long)/></Cdtr>")))
        #expect(cut.reason == "Cdtr/" + String(repeating: "X", count: 35) + " is not an element the ISO 20022 schema allows there")
        let deep = try #require(parseError("pacs.008", Self.pacs008(
            agent: "<CdtrAgt><FinInstnId><PstlAdr><AdrTp><Prtry><Issr><\(long)/></Issr></Prtry></AdrTp></PstlAdr></FinInstnId></CdtrAgt>")))
        #expect(deep.reason.hasPrefix("...") && deep.reason.hasSuffix("XXX is not allowed: Issr holds text only"))
        #expect(deep.reason.utf8.count == 100)
        let unicode = try #require(parseError("pacs.008", Self.pacs008(creditor: "<Cdtr><Nm>DUPONT SARL</Nm><Имя/></Cdtr>")))
        #expect(unicode.reason == "Cdtr/??? is not an element the ISO 20022 schema allows there")
        let attribute = try #require(parseError("pacs.008", Self.pacs008(creditor: "<Cdtr \(long)=\"1\"><Nm>DUPONT SARL</Nm></Cdtr>")))
        #expect(attribute.reason == "Cdtr has an attribute " + String(repeating: "X", count: 20) + ", which the schema does not allow")
        let underlying = try #require(parseError("pacs.009", pacs009Cov.replacingFirst("<Cdtr><Nm>IRKUTSK AVIATION PLANT</Nm>", with: "<Cdtr>IRKUTSK AVIATION PLANT")))
        #expect(underlying.reason == "underlying_Cdtr holds text where the ISO 20022 schema allows only elements")
        #expect(!underlying.reason.contains("IRKUTSK"))
    }

    @Test("a party or agent block that names nobody is refused")
    func noIdentifier() {
        Self.refused(Self.pacs008(creditor: "<Cdtr></Cdtr>"), naming: "Cdtr names nobody")
        Self.refused(Self.pacs008(creditor: "<Cdtr><PstlAdr><Ctry>FR</Ctry></PstlAdr></Cdtr>"), naming: "Cdtr names nobody")
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId></FinInstnId></CdtrAgt>"), naming: "CdtrAgt names no institution")
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId><PstlAdr><Ctry>RU</Ctry></PstlAdr></FinInstnId></CdtrAgt>"),
                     naming: "CdtrAgt names no institution")
        // A branch id names a branch of nobody.
        Self.refused(Self.pacs008(agent: "<CdtrAgt><FinInstnId/><BrnchId><Id>7</Id></BrnchId></CdtrAgt>"), naming: "CdtrAgt names no institution")
        Self.refused(Self.pacs009(debtor: "<Dbtr><FinInstnId/></Dbtr>"), naming: "Dbtr names no institution", format: "pacs.009")
        Self.refused(Self.withHeader(from: "<Fr><FIId><FinInstnId/></FIId></Fr>"), naming: "AppHdr/Fr names nobody")
        Self.refused(Self.withHeader(from: "<Fr/>"), naming: "AppHdr/Fr must hold one FIId or OrgId")
        Self.refused(Self.pacs008(creditor: "<Cdtr><CtctDtls><Nm>ANNE DUPONT</Nm></CtctDtls></Cdtr>"), naming: "Cdtr names nobody")
        // An account without a number does not name its holder's party either.
        Self.refused(Self.pacs008(creditor: "<Cdtr/>", account: "<CdtrAcct><Ccy>EUR</Ccy></CdtrAcct>"), naming: "Cdtr names nobody")
        // An identifier alone is enough, and so is an account.
        #expect(parseError("pacs.008", Self.pacs008(creditor: "<Cdtr><Id><OrgId><LEI>529900T8BM49AURSDO55</LEI></OrgId></Id></Cdtr>")) == nil)
        #expect(parseError("pacs.008", Self.pacs008(creditor: "<Cdtr/>",
                                                    account: "<CdtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></CdtrAcct>")) == nil)
        #expect(parseError("pacs.008", Self.pacs008(agent: "<CdtrAgt><FinInstnId><ClrSysMmbId><MmbId>021000021</MmbId></ClrSysMmbId></FinInstnId></CdtrAgt>")) == nil)
    }

    @Test("an account must follow the party it belongs to")
    func accountOwner() {
        let orphan = Self.pacs008().replacingFirst("<DbtrAgt>", with: "<UltmtDbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></UltmtDbtrAcct><DbtrAgt>")
        Self.refused(orphan, naming: "UltmtDbtrAcct does not follow the party it belongs to")
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
            + "<CtctDtls><NmPrfx>MIST</NmPrfx><Nm>IVAN PETROV</Nm><JobTitl>DIRECTOR</JobTitl><PhneNb>+7-495-0000000</PhneNb></CtctDtls></Cdtr>"
        let p = try MessageParser.parse(format: "pacs.008", message: Self.pacs008(creditor: creditor))
        #expect(p.party("creditor")?.nameLines == ["DUPONT SARL"])
        #expect(p.party("creditor")?.identifiers == ["ID:77"])
        // Every free text, in document order; the name prefix is a code.
        #expect(p.party("creditor_contact")?.nameLines == ["ZORBEX REGISTRY", "IVAN PETROV", "DIRECTOR", "+7-495-0000000"])
        #expect(p.party("creditor_contact")?.sourceField == "Cdtr")
        #expect(p.party("creditor_contact")?.kind == .party)
        for party in p.parties { #expect(roleVocabulary.contains(party.role), "role \(party.role)") }
    }

    @Test("a name only in Cdtr/CtctDtls/Nm reaches screening as the creditor's contact")
    func contactNameOnly() throws {
        let p = try MessageParser.parse(format: "pacs.008",
                                        message: Self.pacs008(creditor: "<Cdtr><Nm>DUPONT SARL</Nm><CtctDtls><Nm>IVAN PETROV</Nm></CtctDtls></Cdtr>"))
        let contact = try #require(p.party("creditor_contact"))
        #expect(contact.nameLines == ["IVAN PETROV"])
        // Right after its party, so that hits read in message order.
        let index = try #require(p.parties.firstIndex { $0.role == "creditor" })
        #expect(p.parties[index + 1].role == "creditor_contact")
    }

    @Test("the account holder's name and proxy are screened as the party's contact, after the block's own texts")
    func accountTextsAreScreened() throws {
        let p = try MessageParser.parse(format: "pacs.008", message: Self.pacs008(
            creditor: "<Cdtr><Nm>DUPONT SARL</Nm><CtctDtls><Nm>ANNE DUPONT</Nm></CtctDtls></Cdtr>",
            account: "<CdtrAcct><Id><IBAN>FR7630006000011234567890189</IBAN></Id><Tp><Cd>CACC</Cd></Tp><Ccy>EUR</Ccy>"
                + "<Nm>IVAN PETROV</Nm><Prxy><Tp><Cd>EMAL</Cd></Tp><Id>ivan@petrov.example</Id></Prxy></CdtrAcct>"))
        let c = try #require(p.party("creditor"))
        #expect(c.account == "FR7630006000011234567890189")
        #expect(p.parties("creditor_contact").map(\.nameLines) == [["ANNE DUPONT", "IVAN PETROV", "ivan@petrov.example"]])
        // Without contact details the account alone makes the contact.
        let q = try MessageParser.parse(format: "pacs.008", message: Self.pacs008(
            account: "<CdtrAcct><Id><Othr><Id>40702810</Id><Issr>ZORBEX BANK</Issr></Othr></Id><Nm>IVAN PETROV</Nm></CdtrAcct>"))
        #expect(q.party("creditor")?.account == "40702810")
        #expect(q.party("creditor_contact")?.nameLines == ["ZORBEX BANK", "IVAN PETROV"])
    }

    @Test("an agent's and the header's free texts are screened as their contact, with the agent's kind")
    func agentTextsAreScreened() throws {
        let p = try MessageParser.parse(format: "pacs.008", message: Self.pacs008(
            agent: "<CdtrAgt><FinInstnId><BICFI>BNPAFRPP</BICFI><ClrSysMmbId><ClrSysId><Prtry>ZORBEX CLEARING</Prtry></ClrSysId><MmbId>1</MmbId></ClrSysMmbId>"
                + "<PstlAdr><AdrTp><Prtry><Id>HQ</Id><Issr>IVAN PETROV</Issr></Prtry></AdrTp><TwnNm>PARIS</TwnNm></PstlAdr></FinInstnId></CdtrAgt>"))
        let agent = try #require(p.party("creditor_agent"))
        #expect(agent.identifiers == ["CLR:ZORBEX CLEARING:1"])
        #expect(agent.addressLines == ["PARIS"])
        let contact = try #require(p.party("creditor_agent_contact"))
        #expect(contact.kind == .agent)
        #expect(contact.nameLines == ["ZORBEX CLEARING", "HQ", "IVAN PETROV"])
        let h = try MessageParser.parse(format: "pacs.008", message: Self.withHeader(
            from: "<Fr><OrgId><Nm>DEUTSCHE BANK</Nm><CtctDtls><Nm>IVAN PETROV</Nm></CtctDtls></OrgId></Fr>"))
        #expect(h.party("sender")?.nameLines == ["DEUTSCHE BANK"])
        #expect(h.party("sender_contact")?.nameLines == ["IVAN PETROV"])
        for party in p.parties + h.parties { #expect(roleVocabulary.contains(party.role), "role \(party.role)") }
    }

    @Test("pacs.009: institutions outside the underlying transfer, customers inside it")
    func pacs009Parties() throws {
        let p = try MessageParser.parse(format: "pacs.009", message: pacs009Cov)
        #expect(p.party("debtor_institution")?.bic == "BARCGB22")
        #expect(p.party("creditor_institution")?.bic == "HYVEDEMM")
        #expect(p.party("underlying_creditor")?.nameLines == ["IRKUTSK AVIATION PLANT"])
        let ultimate = Self.pacs009().replacingFirst("<CdtrAgt>", with: "<UltmtDbtr><FinInstnId><BICFI>UBSWCHZH</BICFI></FinInstnId></UltmtDbtr><CdtrAgt>")
        let u = try MessageParser.parse(format: "pacs.009", message: ultimate)
        #expect(u.party("ultimate_debtor")?.bic == "UBSWCHZH")
        #expect(u.party("ultimate_debtor")?.kind == .agent)
    }
}
