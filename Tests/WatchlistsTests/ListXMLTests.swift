import Testing
@testable import Watchlists
import XML

/// A list file's XML: what is read, and the hostile or broken files refused with the file's name, a line number
/// and a message that says what is wrong. (The parser itself, with every refusal, is tested in `XMLTests`.)
@Suite("List files in XML")
struct ListXMLTests {
    func parse(_ s: String) throws(ListFileError) -> XMLTree.Element { try ListXML.parse(file("t.xml", s)) }

    func refused(_ s: String, sourceLocation: SourceLocation = #_sourceLocation) -> ListFileError? {
        do {
            _ = try parse(s)
            Issue.record("expected refusal", sourceLocation: sourceLocation)
            return nil
        } catch { return error }
    }

    @Test func readsLocalNamesWithLines() throws {
        let root = try parse("""
        \u{FEFF}<!-- a byte order mark and a comment before the root element are accepted -->
        <a:root xmlns:a="urn:x" xmlns="urn:y" k=' v &amp; &#x41;&#66; '>
          <b>text &lt;1&gt;
           more</b>
          <e>Привет мир</e>
        </a:root>
        """)
        #expect(root.name == "root")
        #expect(root.attr("k") == "v & AB")
        #expect(root.childText("b") == "text <1> more")
        #expect(root.child("e")?.line == 5)
    }

    @Test func refusesAttributesWithTheSameLocalName() throws {
        let e = try #require(refused("<a>\n<b x:k=\"1\" y:k=\"2\"/></a>"))
        #expect(e.line == 2 && e.message.contains("duplicate attribute k"))
        #expect(try parse("<a xmlns:k=\"urn:k\" k=\"1\"/>").attr("k") == "1")
    }

    @Test func refusesDoctypeBeforeReadingIt() throws {
        let laughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
          <!ENTITY lol "lol">
          <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
        ]>
        <lolz>&lol3;</lolz>
        """
        let e = try #require(refused(laughs))
        #expect(e.line == 2 && e.message.contains("DOCTYPE"))
        let xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE foo [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n<foo>&xxe;</foo>"
        #expect(try #require(refused(xxe)).line == 2)
        // A DOCTYPE inside the content is refused too.
        #expect(try #require(refused("<a>\n<!DOCTYPE x></a>")).message.contains("DOCTYPE"))
    }

    @Test func refusesUndefinedEntitiesInsteadOfDroppingThem() throws {
        let e = try #require(refused("<a>\n<b>AT&amp;T &nbsp; x</b></a>"))
        #expect(e.line == 2 && e.message.contains("&nbsp;"))
        #expect(try #require(refused("<a k=\"&xxe;\"/>")).message.contains("undefined entity"))
        #expect(try #require(refused("<a>AT&T</a>")).message.contains("bare '&'"))
        #expect(try #require(refused("<a>&#0;</a>")).message.contains("invalid character reference"))
        #expect(try #require(refused("<a>&#xD800;</a>")).message.contains("invalid character reference"))
    }

    @Test func refusesTruncatedAndMalformed() throws {
        let t = try #require(refused("<a>\n  <b>text</b>\n  <c>cut"))
        #expect(t.message.contains("truncated") && t.message.contains("<c>") && t.line == 3)
        #expect(try #require(refused("<a><b></a>")).message.contains("mismatched end tag </a>"))
        #expect(try #require(refused("<a k=v/>")).message.contains("unquoted"))
        #expect(try #require(refused("junk<a/>")).message.contains("before the root"))
        #expect(try #require(refused("<a/><b/>")).message.contains("after the root"))
        #expect(try #require(refused("<a/>junk")).message.contains("after the root"))
        #expect(try #require(refused("")).message.contains("no root"))
        #expect(try #require(refused("<a>1 < 2</a>")).message.contains("invalid element name"))
        #expect(try #require(refused("<a k=\"1\" k=\"2\"/>")).message.contains("duplicate attribute"))
        #expect(try #require(refused("<a><!-- never closed </a>")).message.contains("unterminated comment"))
        #expect(try #require(refused("<a><![CDATA[ never closed </a>")).message.contains("unterminated CDATA"))
        #expect(try #require(refused("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a/>")).message.contains("encoding"))
    }

    @Test func refusesInvalidUTF8AndDeepNesting() throws {
        var bytes = Array("<a>\nok\n</a>".utf8)
        bytes.insert(0xFF, at: 6)
        do {
            _ = try ListXML.parse(ListFile(name: "bad.xml", bytes: bytes))
            Issue.record("expected refusal")
        } catch {
            #expect(error.file == "bad.xml" && error.line == 2 && error.message.contains("UTF-8"))
        }
        let deep = String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300)
        #expect(try #require(refused(deep)).message.contains("deeper"))
        #expect(try #require(refused("\u{FFFE}")).message.contains("text before"))
    }
}
