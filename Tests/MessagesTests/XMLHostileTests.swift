import Messages
import Testing

/// One refused pacs document: what it is, the input, and the error code expected. The XML parser's own
/// refusals are tested in `XMLTests`; here, that each kind of refusal becomes the right hold reason, the
/// limits `Messages` sets, and what is refused above the XML.
struct XMLRefusal: CustomTestStringConvertible, Sendable {
    var what: String
    var format = "pacs.008"
    var message: String
    var code: MessageParseError.Code
    var testDescription: String { what }
}

private let doc = pacs008Document

let xmlRefusals: [XMLRefusal] = [
    // Each kind of XML refusal, and the limits of a payment message.
    XMLRefusal(what: "DTD", message: "<!DOCTYPE Document [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>" + doc, code: .forbiddenXML),
    XMLRefusal(what: "undeclared entity reference", message: doc.replacingFirst("JOHN DOE", with: "JOHN &xxe;"), code: .malformedXML),
    // Limits.
    XMLRefusal(what: "nesting deeper than 64",
               message: String(repeating: "<a>", count: 70) + String(repeating: "</a>", count: 70), code: .tooDeep),
    XMLRefusal(what: "over 1 MiB", message: doc.replacingFirst("JOHN DOE", with: String(repeating: "A", count: 1 << 20)),
               code: .tooLarge),
    XMLRefusal(what: "too many attributes", message: doc.replacingFirst("<Dbtr>", with: "<Dbtr " + (0..<40).map { "a\($0)=\"1\"" }.joined(separator: " ") + ">"),
               code: .tooLarge),
    XMLRefusal(what: "too many elements", message: doc.replacingFirst("<Nm>JOHN DOE</Nm>", with: "<Nm>JOHN DOE</Nm>" + String(repeating: "<x/>", count: 100_001)),
               code: .tooLarge),
    // Malformed.
    XMLRefusal(what: "truncated", message: String(doc.prefix(doc.count / 2)), code: .malformedXML),
    XMLRefusal(what: "MT text as pacs.008", message: mt(mt103Fields), code: .malformedXML),
    XMLRefusal(what: "empty", message: "", code: .empty),
    XMLRefusal(what: "whitespace", message: "\n\t  \r\n", code: .empty),
    // Well-formed, but not the expected message.
    XMLRefusal(what: "pacs.009 given as pacs.008", message: pacs009Cov, code: .wrongMessageType),
    XMLRefusal(what: "pacs.008 given as pacs.009", format: "pacs.009", message: doc, code: .wrongMessageType),
    XMLRefusal(what: "pacs.004 return", message: """
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.004.001.09"><PmtRtr><GrpHdr><MsgId>R</MsgId></GrpHdr>
        <TxInf><RtrId>X</RtrId></TxInf></PmtRtr></Document>
        """, code: .wrongMessageType),
    XMLRefusal(what: "namespace of another message", message: doc.replacingFirst("pacs.008.001.08", with: "pacs.002.001.10"),
               code: .wrongMessageType),
    XMLRefusal(what: "header names another message", message: "<message>" + appHeader("pacs.009.001.08") + doc + "</message>",
               code: .wrongMessageType),
    XMLRefusal(what: "two documents", message: "<message>" + doc + doc + "</message>", code: .wrongMessageType),
    XMLRefusal(what: "no document at all", message: "<message><Hello/></message>", code: .wrongMessageType),
    XMLRefusal(what: "amount not a number", message: doc.replacingFirst(">100.25<", with: ">1OO.25<"), code: .invalidField),
    XMLRefusal(what: "amount without currency", message: doc.replacingFirst("<IntrBkSttlmAmt Ccy=\"EUR\">", with: "<IntrBkSttlmAmt>"),
               code: .invalidField),
    XMLRefusal(what: "no transaction", message: """
        <Document><FIToFICstmrCdtTrf><GrpHdr><MsgId>M</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>
        """, code: .missingField),
    XMLRefusal(what: "transaction without creditor", message: doc.replacingFirst("<Cdtr><Nm>SECOND CREDITOR</Nm></Cdtr>", with: ""),
               code: .missingField),
]

@Suite("ISO 20022 parser: fails closed on hostile and broken XML")
struct XMLHostileTests {
    @Test("refused with a typed error", arguments: xmlRefusals)
    func refused(_ r: XMLRefusal) {
        let error = parseError(r.format, r.message)
        #expect(error?.code == r.code, "\(error?.description ?? "parsed")")
    }

    @Test("the hold reason is the XML parser's description, unchanged")
    func reasons() {
        #expect(parseError("pacs.008", xmlRefusals[0].message)?.description == "forbidden_xml: DTD or entity declaration")
        #expect(parseError("pacs.008", "<!-- <!DOCTYPE x> -->" + doc)?.description == "forbidden_xml: DTD or entity declaration")
        #expect(parseError("pacs.008", "<!ELEMENT Document ANY>" + doc)?.description == "forbidden_xml: markup declaration")
        #expect(parseError("pacs.008", String(repeating: "<a>", count: 70))?.description == "too_deep: nesting deeper than 64")
        #expect(parseError("pacs.008", doc.replacingFirst("JOHN DOE", with: "JOHN &xxe;"))?.description
                == "malformed_xml: undefined entity reference")
        #expect(parseError("pacs.008", doc.replacingFirst("</Nm>", with: "</Name>"))?.description == "malformed_xml: mismatched end tag")
        #expect(parseError("pacs.008", doc.replacingFirst("JOHN DOE", with: "JOHN\u{1}DOE"))?.description == "malformed_xml: control character")
    }

    @Test("nesting up to the limit is accepted")
    func depthAtLimit() {
        // Document > FIToFICstmrCdtTrf > CdtTrfTxInf > SplmtryData > 60 levels = 64 elements deep (supplementary
        // data has no defined content; inside a party block an unknown element is refused on its own).
        let deep = String(repeating: "<X>", count: 60) + "v" + String(repeating: "</X>", count: 60)
        let message = "<Document><FIToFICstmrCdtTrf><CdtTrfTxInf><Dbtr><Nm>N</Nm></Dbtr><Cdtr><Nm>C</Nm></Cdtr><SplmtryData>\(deep)</SplmtryData></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>"
        #expect(parseError("pacs.008", message) == nil)
        let deeper = message.replacingFirst("<X>", with: "<X><X>").replacingFirst("</X>", with: "</X></X>")
        #expect(parseError("pacs.008", deeper)?.code == .tooDeep)
    }

    @Test("error reasons never echo document text")
    func reasonsDoNotLeak() {
        let secret = "ZQXSECRETQZX"
        for input in [
            doc.replacingFirst("JOHN DOE", with: "&\(secret);"),
            doc.replacingFirst("</Nm>", with: "</\(secret)>"),
            "<\(secret)>",
            doc.replacingFirst("FIToFICstmrCdtTrf", with: secret).replacingFirst("FIToFICstmrCdtTrf", with: secret),
            secret + doc,
        ] {
            let error = parseError("pacs.008", input)
            #expect(error != nil)
            #expect(!(error?.description.contains("SECRET") ?? false), "\(error?.description ?? "")")
        }
    }
}
