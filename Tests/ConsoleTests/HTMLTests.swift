@testable import Console
import Testing

@Suite("console: escaping, highlighting, form parsing (no database)")
struct HTMLTests {
    @Test("escape covers the five characters that matter in content and quoted attributes")
    func escape() {
        #expect(HTML.escape(#"<a href="x">'&'</a>"#) == "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;")
        #expect(HTML.escape("Москва Ž") == "Москва Ž")
    }

    @Test("occurrences: case-insensitive, across MT line breaks and punctuation, never inside another word", arguments: [
        ("ZORBEX HEAVY INDUSTRIES", ":59:/FR14\r\nZorbex heavy\r\nindustries\r\n", 1),
        ("ZORBEX HEAVY INDUSTRIES", "ZORBEX HEA\nVY INDUSTRIES", 1),
        ("ZORBEX HEAVY INDUSTRIES", "ZORBEX, HEAVY-INDUSTRIES", 1),
        ("ZORBEX", "XZORBEX ZORBEXY", 0),
        ("ZORBEX", "zorbex ZORBEX", 2),
        ("930690", "ACCOUNT 19306901", 0),
        ("", "anything", 0),
    ])
    func occurrences(needle: String, haystack: String, count: Int) {
        #expect(HTML.occurrences(of: needle, in: Array(haystack)).count == count)
    }

    @Test("highlighting escapes the message and marks spans, and names the hits not found verbatim")
    func highlighted() {
        let (html, notFound) = HTML.highlighted(message: "<x> SBERBANK & co", hits: [(1, "sberbank"), (2, "ГАЗПРОМ")])
        #expect(html == #"&lt;x&gt; <mark id="span-4" title="hit 1">SBERBANK<sup>1</sup></mark> &amp; co"#)
        #expect(notFound == [2])
    }

    @Test("forms: percent-decoding, plus as space, repeated fields refused, bad encoding refused")
    func forms() throws {
        #expect(try Forms.parse("a=1+2%3D3&b=") == ["a": "1 2=3", "b": ""])
        #expect(throws: InputError.self) { try Forms.parse("a=1&a=2") }
        #expect(throws: InputError.self) { try Forms.parse("a=%ZZ") }
        #expect(try Forms.amount("2500,50", what: "x") == 2500.5)
        #expect(throws: InputError.self) { try Forms.amount("-5", what: "x") }
        #expect(throws: InputError.self) { try Forms.role("a b") }
        #expect(try Forms.role("ops.jane-doe@bank") == "ops.jane-doe@bank")
    }

    @Test("the chart has three bars a day and escapes its labels")
    func chart() {
        let svg = HTML.barChart([.init(label: "<d>", screened: 10, held: 2, decided: 1), .init(label: "02-01", screened: 0, held: 0, decided: 0)])
        #expect(svg.components(separatedBy: "<rect").count - 1 == 6)
        #expect(svg.contains("&lt;d&gt;") && !svg.contains("<d>"))
    }

    @Test("session tokens are 64 hex digits and differ; comparison is exact")
    func tokens() {
        let a = Token.make(), b = Token.make()
        #expect(a.count == 64 && a.allSatisfy(\.isHexDigit))
        #expect(a != b)
        #expect(Token.equal(a, a) && !Token.equal(a, b) && !Token.equal(a, String(a.dropLast())))
    }
}
