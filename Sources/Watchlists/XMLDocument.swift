/// One element of a parsed XML document: a small read-only tree for the list parsers.
///
/// Names are local names: a namespace prefix (`ns:`) is dropped, and namespace URIs are ignored,
/// because the list formats are recognised by their element names and some publishers change prefixes.
struct XMLNode {
    var name: String
    var attributes: [(name: String, value: String)]
    var children: [XMLNode]
    /// The element's own character data (text and CDATA directly inside it), concatenated.
    var text: String
    /// The line of the start tag.
    var line: Int

    func attribute(_ n: String) -> String? {
        attributes.first { $0.name == n }?.value
    }

    /// The attribute trimmed, or "" when absent.
    func attr(_ n: String) -> String { attribute(n)?.trimmed ?? "" }

    func child(_ n: String) -> XMLNode? { children.first { $0.name == n } }

    func children(_ n: String) -> [XMLNode] { children.filter { $0.name == n } }

    /// The trimmed text of the first child named `n`, or "".
    func childText(_ n: String) -> String { child(n)?.text.collapsedWhitespace ?? "" }

    /// Depth-first search for elements named `n` below this one.
    func descendants(_ n: String) -> [XMLNode] {
        var out: [XMLNode] = []
        func walk(_ e: XMLNode) {
            for c in e.children {
                if c.name == n { out.append(c) }
                walk(c)
            }
        }
        walk(self)
        return out
    }
}

/// A strict, non-validating XML parser that never expands entities.
///
/// Why not Foundation: `XMLDocument` resolves external entities unless told otherwise and `XMLParser`
/// silently drops text around entity references. This parser accepts only what list files need —
/// elements, attributes, text, CDATA, comments, processing instructions, the five predefined entities
/// and numeric character references — and refuses everything else:
/// - any `<!DOCTYPE` (or other `<!` declaration) is refused before it is read, so internal-subset entity
///   bombs ("billion laughs") and external entities (`SYSTEM "file:///etc/passwd"`) never get a chance;
/// - an undefined entity reference, a bare `&` or `<`, an unquoted attribute, a mismatched or missing end tag,
///   content after the root element, or a file that ends before the root element closes (truncated).
/// Errors name the file and line. Nesting deeper than `maxDepth` is refused. The input must be UTF-8.
struct XMLDocumentParser {
    static let maxDepth = 256

    private let file: ListFile
    private let b: [UInt8]
    private var i: Int
    private var line = 1

    init(file: ListFile) {
        self.file = file
        self.b = file.bytes
        self.i = file.contentStart
    }

    /// Parses the whole file and returns its root element.
    static func parse(_ file: ListFile) throws(ListFileError) -> XMLNode {
        if file.bytes.count >= 2, (file.bytes[0] == 0xFE && file.bytes[1] == 0xFF) || (file.bytes[0] == 0xFF && file.bytes[1] == 0xFE) {
            throw file.error(line: 1, "UTF-16 XML is not supported; convert the file to UTF-8")
        }
        try file.requireUTF8()
        var p = XMLDocumentParser(file: file)
        return try p.document()
    }

    private func err(_ message: String, line l: Int? = nil) -> ListFileError {
        file.error(line: l ?? line, message)
    }

    private func at(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= b.count else { return false }
        return s.withUTF8Buffer { p in
            for k in 0..<n where b[i + k] != p[k] { return false }
            return true
        }
    }

    private mutating func advance(_ n: Int) {
        var k = 0
        while k < n, i < b.count {
            if b[i] == 0x0A { line += 1 }
            i += 1
            k += 1
        }
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    private mutating func skipSpace() {
        while i < b.count, Self.isSpace(b[i]) {
            if b[i] == 0x0A { line += 1 }
            i += 1
        }
    }

    // MARK: Document

    private mutating func document() throws(ListFileError) -> XMLNode {
        var root: XMLNode?
        var sawDeclaration = false
        while true {
            skipSpace()
            if i >= b.count { break }
            if at("<?") {
                let isDecl = at("<?xml") && i + 5 < b.count && Self.isSpace(b[i + 5])
                if isDecl && (sawDeclaration || root != nil) { throw err("misplaced XML declaration") }
                let (target, body) = try processingInstruction()
                if isDecl, target == "xml" {
                    sawDeclaration = true
                    try checkDeclaration(body)
                }
                continue
            }
            if at("<!--") { try comment(); continue }
            if at("<!") {
                throw err("DOCTYPE and other <! declarations are refused: entity definitions are never expanded")
            }
            if at("<") {
                if root != nil { throw err("content after the root element") }
                root = try element()
                continue
            }
            throw err(root == nil ? "text before the root element (not an XML file?)" : "text after the root element")
        }
        guard let root else { throw err("no root element (empty or not an XML file)") }
        return root
    }

    private mutating func checkDeclaration(_ body: String) throws(ListFileError) {
        // encoding="..." — only UTF-8 (or its ASCII subset) is read.
        guard let r = body.range(ofLiteral: "encoding") else { return }
        var rest = body[r.upperBound...].drop { $0 == " " || $0 == "=" }
        guard let q = rest.first, q == "\"" || q == "'" else { return }
        rest = rest.dropFirst()
        let enc = rest.prefix { $0 != q }.lowercased()
        if !["utf-8", "utf8", "us-ascii", "ascii"].contains(enc) {
            throw err("unsupported encoding \"\(enc)\" in the XML declaration; only UTF-8 is read")
        }
    }

    private mutating func processingInstruction() throws(ListFileError) -> (String, String) {
        let startLine = line
        advance(2)
        let s = i
        while i + 1 < b.count, !(b[i] == UInt8(ascii: "?") && b[i + 1] == UInt8(ascii: ">")) {
            if b[i] == 0x0A { line += 1 }
            i += 1
        }
        if i + 1 >= b.count { throw err("truncated XML: unterminated processing instruction", line: startLine) }
        let content = String(decoding: b[s..<i], as: UTF8.self)
        advance(2)
        let target = String(content.prefix { !$0.isWhitespace })
        return (target, String(content.dropFirst(target.count)))
    }

    private mutating func comment() throws(ListFileError) {
        let startLine = line
        advance(4)
        while i + 2 < b.count, !(b[i] == UInt8(ascii: "-") && b[i + 1] == UInt8(ascii: "-") && b[i + 2] == UInt8(ascii: ">")) {
            if b[i] == 0x0A { line += 1 }
            i += 1
        }
        if i + 2 >= b.count { throw err("truncated XML: unterminated comment", line: startLine) }
        advance(3)
    }

    // MARK: Elements

    private struct Open {
        var node: XMLNode
        var qname: String
        var text: [UInt8]
    }

    private mutating func element() throws(ListFileError) -> XMLNode {
        var stack: [Open] = []
        let (first, selfClosing) = try startTag()
        if selfClosing { return first.node }
        stack.append(first)
        var text: [UInt8] = []
        while true {
            if i >= b.count {
                let open = stack.last!
                throw err("truncated XML: element <\(open.qname)> opened at line \(open.node.line) is not closed")
            }
            let c = b[i]
            if c == UInt8(ascii: "<") {
                if at("</") {
                    let closeLine = line
                    advance(2)
                    let qn = name()
                    skipSpace()
                    guard i < b.count else { throw err("truncated XML: unterminated end tag </\(qn)") }
                    guard b[i] == UInt8(ascii: ">") else { throw err("malformed end tag </\(qn)") }
                    advance(1)
                    var top = stack.removeLast()
                    guard top.qname == qn else {
                        throw err("mismatched end tag </\(qn)>: expected </\(top.qname)> (opened at line \(top.node.line))", line: closeLine)
                    }
                    top.text.append(contentsOf: text)
                    text.removeAll(keepingCapacity: true)
                    top.node.text = String(decoding: top.text, as: UTF8.self)
                    if stack.isEmpty {
                        // Trailing whitespace, comments and PIs are checked by document().
                        return top.node
                    }
                    stack[stack.count - 1].node.children.append(top.node)
                } else if at("<!--") {
                    try comment()
                } else if at("<![CDATA[") {
                    let startLine = line
                    advance(9)
                    while i + 2 < b.count, !(b[i] == UInt8(ascii: "]") && b[i + 1] == UInt8(ascii: "]") && b[i + 2] == UInt8(ascii: ">")) {
                        if b[i] == 0x0A { line += 1 }
                        text.append(b[i])
                        i += 1
                    }
                    if i + 2 >= b.count { throw err("truncated XML: unterminated CDATA section", line: startLine) }
                    advance(3)
                } else if at("<!") {
                    throw err("DOCTYPE and other <! declarations are refused: entity definitions are never expanded")
                } else if at("<?") {
                    _ = try processingInstruction()
                } else {
                    // Flush text into the parent before descending.
                    stack[stack.count - 1].text.append(contentsOf: text)
                    text.removeAll(keepingCapacity: true)
                    let (child, closed) = try startTag()
                    if closed {
                        stack[stack.count - 1].node.children.append(child.node)
                    } else {
                        if stack.count >= Self.maxDepth { throw err("elements nested deeper than \(Self.maxDepth) levels") }
                        stack.append(child)
                    }
                }
            } else if c == UInt8(ascii: "&") {
                try reference(into: &text)
            } else {
                if c == 0x0A { line += 1 }
                text.append(c)
                i += 1
            }
        }
    }

    private mutating func name() -> String {
        let s = i
        while i < b.count {
            let c = b[i]
            if Self.isSpace(c) || c == UInt8(ascii: "/") || c == UInt8(ascii: ">") || c == UInt8(ascii: "=")
                || c == UInt8(ascii: "<") || c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { break }
            i += 1
        }
        return String(decoding: b[s..<i], as: UTF8.self)
    }

    private static func isValidName(_ n: String) -> Bool {
        guard let f = n.unicodeScalars.first else { return false }
        return f == "_" || f == ":" || f.properties.isAlphabetic
    }

    private static func localName(_ qn: String) -> String {
        if let colon = qn.lastIndex(of: ":") { return String(qn[qn.index(after: colon)...]) }
        return qn
    }

    /// Reads `<name attr="v" ...>` or `.../>`; returns the open element and whether it closed itself.
    private mutating func startTag() throws(ListFileError) -> (Open, Bool) {
        let startLine = line
        advance(1)  // <
        let qn = name()
        guard Self.isValidName(qn) else { throw err("malformed start tag: invalid element name \"\(qn)\"") }
        var attrs: [(name: String, value: String)] = []
        while true {
            let hadSpace = i < b.count && Self.isSpace(b[i])
            skipSpace()
            guard i < b.count else { throw err("truncated XML: unterminated start tag <\(qn)", line: startLine) }
            if b[i] == UInt8(ascii: ">") { advance(1); break }
            if b[i] == UInt8(ascii: "/") {
                guard i + 1 < b.count else { throw err("truncated XML: unterminated start tag <\(qn)", line: startLine) }
                guard b[i + 1] == UInt8(ascii: ">") else { throw err("malformed start tag <\(qn)>") }
                advance(2)
                let node = XMLNode(name: Self.localName(qn), attributes: attrs, children: [], text: "", line: startLine)
                return (Open(node: node, qname: qn, text: []), true)
            }
            guard hadSpace else { throw err("malformed start tag <\(qn)>: expected whitespace before an attribute") }
            let an = name()
            guard Self.isValidName(an) else { throw err("malformed attribute in <\(qn)>") }
            skipSpace()
            guard i < b.count, b[i] == UInt8(ascii: "=") else { throw err("attribute \(an) in <\(qn)> has no value") }
            advance(1)
            skipSpace()
            guard i < b.count else { throw err("truncated XML in start tag <\(qn)", line: startLine) }
            let q = b[i]
            guard q == UInt8(ascii: "\"") || q == UInt8(ascii: "'") else {
                throw err("unquoted value of attribute \(an) in <\(qn)>")
            }
            advance(1)
            var value: [UInt8] = []
            while true {
                guard i < b.count else { throw err("truncated XML: unterminated attribute value", line: startLine) }
                let c = b[i]
                if c == q { advance(1); break }
                if c == UInt8(ascii: "<") { throw err("'<' in the value of attribute \(an)") }
                if c == UInt8(ascii: "&") { try reference(into: &value); continue }
                // Attribute-value normalisation: whitespace characters become spaces.
                if c == 0x0A { line += 1 }
                value.append(c == 0x09 || c == 0x0A || c == 0x0D ? 0x20 : c)
                i += 1
            }
            let local = Self.localName(an)
            if an == "xmlns" || an.hasPrefix("xmlns:") { continue }
            if attrs.contains(where: { $0.name == local }) { throw err("duplicate attribute \(an) in <\(qn)>") }
            attrs.append((local, String(decoding: value, as: UTF8.self)))
        }
        let node = XMLNode(name: Self.localName(qn), attributes: attrs, children: [], text: "", line: startLine)
        return (Open(node: node, qname: qn, text: []), false)
    }

    /// Decodes `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&#N;` `&#xH;`; anything else is refused.
    private mutating func reference(into out: inout [UInt8]) throws(ListFileError) {
        let s = i + 1
        var j = s
        while j < b.count, j - s < 12, b[j] != UInt8(ascii: ";"), !Self.isSpace(b[j]), b[j] != UInt8(ascii: "<"), b[j] != UInt8(ascii: "&") { j += 1 }
        guard j < b.count, b[j] == UInt8(ascii: ";") else {
            throw err("bare '&' (an unescaped ampersand or an unterminated entity reference)")
        }
        let ref = String(decoding: b[s..<j], as: UTF8.self)
        switch ref {
        case "lt": out.append(UInt8(ascii: "<"))
        case "gt": out.append(UInt8(ascii: ">"))
        case "amp": out.append(UInt8(ascii: "&"))
        case "quot": out.append(UInt8(ascii: "\""))
        case "apos": out.append(UInt8(ascii: "'"))
        default:
            guard ref.hasPrefix("#") else {
                throw err("undefined entity &\(ref); (only the five predefined XML entities are accepted; entities are never expanded)")
            }
            let digits = ref.dropFirst()
            let value: UInt32?
            if digits.first == "x" || digits.first == "X" {
                value = UInt32(digits.dropFirst(), radix: 16)
            } else {
                value = UInt32(digits, radix: 10)
            }
            guard let v = value, let scalar = Unicode.Scalar(v), v != 0,
                  v >= 0x20 || v == 0x09 || v == 0x0A || v == 0x0D else {
                throw err("invalid character reference &\(ref);")
            }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
        i = j + 1
    }
}
