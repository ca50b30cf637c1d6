import Messages
import Testing

/// A pacs.008 with two transactions and every party and agent element, in the default namespace.
let pacs008Document = """
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">
  <FIToFICstmrCdtTrf>
    <GrpHdr>
      <MsgId>MSG-1</MsgId>
      <NbOfTxs>2</NbOfTxs>
      <TtlIntrBkSttlmAmt Ccy="EUR">300.50</TtlIntrBkSttlmAmt>
      <SttlmInf>
        <SttlmMtd>INDA</SttlmMtd>
        <InstgRmbrsmntAgt><FinInstnId><BICFI>REIMDEFF</BICFI></FinInstnId></InstgRmbrsmntAgt>
      </SttlmInf>
    </GrpHdr>
    <CdtTrfTxInf>
      <PmtId><InstrId>INSTR-1</InstrId><EndToEndId>E2E-1</EndToEndId><UETR>1fa0dc26-b52e-4c29-8a7b-6baf070dc389</UETR></PmtId>
      <PmtTpInf><CtgyPurp><Cd>SUPP</Cd></CtgyPurp></PmtTpInf>
      <IntrBkSttlmAmt Ccy="EUR">100.25</IntrBkSttlmAmt>
      <ChrgBr>SHAR</ChrgBr>
      <PrvsInstgAgt1><FinInstnId><BICFI>PREVGB2L</BICFI></FinInstnId></PrvsInstgAgt1>
      <InstgAgt><FinInstnId><BICFI>INSTDEFFXXX</BICFI></FinInstnId></InstgAgt>
      <InstdAgt><FinInstnId><BICFI>INSDFRPP</BICFI></FinInstnId></InstdAgt>
      <IntrmyAgt1><FinInstnId><BICFI>SABRRUMM</BICFI><Nm>SBERBANK</Nm></FinInstnId></IntrmyAgt1>
      <IntrmyAgt2><FinInstnId><ClrSysMmbId><ClrSysId><Cd>USABA</Cd></ClrSysId><MmbId>021000021</MmbId></ClrSysMmbId></FinInstnId></IntrmyAgt2>
      <IntrmyAgt3><FinInstnId><LEI>529900T8BM49AURSDO55</LEI><Nm>THIRD BANK</Nm><PstlAdr><Ctry>BY</Ctry></PstlAdr></FinInstnId></IntrmyAgt3>
      <UltmtDbtr><Nm>ULTIMATE DEBTOR LLC</Nm></UltmtDbtr>
      <InitgPty><Nm>INITIATING PARTY</Nm><Id><OrgId><LEI>5493001KJTIIGC8Y1R12</LEI></OrgId></Id></InitgPty>
      <Dbtr>
        <Nm>JOHN DOE</Nm>
        <PstlAdr><AdrTp>HOME</AdrTp><StrtNm>MAIN STREET</StrtNm><BldgNb>1</BldgNb><PstCd>10115</PstCd><TwnNm>BERLIN</TwnNm><Ctry>DE</Ctry></PstlAdr>
        <Id><PrvtId><DtAndPlcOfBirth><BirthDt>1970-01-01</BirthDt><CityOfBirth>MINSK</CityOfBirth><CtryOfBirth>BY</CtryOfBirth></DtAndPlcOfBirth>
          <Othr><Id>AB123456</Id><SchmeNm><Cd>CCPT</Cd></SchmeNm></Othr></PrvtId></Id>
        <CtryOfRes>AE</CtryOfRes>
      </Dbtr>
      <DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId><BrnchId><Id>BR-7</Id><Nm>MOSCOW BRANCH</Nm></BrnchId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>CDTRAGNT</BICFI></FinInstnId></CdtrAgt>
      <Cdtr>
        <Nm>OOO ROMASHKA</Nm>
        <PstlAdr><AdrLine>ULITSA LENINA 1</AdrLine><AdrLine>MOSCOW 101000</AdrLine><Ctry>RU</Ctry></PstlAdr>
        <Id><OrgId><AnyBIC>ROMARUMM</AnyBIC><Othr><Id>7701234567</Id><SchmeNm><Prtry>INN</Prtry></SchmeNm></Othr></OrgId></Id>
      </Cdtr>
      <CdtrAcct><Id><Othr><Id>40702810000000000001</Id></Othr></Id></CdtrAcct>
      <UltmtCdtr><Nm>ULTIMATE CREDITOR</Nm><PstlAdr><Ctry>KZ</Ctry></PstlAdr></UltmtCdtr>
      <InstrForCdtrAgt><Cd>PHOB</Cd><InstrInf>CALL BENEFICIARY</InstrInf></InstrForCdtrAgt>
      <InstrForNxtAgt><InstrInf>/ACC/NEXT AGENT NOTE</InstrInf></InstrForNxtAgt>
      <Purp><Cd>GDDS</Cd></Purp>
      <RgltryRptg><Dtls><Cd>150</Cd><Inf>MICROCHIPS 8542.31</Inf></Dtls></RgltryRptg>
      <RmtInf>
        <Ustrd>INVOICE 42 INTEGRATED CIRCUITS</Ustrd>
        <Ustrd>SECOND LINE</Ustrd>
        <Strd><RfrdDocInf><Nb>INV-42</Nb></RfrdDocInf><AddtlRmtInf>BALL BEARINGS</AddtlRmtInf></Strd>
      </RmtInf>
    </CdtTrfTxInf>
    <CdtTrfTxInf>
      <PmtId><InstrId>INSTR-2</InstrId><EndToEndId>E2E-2</EndToEndId></PmtId>
      <IntrBkSttlmAmt Ccy="EUR">200.25</IntrBkSttlmAmt>
      <ChrgBr>SHAR</ChrgBr>
      <Dbtr><Nm>SECOND DEBTOR</Nm></Dbtr>
      <DbtrAgt><FinInstnId><BICFI>DEUTDEFF</BICFI></FinInstnId></DbtrAgt>
      <CdtrAgt><FinInstnId><BICFI>SECONDAG</BICFI></FinInstnId></CdtrAgt>
      <Cdtr><Nm>SECOND CREDITOR</Nm></Cdtr>
      <RmtInf><Ustrd>ОПЛАТА ЗА МИКРОСХЕМЫ</Ustrd></RmtInf>
    </CdtTrfTxInf>
  </FIToFICstmrCdtTrf>
</Document>
"""

/// A CBPR+-style header with prefixed elements.
func appHeader(_ definition: String = "pacs.008.001.08", from: String = "SENDDEFF", to: String = "RECVGB2L") -> String {
    """
    <head:AppHdr xmlns:head="urn:iso:std:iso:20022:tech:xsd:head.001.001.02">
      <head:Fr><head:FIId><head:FinInstnId><head:BICFI>\(from)</head:BICFI></head:FinInstnId></head:FIId></head:Fr>
      <head:To><head:FIId><head:FinInstnId><head:BICFI>\(to)</head:BICFI></head:FinInstnId></head:FIId></head:To>
      <head:BizMsgIdr>BIZ-1</head:BizMsgIdr>
      <head:MsgDefIdr>\(definition)</head:MsgDefIdr>
    </head:AppHdr>
    """
}

/// Rewrites every element of a document with a namespace prefix.
func prefixed(_ xml: String, _ prefix: String) -> String {
    var out = ""
    var i = xml.startIndex
    while i < xml.endIndex {
        let c = xml[i]
        out.append(c)
        if c == "<" {
            let next = xml.index(after: i)
            if next < xml.endIndex, xml[next] == "/" {
                out.append("/")
                out.append(prefix + ":")
                i = xml.index(after: next)
                continue
            } else if next < xml.endIndex, xml[next].isLetter {
                out.append(prefix + ":")
            }
        }
        i = xml.index(after: i)
    }
    return out.replacingFirst("xmlns=", with: "xmlns:\(prefix)=")
}

/// A pacs.009 COV: bank-to-bank debtor and creditor plus the underlying customer transfer.
let pacs009Cov = """
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.009.001.08">
  <FICdtTrf>
    <GrpHdr><MsgId>COV-1</MsgId><NbOfTxs>1</NbOfTxs><SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr>
    <CdtTrfTxInf>
      <PmtId><InstrId>COV-1</InstrId><EndToEndId>E2E</EndToEndId><UETR>8a7a9291-6ff2-4fb3-a36e-b25d473e0213</UETR></PmtId>
      <IntrBkSttlmAmt Ccy="USD">3121</IntrBkSttlmAmt>
      <InstgAgt><FinInstnId><BICFI>BARCGB22</BICFI></FinInstnId></InstgAgt>
      <InstdAgt><FinInstnId><BICFI>HYVEDEMM</BICFI></FinInstnId></InstdAgt>
      <Dbtr><FinInstnId><BICFI>BARCGB22</BICFI></FinInstnId></Dbtr>
      <CdtrAgt><FinInstnId><BICFI>CDTRDEFF</BICFI></FinInstnId></CdtrAgt>
      <Cdtr><FinInstnId><BICFI>HYVEDEMM</BICFI></FinInstnId></Cdtr>
      <UndrlygCstmrCdtTrf>
        <Dbtr><Nm>CHARLOTTE ROBERTS</Nm><PstlAdr><TwnNm>BIRMINGHAM</TwnNm><Ctry>GB</Ctry></PstlAdr></Dbtr>
        <DbtrAcct><Id><IBAN>GB4807265719425516609</IBAN></Id></DbtrAcct>
        <DbtrAgt><FinInstnId><BICFI>BARCGB22</BICFI></FinInstnId></DbtrAgt>
        <IntrmyAgt1><FinInstnId><BICFI>INTRRUMM</BICFI></FinInstnId></IntrmyAgt1>
        <CdtrAgt><FinInstnId><BICFI>HYVEDEMM</BICFI></FinInstnId></CdtrAgt>
        <Cdtr><Nm>IRKUTSK AVIATION PLANT</Nm><PstlAdr><Ctry>RU</Ctry></PstlAdr></Cdtr>
        <CdtrAcct><Id><IBAN>DE49645637285968043</IBAN></Id></CdtrAcct>
        <RmtInf><Ustrd>ПОДШИПНИКИ</Ustrd></RmtInf>
      </UndrlygCstmrCdtTrf>
    </CdtTrfTxInf>
  </FICdtTrf>
</Document>
"""

@Suite("ISO 20022 parser: parties, agents, texts")
struct ISOParserTests {
    @Test("pacs.008: every party, agent, account and text of every transaction")
    func fullPacs008() throws {
        let p = try MessageParser.parse(format: "pacs.008", message: pacs008Document)
        #expect(p.format == .pacs008)
        #expect(p.reference == "MSG-1")
        #expect(p.uetr == "1fa0dc26-b52e-4c29-8a7b-6baf070dc389")
        #expect(p.amount == "300.50")
        #expect(p.currency == "EUR")
        #expect(p.transactionCount == 2)

        #expect(p.party("instructing_reimbursement_agent")?.bic == "REIMDEFF")
        #expect(p.party("previous_instructing_agent_1")?.bic == "PREVGB2L")
        #expect(p.party("instructing_agent")?.bic == "INSTDEFFXXX")
        #expect(p.party("instructed_agent")?.bic == "INSDFRPP")
        let i1 = try #require(p.party("intermediary_agent_1"))
        #expect(i1.bic == "SABRRUMM")
        #expect(i1.nameLines == ["SBERBANK"])
        #expect(i1.kind == .agent)
        #expect(p.party("intermediary_agent_2")?.identifiers == ["CLR:USABA:021000021"])
        let i3 = try #require(p.party("intermediary_agent_3"))
        #expect(i3.identifiers == ["LEI:529900T8BM49AURSDO55"])
        #expect(i3.country == "BY")
        #expect(p.party("ultimate_debtor")?.nameLines == ["ULTIMATE DEBTOR LLC"])
        let ip = try #require(p.party("initiating_party"))
        #expect(ip.identifiers == ["LEI:5493001KJTIIGC8Y1R12"])

        let debtors = p.parties("debtor")
        #expect(debtors.map(\.nameLines) == [["JOHN DOE"], ["SECOND DEBTOR"]])
        let d = debtors[0]
        #expect(d.kind == .party)
        #expect(d.addressLines == ["MAIN STREET", "1", "10115", "BERLIN"])
        #expect(d.country == "DE")
        #expect(d.otherCountries == ["BY", "AE"])
        #expect(d.identifiers == ["DOB:1970-01-01", "POB:MINSK", "CCPT:AB123456"])
        #expect(d.account == "DE89370400440532013000")
        let da = p.parties("debtor_agent")
        #expect(da.count == 2)
        #expect(da[0].nameLines == ["MOSCOW BRANCH"])
        #expect(da[0].identifiers == ["BRNCH:BR-7"])
        #expect(p.parties("creditor_agent").map(\.bic) == ["CDTRAGNT", "SECONDAG"])
        let c = try #require(p.party("creditor"))
        #expect(c.nameLines == ["OOO ROMASHKA"])
        #expect(c.addressLines == ["ULITSA LENINA 1", "MOSCOW 101000"])
        #expect(c.country == "RU")
        #expect(c.bic == "ROMARUMM")
        #expect(c.identifiers == ["INN:7701234567"])
        #expect(c.account == "40702810000000000001")
        #expect(p.party("ultimate_creditor")?.country == "KZ")

        #expect(p.text("remittance") == ["INV-42", "BALL BEARINGS", "INVOICE 42 INTEGRATED CIRCUITS", "SECOND LINE", "ОПЛАТА ЗА МИКРОСХЕМЫ"])
        #expect(p.text("instructions") == ["PHOB", "CALL BENEFICIARY", "/ACC/NEXT AGENT NOTE"])
        #expect(p.text("purpose") == ["SUPP", "GDDS"])
        #expect(p.text("regulatory_reporting") == ["150", "MICROCHIPS 8542.31"])
        for party in p.parties { #expect(roleVocabulary.contains(party.role), "role \(party.role)") }
    }

    @Test("the same document in every wrapper, prefix and prolog shape gives the same payment parties")
    func wrappersAndPrefixes() throws {
        let bare = try MessageParser.parse(format: "pacs.008", message: pacs008Document)
        let header = appHeader()
        let shapes = [
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + pacs008Document,
            "<!-- licence -->\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Envelope xmlns=\"urn:swift:xsd:envelope\">" + header + pacs008Document + "</Envelope>",
            "<!--?xml version=\"1.0\" encoding=\"UTF-8\"?-->\n<Envelope xmlns=\"urn:swift:xsd:envelope\">" + header + prefixed(pacs008Document, "pacs") + "</Envelope>",
            "<message>" + header + prefixed(pacs008Document, "ns2") + "</message>\n<!-- trailing comment -->\n",
            "\u{FEFF}<?xml version='1.0'?><message>\n" + header + pacs008Document + "</message>",
        ]
        for (n, shape) in shapes.enumerated() {
            let p = try MessageParser.parse(format: "pacs.008", message: shape)
            let withoutHeader = p.parties.filter { $0.role != "sender" && $0.role != "receiver" }
            #expect(withoutHeader == bare.parties, "shape \(n)")
            #expect(p.texts == bare.texts, "shape \(n)")
            if n > 0 {
                #expect(p.party("sender")?.bic == "SENDDEFF", "shape \(n)")
                #expect(p.party("receiver")?.bic == "RECVGB2L", "shape \(n)")
                #expect(p.parties.first?.role == "sender")
            }
        }
    }

    @Test("pacs.009 COV: institutions as debtor_institution/creditor_institution, customers underlying_")
    func pacs009Cover() throws {
        let p = try MessageParser.parse(format: "pacs.009", message: "<message>" + appHeader("pacs.009.001.08") + pacs009Cov + "</message>")
        #expect(p.format == .pacs009)
        #expect(p.amount == "3121")
        #expect(p.currency == "USD")
        #expect(p.transactionCount == 1)
        let di = try #require(p.party("debtor_institution"))
        #expect(di.kind == .agent)
        #expect(di.bic == "BARCGB22")
        #expect(p.party("creditor_institution")?.bic == "HYVEDEMM")
        #expect(p.party("creditor_agent")?.bic == "CDTRDEFF")
        let ud = try #require(p.party("underlying_debtor"))
        #expect(ud.kind == .party)
        #expect(ud.nameLines == ["CHARLOTTE ROBERTS"])
        #expect(ud.account == "GB4807265719425516609")
        #expect(p.party("underlying_intermediary_agent_1")?.bic == "INTRRUMM")
        let uc = try #require(p.party("underlying_creditor"))
        #expect(uc.nameLines == ["IRKUTSK AVIATION PLANT"])
        #expect(uc.country == "RU")
        #expect(uc.account == "DE49645637285968043")
        #expect(p.party("underlying_creditor_agent")?.bic == "HYVEDEMM")
        #expect(p.text("underlying_remittance") == ["ПОДШИПНИКИ"])
        #expect(p.parties("debtor").isEmpty && p.parties("creditor").isEmpty)
    }

    @Test("text with references, CDATA and comments is kept whole")
    func textAssembly() throws {
        let doc = pacs008Document.replacingFirst("<Nm>JOHN DOE</Nm>", with: "<Nm>SMITH &amp; SONS <!-- c --> &#x41;&#66;<![CDATA[ <LTD> ]]>&lt;&gt;&apos;&quot;</Nm>")
        let p = try MessageParser.parse(format: "pacs.008", message: doc)
        #expect(p.party("debtor")?.nameLines == ["SMITH & SONS  AB <LTD> <>'\""])
    }

    @Test("a multi-line Ustrd becomes several lines")
    func multilineText() throws {
        let doc = pacs008Document.replacingFirst("<Ustrd>SECOND LINE</Ustrd>", with: "<Ustrd>LINE A\r\n   LINE B\n\n</Ustrd>")
        let p = try MessageParser.parse(format: "pacs.008", message: doc)
        #expect(p.text("remittance").contains("LINE A") && p.text("remittance").contains("LINE B"))
    }

    @Test("bank-to-bank pacs.009 without a header")
    func pacs009BankToBank() throws {
        let start = try #require(pacs009Cov.firstRange(of: "<UndrlygCstmrCdtTrf>")).lowerBound
        let end = try #require(pacs009Cov.firstRange(of: "</UndrlygCstmrCdtTrf>")).upperBound
        let doc = pacs009Cov.replacingFirst(String(pacs009Cov[start..<end]), with: "")
        let p = try MessageParser.parse(format: "pacs.009", message: doc)
        #expect(p.parties.map(\.role) == ["instructing_agent", "instructed_agent", "debtor_institution", "creditor_agent", "creditor_institution"])
        #expect(p.parties.allSatisfy { $0.kind == .agent })
    }
}
