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
}
