import Testing
import XML

@Suite("XML parser: what it accepts")
struct XMLAcceptanceTests {
    @Test func acceptsWhatListsAndMessagesUse() throws {
        let tree = try parse("""
        \u{FEFF}<!-- a byte order mark and a comment before the root element are accepted -->
        <a:root xmlns:a="urn:x" xmlns="urn:y" k='v &amp; &#x41;&#66;'>
          <?pi stuff?>
          <b>text &lt;1&gt; &quot;q&quot; &apos;s&apos;<!-- c --> more</b>
          <c><![CDATA[<raw & text>]]></c>
          <d/><d attr = "2"/>
          <e>Привет мир</e>
        </a:root>
        <!-- trailing comment -->
        """, listLimits)
        let root = tree.root
        #expect(root.name == "root")
        #expect(root.attribute("k") == "v & AB")
        // Namespace declarations are attributes, but not data.
        #expect(root.node.attributes.map(\.name) == ["xmlns:a", "xmlns", "k"])
        #expect(root.attribute("a") == nil && root.attribute("xmlns") == nil)
        #expect(root.child("b")?.text == "text <1> \"q\" 's' more")
        #expect(root.child("c")?.text == "<raw & text>")
        #expect(root.children("d").count == 2)
        #expect(root.children("d")[1].attribute("attr") == "2")
        #expect(root.child("e")?.text == "Привет мир")
        #expect(root.child("e")?.line == 7)
        #expect(root.line == 2)
        #expect(root.children.map(\.name) == ["b", "c", "d", "d", "e"])
        #expect(root.descendants("d").count == 2)
    }

    @Test("lines are recorded only when asked for")
    func linesOnRequest() throws {
        #expect(try parse("<a>\n<b/></a>").root.child("b")?.line == 0)
        #expect(try parse("<a>\n<b/>\n\n<c>\n</c></a>", listLimits).root.children.map(\.line) == [2, 4])
    }

    @Test("names in the table are numbered")
    func nameTable() throws {
        let config = XMLParser.Configuration(names: XMLNameTable(["Nm": 7, "Dbtr": 9]))
        let tree = try parse(doc, config)
        let codes = tree.nodes.filter { $0.code != 0 }.map { "\($0.name)=\($0.code)" }
        #expect(codes == ["Dbtr=9", "Nm=7", "Nm=7"])
    }

    @Test("a document's own text is trimmed and joined around its children")
    func text() throws {
        let tree = try parse("<a>\n  one <b> two </b> three\n</a>")
        #expect(tree.root.text == "one  three")
        #expect(tree.root.child("b")?.text == "two")
    }

    /// Random elements of mixed content (runs of text and whitespace, references, CDATA sections, comments
    /// and child elements in any order): every element's text must be its own character data, joined and
    /// trimmed of XML whitespace, whichever way the parser keeps it while parsing.
    @Test("an element's text is its own character data, joined and trimmed, in any mix of content")
    func mixedContentText() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(n))
        }
        let letters = [" ", "\n", "\t", "\r", "x", "y", "é"]
        let references = [("&amp;", "&"), ("&#32;", " "), ("&#x41;", "A"), ("&lt;", "<"), ("&#10;", "\n")]
        func run() -> String { (0..<next(5)).map { _ in letters[next(letters.count)] }.joined() }
        /// The element's XML and the expected texts of it and its descendants, in document order.
        func element(depth: Int) -> (xml: String, texts: [String]) {
            let name = ["a", "b", "p:c"][next(3)]
            var xml = "<\(name)>", own = "", below: [String] = []
            for _ in 0..<next(6) {
                switch next(depth < 3 ? 5 : 4) {
                case 0, 1:
                    let r = run(); xml += r; own += r
                case 2:
                    let (ref, char) = references[next(references.count)]; xml += ref; own += char
                case 3:
                    if next(2) == 0 {
                        let r = run() + "<&"; xml += "<![CDATA[\(r)]]>"; own += r
                    } else {
                        xml += "<!-- \(next(9)) -->"
                    }
                default:
                    let child = element(depth: depth + 1); xml += child.xml; below += child.texts
                }
            }
            // Bytes, not characters: "\r\n" is one Character.
            let space: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
            let bytes = Array(own.utf8)
            let lo = bytes.firstIndex { !space.contains($0) } ?? bytes.count
            let hi = (bytes.lastIndex { !space.contains($0) } ?? -1) + 1
            let trimmed = lo < hi ? String(decoding: bytes[lo..<hi], as: UTF8.self) : ""
            return (xml + "</\(name)>", [trimmed] + below)
        }
        for _ in 0..<3_000 {
            let (xml, texts) = element(depth: 0)
            let tree = try parse(xml)
            #expect(tree.nodes.map(\.text) == texts, "\(xml)")
        }
    }
}
