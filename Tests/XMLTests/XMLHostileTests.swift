import Testing
import XML

/// The strict parser on hostile and broken input: every refusal of the payment-message parser and of the
/// list-file parser it replaced, each with the configuration its caller uses.

/// The limits of a payment message (`Messages`); the defaults.
let messageLimits = XMLParser.Configuration()
/// The limits and options of a list file (`Watchlists`).
let listLimits = XMLParser.Configuration(maxDepth: 256, maxElements: .max, maxAttributes: .max, recordsLines: true,
                                         encodings: ["utf-8", "utf8", "us-ascii", "ascii"])

func parse(_ s: String, _ config: XMLParser.Configuration = messageLimits) throws(XMLError) -> XMLTree {
    var s = s
    let result: Result<XMLTree, XMLError> = s.withUTF8 { b in
        Result { () throws(XMLError) -> XMLTree in try XMLParser.parse(b, config) }
    }
    return try result.get()
}

/// The refusal of `s`, or nil when it parses.
func refusal(_ s: String, _ config: XMLParser.Configuration = messageLimits) -> XMLError? {
    do {
        _ = try parse(s, config)
        return nil
    } catch { return error }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let r = firstRange(of: target) else { return self }
        return self[..<r.lowerBound] + replacement + self[r.upperBound...]
    }
}

/// A payment-shaped document.
let doc = """
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08">
  <FIToFICstmrCdtTrf>
    <GrpHdr><MsgId>MSG-1</MsgId></GrpHdr>
    <CdtTrfTxInf>
      <IntrBkSttlmAmt Ccy="EUR">100.25</IntrBkSttlmAmt>
      <Dbtr><Nm>JOHN DOE</Nm></Dbtr>
      <Cdtr><Nm>SECOND CREDITOR</Nm></Cdtr>
    </CdtTrfTxInf>
  </FIToFICstmrCdtTrf>
</Document>
"""

/// One refused document: what it is, the input, the configuration, and the category expected.
struct Refusal: CustomTestStringConvertible, Sendable {
    var what: String
    var input: String
    var config = messageLimits
    var category: XMLError.Category
    var testDescription: String { what }
}

let refusals: [Refusal] = [
    // Hostile: DTDs and entities are refused before parsing, wherever they are.
    Refusal(what: "billion laughs", input: """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
          <!ENTITY lol "lol">
          <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
          <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
        ]>
        <Document><FIToFICstmrCdtTrf><CdtTrfTxInf><Dbtr><Nm>&lol9;</Nm></Dbtr></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>
        """, category: .forbidden),
    Refusal(what: "external entity pointing at a local file", input: """
        <?xml version="1.0"?>
        <!DOCTYPE d [ <!ENTITY xxe SYSTEM "file:///etc/passwd"> ]>
        <Document><FIToFICstmrCdtTrf><CdtTrfTxInf><Dbtr><Nm>&xxe;</Nm></Dbtr></CdtTrfTxInf></FIToFICstmrCdtTrf></Document>
        """, category: .forbidden),
    Refusal(what: "external DTD", input: "<!DOCTYPE Document SYSTEM \"http://example.invalid/x.dtd\">" + doc, category: .forbidden),
    Refusal(what: "lower-case doctype", input: "<!doctype Document>" + doc, category: .forbidden),
    Refusal(what: "doctype hidden in a comment", input: "<!-- <!DOCTYPE x> -->" + doc, category: .forbidden),
    Refusal(what: "doctype inside the content", input: "<a>\n<!DOCTYPE x></a>", category: .forbidden),
    Refusal(what: "parameter entity declaration alone", input: "<!ENTITY % p SYSTEM \"file:///etc/passwd\">" + doc, category: .forbidden),
    Refusal(what: "other markup declaration", input: "<!ELEMENT Document ANY>" + doc, category: .forbidden),
    Refusal(what: "other markup declaration inside the root", input: doc.replacingFirst("<GrpHdr>", with: "<!ATTLIST x y CDATA #IMPLIED><GrpHdr>"),
            category: .forbidden),
    Refusal(what: "undeclared entity reference", input: doc.replacingFirst("JOHN DOE", with: "JOHN &xxe;"), category: .malformed),
    Refusal(what: "undeclared entity reference in an attribute", input: "<a k=\"&xxe;\"/>", category: .malformed),
    Refusal(what: "a billion-laughs body without its DTD", input: doc.replacingFirst("JOHN DOE", with: "&lol9;&lol9;"), category: .malformed),
    // Limits.
    Refusal(what: "nesting deeper than 64", input: String(repeating: "<a>", count: 70) + String(repeating: "</a>", count: 70),
            category: .tooDeep),
    Refusal(what: "nesting deeper than 256 in a list file", input: String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300),
            config: listLimits, category: .tooDeep),
    Refusal(what: "too many attributes", input: doc.replacingFirst("<Dbtr>", with: "<Dbtr " + (0..<40).map { "a\($0)=\"1\"" }.joined(separator: " ") + ">"),
            category: .tooLarge),
    Refusal(what: "too many elements", input: doc.replacingFirst("<Nm>JOHN DOE</Nm>", with: "<Nm>JOHN DOE</Nm>" + String(repeating: "<x/>", count: 100_001)),
            category: .tooLarge),
    // Malformed.
    Refusal(what: "truncated", input: String(doc.prefix(doc.count / 2)), category: .malformed),
    Refusal(what: "truncated inside a tag", input: String(doc.prefix(doc.firstRange(of: "<Dbtr>")!.lowerBound.utf16Offset(in: doc) + 3)),
            category: .malformed),
    Refusal(what: "truncated inside the text of an element", input: "<a>\n  <b>text</b>\n  <c>cut", category: .malformed),
    Refusal(what: "missing closing tag", input: doc.replacingFirst("</Dbtr>", with: ""), category: .malformed),
    Refusal(what: "mismatched closing tag", input: doc.replacingFirst("</Nm>", with: "</Name>"), category: .malformed),
    Refusal(what: "bare ampersand", input: doc.replacingFirst("JOHN DOE", with: "JOHN & DOE"), category: .malformed),
    Refusal(what: "bare ampersand in a word", input: "<a>AT&T</a>", category: .malformed),
    Refusal(what: "unterminated reference", input: doc.replacingFirst("JOHN DOE", with: "JOHN &amp DOE"), category: .malformed),
    Refusal(what: "unquoted attribute", input: doc.replacingFirst("Ccy=\"EUR\"", with: "Ccy=EUR"), category: .malformed),
    Refusal(what: "attribute without value", input: doc.replacingFirst("Ccy=\"EUR\"", with: "Ccy"), category: .malformed),
    Refusal(what: "repeated attribute", input: doc.replacingFirst("Ccy=\"EUR\"", with: "Ccy=\"EUR\" Ccy=\"USD\""), category: .malformed),
    Refusal(what: "attributes not separated", input: doc.replacingFirst("Ccy=\"EUR\"", with: "Ccy=\"EUR\"x=\"1\""), category: .malformed),
    Refusal(what: "'<' in an attribute", input: doc.replacingFirst("Ccy=\"EUR\"", with: "Ccy=\"E<R\""), category: .malformed),
    Refusal(what: "'<' in text", input: "<a>1 < 2</a>", category: .malformed),
    Refusal(what: "junk before the root", input: "junk" + doc, category: .malformed),
    Refusal(what: "a non-character before the root", input: "\u{FFFE}", category: .malformed),
    Refusal(what: "'<<<' before the root name", input: "<?xml version=\"1.0\"?>\n<<<" + doc.dropFirst(), category: .malformed),
    Refusal(what: "text after the root", input: doc + "tail", category: .malformed),
    Refusal(what: "second root", input: doc + doc, category: .malformed),
    Refusal(what: "no root", input: "<?xml version=\"1.0\"?><!-- nothing -->", category: .malformed),
    Refusal(what: "empty", input: "", category: .malformed),
    Refusal(what: "XML declaration after the root starts", input: doc.replacingFirst("<GrpHdr>", with: "<?xml version=\"1.0\"?><GrpHdr>"),
            category: .malformed),
    Refusal(what: "two XML declarations", input: "<?xml version=\"1.0\"?><?xml version=\"1.0\"?>" + doc, category: .malformed),
    Refusal(what: "'--' inside a comment", input: "<!-- a -- b -->" + doc, category: .malformed),
    Refusal(what: "unterminated comment", input: doc.replacingFirst("<GrpHdr>", with: "<!-- <GrpHdr>"), category: .malformed),
    Refusal(what: "unterminated CDATA", input: doc.replacingFirst("JOHN DOE", with: "<![CDATA[JOHN DOE"), category: .malformed),
    Refusal(what: "']]>' in text", input: doc.replacingFirst("JOHN DOE", with: "JOHN ]]> DOE"), category: .malformed),
    Refusal(what: "control character", input: doc.replacingFirst("JOHN DOE", with: "JOHN\u{1}DOE"), category: .malformed),
    Refusal(what: "NUL character reference", input: doc.replacingFirst("JOHN DOE", with: "JOHN&#0;DOE"), category: .malformed),
    Refusal(what: "surrogate character reference", input: doc.replacingFirst("JOHN DOE", with: "JOHN&#xD800;DOE"), category: .malformed),
    Refusal(what: "huge character reference", input: doc.replacingFirst("JOHN DOE", with: "JOHN&#99999999999;DOE"), category: .malformed),
    Refusal(what: "element name starting with a digit", input: doc.replacingFirst("<Nm>JOHN DOE</Nm>", with: "<1Nm>JOHN DOE</1Nm>"),
            category: .malformed),
    Refusal(what: "empty prefix", input: doc.replacingFirst("<Nm>JOHN DOE</Nm>", with: "<:Nm>JOHN DOE</:Nm>"), category: .malformed),
    Refusal(what: "random binary", input: "<?xml êдÆáс£:ЀЀ\u{0}ЃÓ¯", category: .malformed),
    Refusal(what: "MT text", input: "{1:F01BANKDEFFAXXX0000000000}{2:I103BANKUS33XXXXN}{4:\n:20:REF\n:32A:240101EUR100,\n-}", category: .malformed),
    Refusal(what: "an encoding a list file does not read", input: "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", config: listLimits,
            category: .malformed),
]

@Suite("XML parser: fails closed on hostile and broken XML")
struct XMLHostileTests {
    @Test("refused with a typed error", arguments: refusals)
    func refused(_ r: Refusal) {
        let error = refusal(r.input, r.config)
        #expect(error?.category == r.category, "\(error?.description ?? "parsed")")
    }

    @Test("refused with the same error under both configurations, unless a limit differs", arguments: refusals)
    func sameUnderBoth(_ r: Refusal) {
        guard r.category == .forbidden || r.category == .malformed, r.config.encodings == nil else { return }
        #expect(refusal(r.input, listLimits)?.category == r.category)
    }

    @Test("the refusal names what is wrong")
    func reasons() throws {
        #expect(refusal("<?xml version=\"1.0\"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n<foo>&xxe;</foo>")?.reason
                == .doctypeOrEntityDeclaration)
        #expect(refusal("<a>\n<b>AT&amp;T &nbsp; x</b></a>")?.reason == .undefinedEntity("nbsp"))
        #expect(refusal("<a k=\"&xxe;\"/>")?.reason == .undefinedEntity("xxe"))
        #expect(refusal("<a>AT&T</a>")?.reason == .bareAmpersand)
        #expect(refusal("<a>&#0;</a>")?.reason == .invalidCharacterReference("#0"))
        #expect(refusal("<a>&#xD800;</a>")?.reason == .invalidCharacterReference("#xD800"))
        #expect(refusal("<a>\n  <b>text</b>\n  <c>cut")?.reason == .endsInsideElement(element: "c", openedAt: 20))
        #expect(refusal("<a><b></a>")?.reason == .mismatchedEndTag(found: "a", expected: "b", openedAt: 3))
        #expect(refusal("<a k=v/>")?.reason == .unquotedAttribute("k"))
        #expect(refusal("junk<a/>")?.reason == .contentBeforeRoot)
        #expect(refusal("<a/><b/>")?.reason == .moreThanOneRoot)
        #expect(refusal("<a/>junk")?.reason == .contentAfterRoot)
        #expect(refusal("")?.reason == .noRoot)
        #expect(refusal("<a>1 < 2</a>")?.reason == .invalidName)
        #expect(refusal("<a k=\"1\" k=\"2\"/>")?.reason == .repeatedAttribute("k"))
        #expect(refusal("<a><!-- never closed </a>")?.reason == .unterminatedComment)
        #expect(refusal("<a><![CDATA[ never closed </a>")?.reason == .unterminatedCDATA)
        #expect(refusal("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>", listLimits)?.reason == .unsupportedEncoding("iso-8859-1"))
        #expect(refusal(String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300), listLimits)?.reason
                == .tooDeep(limit: 256))
        #expect(refusal("\u{FFFE}")?.reason == .contentBeforeRoot)
    }

    @Test("the offset points at the problem: a declaration at its '<', an unterminated construct at its start")
    func offsets() {
        let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n  <!ENTITY lol \"lol\">\n]>\n<lolz>&lol;</lolz>"
        #expect(refusal(laughs)?.offset == 22)
        #expect(refusal("<a>\n<b>AT&amp;T &nbsp; x</b></a>")?.offset == 16)
        #expect(refusal("<a>\n<!-- never closed </a>")?.offset == 4)
        var text = laughs
        #expect(text.withUTF8 { refusal(laughs)?.line(in: $0) } == 2)
    }

    @Test("a declaration or a control character is found at every offset (the pre-scan reads eight bytes at a time)")
    func prescanAtEveryOffset() {
        for pad in 0..<17 {
            let comment = "<!--" + String(repeating: "x", count: pad) + "-->"
            #expect(refusal(comment + doc) == nil, "pad \(pad)")
            #expect(refusal(comment + "<!DOCTYPE d>" + doc)?.category == .forbidden, "pad \(pad)")
            #expect(refusal(comment + "<!-- <!entity x> -->" + doc)?.category == .forbidden, "pad \(pad)")
            for control in ["\u{01}", "\u{0B}", "\u{1F}", "\u{00}"] {
                let message = doc.replacingFirst("JOHN DOE", with: String(repeating: "J", count: pad) + control + "DOE")
                #expect(refusal(message)?.reason == .controlCharacter, "pad \(pad) control \(control.unicodeScalars.first!.value)")
            }
            // Tab, line feed and carriage return are white space, and "!" alone is text.
            let allowed = doc.replacingFirst("JOHN DOE", with: String(repeating: "J", count: pad) + "\t\n\r! DOE")
            #expect(refusal(allowed) == nil, "pad \(pad)")
        }
    }

    @Test("nesting up to the limit is accepted")
    func depthAtLimit() {
        let deep = String(repeating: "<a>", count: 64) + String(repeating: "</a>", count: 64)
        #expect(refusal(deep) == nil)
        #expect(refusal("<b>" + deep + "</b>")?.reason == .tooDeep(limit: 64))
        let deepList = String(repeating: "<a>", count: 256) + String(repeating: "</a>", count: 256)
        #expect(refusal(deepList, listLimits) == nil)
    }

    @Test("error descriptions never echo document text")
    func descriptionsDoNotLeak() {
        let secret = "ZQXSECRETQZX"
        for input in [
            doc.replacingFirst("JOHN DOE", with: "&\(secret);"),
            doc.replacingFirst("</Nm>", with: "</\(secret)>"),
            "<\(secret)>",
            "<\(secret) a=\"1\" a=\"2\"/>",
            "<a \(secret)/>",
            secret + doc,
        ] {
            let error = refusal(input)
            #expect(error != nil)
            #expect(!(error?.description.contains("SECRET") ?? false), "\(error?.description ?? "")")
        }
    }
}
