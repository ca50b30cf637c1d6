/// One attribute of an element: its qualified name as written and its value with references replaced.
struct XMLAttribute {
    var name: String
    var value: String
}

/// One element of a parsed document, linked to its parent, first child and next sibling by index.
struct XMLNode {
    /// Local name: the qualified name without its namespace prefix.
    var name: String
    var parent: Int32
    var firstChild: Int32 = -1
    var lastChild: Int32 = -1
    var nextSibling: Int32 = -1
    /// The element's own character data (text, references, CDATA), concatenated and trimmed of XML whitespace.
    var text: String = ""
    var attributes: [XMLAttribute] = []
    /// The caller's number for this local name (see `XMLTreeParser.parse(_:names:)`), 0 when it has none.
    var code: UInt16 = 0
}

/// A parsed XML document: its elements in document order (so index order is a pre-order walk), root at 0.
struct XMLTree {
    var nodes: ContiguousArray<XMLNode>

    /// The child elements of element `i`, in order.
    func children(_ i: Int) -> XMLChildren { XMLChildren(nodes: nodes, cursor: nodes[i].firstChild) }

    /// The first child element of `i` with the given local name.
    func child(_ i: Int, _ name: String) -> Int? {
        for c in children(i) where nodes[c].name == name { return c }
        return nil
    }

    /// The text of the first child element of `i` with the given local name, if it has any.
    func childText(_ i: Int, _ name: String) -> String? {
        guard let c = child(i, name), !nodes[c].text.isEmpty else { return nil }
        return nodes[c].text
    }

    /// The elements of the subtree under `i` (not `i` itself), in document order.
    func descendants(_ i: Int) -> Range<Int> {
        var end = i + 1
        // Nodes are stored in pre-order: the subtree ends at the first node that is not a descendant.
        while end < nodes.count, isDescendant(end, of: i) { end += 1 }
        return i + 1..<end
    }

    func isDescendant(_ j: Int, of i: Int) -> Bool {
        var p = Int(nodes[j].parent)
        while p >= i {
            if p == i { return true }
            p = Int(nodes[p].parent)
        }
        return false
    }
}

/// Iterates the children of one element.
struct XMLChildren: Sequence, IteratorProtocol {
    let nodes: ContiguousArray<XMLNode>
    var cursor: Int32
    mutating func next() -> Int? {
        guard cursor >= 0 else { return nil }
        defer { cursor = nodes[Int(cursor)].nextSibling }
        return Int(cursor)
    }
}

/// The local names a caller switches on, each with its number, looked up by their bytes: no `String` is
/// built or hashed for an element whose name is in the table (its `String` is shared).
///
/// Open addressing over FNV-1a hashes of the name's bytes, kept at most half full; the names' bytes sit
/// in one pool.
struct XMLNameTable: Sendable {
    private var slots: [Int32]            // index into `names`, -1 when empty
    private var names: [String] = []
    private var codes: [UInt16] = []
    private var starts: [Int32] = []      // pool[starts[k]..<starts[k + 1]] are names[k]'s bytes
    private var pool: [UInt8] = []
    private let mask: Int

    static let empty = XMLNameTable([:])

    init(_ table: [String: UInt16]) {
        var size = 16
        while size < table.count * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        starts = [0]
        for (name, code) in table.sorted(by: { $0.key < $1.key }) {
            let bytes = Array(name.utf8)
            var i = Int(truncatingIfNeeded: Self.hash(bytes.withUnsafeBufferPointer { $0 })) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(names.count)
            names.append(name)
            codes.append(code)
            pool.append(contentsOf: bytes)
            starts.append(Int32(pool.count))
        }
    }

    @inline(__always) static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for c in b { h = (h ^ UInt64(c)) &* 0x100_0000_01b3 }
        return h ^ (h >> 29)
    }

    /// The name's shared string and number, or nil when the table does not hold it.
    func lookup(_ b: UnsafeBufferPointer<UInt8>) -> (name: String, code: UInt16)? {
        var i = Int(truncatingIfNeeded: Self.hash(b)) & mask
        while true {
            let k = Int(slots[i])
            if k < 0 { return nil }
            let lo = Int(starts[k]), hi = Int(starts[k + 1])
            if hi - lo == b.count && pool.withUnsafeBufferPointer({ p in
                for j in 0..<b.count where p[lo + j] != b[j] { return false }
                return true
            }) {
                return (names[k], codes[k])
            }
            i = (i + 1) & mask
        }
    }
}

/// A strict, non-validating XML 1.0 parser that builds an `XMLTree`; it knows no DTD and so expands no entity.
///
/// Accepted: elements, attributes (quoted, unique), character data, the five predefined entity references and
/// numeric character references, comments, processing instructions, CDATA sections, an XML declaration
/// anywhere in the prolog (real files put a licence comment before it). Refused before parsing:
/// `<!DOCTYPE` and `<!ENTITY` anywhere (`.forbiddenXML`). Refused while parsing: every other markup
/// declaration (`.forbiddenXML`), nesting deeper than `maxDepth` (`.tooDeep`), more than `maxElements`
/// elements or `maxAttributes` attributes on one element (`.tooLarge`), and everything that is not
/// well-formed (`.malformedXML`): unknown entity references, a bare `&`, unquoted or repeated attributes,
/// mismatched or missing end tags, text or a second element outside the root, control characters.
/// Namespaces are not resolved: prefixes are stripped from element names, and declarations are kept as
/// attributes.
struct XMLTreeParser {
    static let maxDepth = 64
    static let maxElements = 100_000
    static let maxAttributes = 32

    private let b: UnsafeBufferPointer<UInt8>
    private let names: XMLNameTable
    private var i = 0
    private var nodes = ContiguousArray<XMLNode>()
    /// Character data of the open elements, innermost last; each frame remembers where its own starts.
    private var scratch: [UInt8] = []
    private var stack: [(node: Int32, name: Range<Int>, textStart: Int)] = []

    private init(_ b: UnsafeBufferPointer<UInt8>, names: XMLNameTable) {
        self.b = b
        self.names = names
    }

    /// Parses a whole document. `names` numbers the local names the caller will switch on, so that each
    /// element's name is looked up once, here, and not again by every reader.
    static func parse(_ b: UnsafeBufferPointer<UInt8>, names: XMLNameTable = .empty) throws(MessageParseError) -> XMLTree {
        try refuseDeclarationsAndControls(b)
        var p = XMLTreeParser(b, names: names)
        p.nodes.reserveCapacity(min(b.count / 24 + 8, 4096))
        p.scratch.reserveCapacity(256)
        p.stack.reserveCapacity(16)
        try p.document()
        return XMLTree(nodes: p.nodes)
    }

    private static func malformed(_ why: String) -> MessageParseError { MessageParseError(.malformedXML, why) }

    /// The pre-scan: no DTD or entity declaration anywhere, not even in a comment, and no control characters.
    ///
    /// Eight bytes at a time (SWAR): a word with no `!` and no control character other than tab, line feed
    /// and carriage return is skipped whole. Every `<!` has its `!` in some word, and that word is looked at
    /// byte by byte. (Keyed on `<`, which is in nearly every word of a message, the fast path was rarely taken.)
    private static func refuseDeclarationsAndControls(_ b: UnsafeBufferPointer<UInt8>) throws(MessageParseError) {
        let n = b.count
        guard let base = b.baseAddress else { return }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let lows: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        /// 0x80 in exactly the bytes of `v` that are zero (no borrow between bytes, so no false positives).
        @inline(__always) func zeroBytes(_ v: UInt64) -> UInt64 { ~(((v & lows) &+ lows) | v | lows) }
        var k = 0
        while k < n {
            if k + 8 <= n {
                let w = UnsafeRawPointer(base + k).loadUnaligned(as: UInt64.self)
                let control = zeroBytes(w & (ones &* 0xE0))
                    & ~(zeroBytes(w ^ (ones &* 0x09)) | zeroBytes(w ^ (ones &* 0x0A)) | zeroBytes(w ^ (ones &* 0x0D)))
                let bang = zeroBytes(w ^ (ones &* 0x21))
                if control == 0, bang == 0 {
                    k += 8
                    continue
                }
            }
            let end = min(n, k + 8)
            while k < end {
                let c = b[k]
                if c < 0x20, c != 0x09, c != 0x0A, c != 0x0D {
                    throw malformed("control character")
                }
                if c == UInt8(ascii: "!"), k > 0, b[k - 1] == UInt8(ascii: "<") {
                    if Bytes.hasPrefixIgnoringCase(b, at: k + 1, "DOCTYPE") || Bytes.hasPrefixIgnoringCase(b, at: k + 1, "ENTITY") {
                        throw MessageParseError(.forbiddenXML, "DTD or entity declaration")
                    }
                }
                k += 1
            }
        }
    }

    @inline(__always) private func peek(_ k: Int = 0) -> UInt8? {
        i + k < b.count ? b[i + k] : nil
    }

    @inline(__always) private func at(_ s: StaticString) -> Bool {
        Bytes.hasPrefix(b, i..<b.count, s)
    }

    private mutating func skipSpace() -> Bool {
        let start = i
        while i < b.count, Bytes.isSpace(b[i]) { i += 1 }
        return i > start
    }

    private mutating func document() throws(MessageParseError) {
        if at("\u{FEFF}") { i += 3 }
        var rootDone = false
        var sawDeclaration = false
        while true {
            _ = skipSpace()
            guard i < b.count else { break }
            guard b[i] == UInt8(ascii: "<") else {
                throw Self.malformed(rootDone ? "content after the root element" : "content before the root element")
            }
            if at("<?") {
                let isDeclaration = try processingInstruction()
                if isDeclaration {
                    guard !rootDone, !sawDeclaration else { throw Self.malformed("misplaced XML declaration") }
                    sawDeclaration = true
                }
            } else if at("<!--") {
                try comment()
            } else if at("<!") {
                throw at("<![CDATA[") ? Self.malformed("CDATA outside the root element")
                    : MessageParseError(.forbiddenXML, "markup declaration")
            } else {
                guard !rootDone else { throw Self.malformed("more than one root element") }
                try element()
                rootDone = true
            }
        }
        guard rootDone else { throw Self.malformed("no root element") }
    }

    /// Parses the root element and everything in it, without recursion.
    private mutating func element() throws(MessageParseError) {
        try startTag()
        while !stack.isEmpty {
            let runStart = i
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "<") || c == UInt8(ascii: "&") { break }
                if c == UInt8(ascii: ">"), i - runStart >= 2, b[i - 1] == UInt8(ascii: "]"), b[i - 2] == UInt8(ascii: "]") {
                    throw Self.malformed("']]>' in character data")
                }
                i += 1
            }
            if i > runStart { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[runStart..<i])) }
            guard i < b.count else { throw Self.malformed("document ends inside an element") }
            if b[i] == UInt8(ascii: "&") {
                i = try Self.reference(b, i, into: &scratch)
            } else if at("</") {
                try endTag()
            } else if at("<!--") {
                try comment()
            } else if at("<![CDATA[") {
                i += 9
                let start = i
                while i + 2 < b.count, !(b[i] == UInt8(ascii: "]") && b[i + 1] == UInt8(ascii: "]") && b[i + 2] == UInt8(ascii: ">")) { i += 1 }
                guard i + 2 < b.count else { throw Self.malformed("unterminated CDATA section") }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
                i += 3
            } else if at("<!") {
                throw MessageParseError(.forbiddenXML, "markup declaration")
            } else if at("<?") {
                guard try !processingInstruction() else { throw Self.malformed("misplaced XML declaration") }
            } else {
                try startTag()
            }
        }
    }

    @inline(__always) private static func isNameStart(_ c: UInt8) -> Bool {
        c >= 0x80 || (c | 0x20) &- 0x61 < 26 || c == UInt8(ascii: "_") || c == UInt8(ascii: ":")
    }

    @inline(__always) private static func isNameChar(_ c: UInt8) -> Bool {
        isNameStart(c) || Bytes.isDigit(c) || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
    }

    private mutating func name() throws(MessageParseError) -> Range<Int> {
        let start = i
        guard i < b.count, Self.isNameStart(b[i]) else {
            throw Self.malformed(i < b.count ? "invalid name" : "document ends inside a tag")
        }
        i += 1
        while i < b.count, Self.isNameChar(b[i]) { i += 1 }
        return start..<i
    }

    private mutating func startTag() throws(MessageParseError) {
        i += 1
        let qname = try name()
        var localStart = qname.lowerBound
        for k in qname where b[k] == UInt8(ascii: ":") { localStart = k + 1 }
        guard localStart < qname.upperBound, localStart != qname.lowerBound + 1 else { throw Self.malformed("invalid name") }
        var attributes: [XMLAttribute] = []
        var attributeNames: [Range<Int>] = []
        var empty = false
        while true {
            let spaced = skipSpace()
            guard let c = peek() else { throw Self.malformed("document ends inside a tag") }
            if c == UInt8(ascii: ">") { i += 1; break }
            if c == UInt8(ascii: "/") {
                guard peek(1) == UInt8(ascii: ">") else { throw Self.malformed("invalid tag") }
                i += 2
                empty = true
                break
            }
            guard spaced else { throw Self.malformed("attributes must be separated by white space") }
            // The repeated-attribute check is quadratic: bound it.
            guard attributeNames.count < Self.maxAttributes else {
                throw MessageParseError(.tooLarge, "more than \(Self.maxAttributes) attributes on an element")
            }
            let attrName = try name()
            for other in attributeNames where other.count == attrName.count
                && memcmpEqual(other.lowerBound, attrName.lowerBound, attrName.count) {
                throw Self.malformed("repeated attribute")
            }
            attributeNames.append(attrName)
            _ = skipSpace()
            guard peek() == UInt8(ascii: "=") else { throw Self.malformed("attribute without value") }
            i += 1
            _ = skipSpace()
            guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                throw Self.malformed("unquoted attribute value")
            }
            i += 1
            var value: [UInt8] = []
            while true {
                guard let v = peek() else { throw Self.malformed("document ends inside a tag") }
                if v == quote { i += 1; break }
                if v == UInt8(ascii: "<") { throw Self.malformed("'<' in attribute value") }
                if v == UInt8(ascii: "&") {
                    i = try Self.reference(b, i, into: &value)
                } else {
                    value.append(Bytes.isSpace(v) ? 0x20 : v)
                    i += 1
                }
            }
            attributes.append(XMLAttribute(name: Bytes.string(b, attrName), value: String(decoding: value, as: UTF8.self)))
        }
        guard stack.count < Self.maxDepth else { throw MessageParseError(.tooDeep, "nesting deeper than \(Self.maxDepth)") }
        guard nodes.count < Self.maxElements else { throw MessageParseError(.tooLarge, "more than \(Self.maxElements) elements") }
        let index = Int32(nodes.count)
        let parent = stack.last?.node ?? -1
        let localBytes = UnsafeBufferPointer(rebasing: b[localStart..<qname.upperBound])
        if let known = names.lookup(localBytes) {
            nodes.append(XMLNode(name: known.name, parent: parent, attributes: attributes, code: known.code))
        } else {
            nodes.append(XMLNode(name: String(decoding: localBytes, as: UTF8.self), parent: parent, attributes: attributes))
        }
        if parent >= 0 {
            let p = Int(parent)
            if nodes[p].lastChild >= 0 { nodes[Int(nodes[p].lastChild)].nextSibling = index } else { nodes[p].firstChild = index }
            nodes[p].lastChild = index
        }
        if !empty { stack.append((index, qname, scratch.count)) }
    }

    private func memcmpEqual(_ x: Int, _ y: Int, _ count: Int) -> Bool {
        for k in 0..<count where b[x + k] != b[y + k] { return false }
        return true
    }

    private mutating func endTag() throws(MessageParseError) {
        i += 2
        let qname = try name()
        _ = skipSpace()
        guard peek() == UInt8(ascii: ">") else { throw Self.malformed(i < b.count ? "invalid end tag" : "document ends inside a tag") }
        i += 1
        let frame = stack.removeLast()
        guard frame.name.count == qname.count, memcmpEqual(frame.name.lowerBound, qname.lowerBound, qname.count) else {
            throw Self.malformed("mismatched end tag")
        }
        var lo = frame.textStart
        var hi = scratch.count
        while lo < hi, Bytes.isSpace(scratch[lo]) { lo += 1 }
        while hi > lo, Bytes.isSpace(scratch[hi - 1]) { hi -= 1 }
        if hi > lo {
            nodes[Int(frame.node)].text = scratch.withUnsafeBufferPointer { Bytes.string($0, lo..<hi) }
        }
        scratch.removeLast(scratch.count - frame.textStart)
    }

    private mutating func comment() throws(MessageParseError) {
        i += 4
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "-"), b[i + 1] == UInt8(ascii: "-") {
                guard i + 2 < b.count, b[i + 2] == UInt8(ascii: ">") else { throw Self.malformed("'--' inside a comment") }
                i += 3
                return
            }
            i += 1
        }
        throw Self.malformed("unterminated comment")
    }

    /// Skips `<?target ...?>`; returns whether it is the XML declaration.
    private mutating func processingInstruction() throws(MessageParseError) -> Bool {
        i += 2
        let target = try name()
        let isDeclaration = target.count == 3 && Bytes.hasPrefixIgnoringCase(b, at: target.lowerBound, "xml")
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "?"), b[i + 1] == UInt8(ascii: ">") {
                i += 2
                return isDeclaration
            }
            i += 1
        }
        throw Self.malformed("unterminated processing instruction")
    }

    /// Decodes the reference at `i` (`&lt;` `&gt;` `&amp;` `&apos;` `&quot;` `&#N;` `&#xH;`) into `out` and returns the index after it; any other `&` is an error.
    private static func reference(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, into out: inout [UInt8]) throws(MessageParseError) -> Int {
        let start = i + 1
        var end = start
        while end < b.count, end - start < 10, b[end] != UInt8(ascii: ";") { end += 1 }
        guard end < b.count, b[end] == UInt8(ascii: ";"), end > start else { throw Self.malformed("bare '&' or unterminated reference") }
        let r = start..<end
        if b[start] == UInt8(ascii: "#") {
            var value: UInt32 = 0
            let hex = r.count > 1 && b[start + 1] == UInt8(ascii: "x")
            let digits = (hex ? start + 2 : start + 1)..<end
            guard !digits.isEmpty, digits.count <= 8 else { throw Self.malformed("invalid character reference") }
            for k in digits {
                let c = b[k]
                let d: UInt32
                if Bytes.isDigit(c) { d = UInt32(c - 48) }
                else if hex, (c | 0x20) &- 0x61 < 6 { d = UInt32((c | 0x20) - 0x61 + 10) }
                else { throw Self.malformed("invalid character reference") }
                value = value * (hex ? 16 : 10) + d
            }
            guard value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
                    || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value),
                  let scalar = Unicode.Scalar(value) else {
                throw Self.malformed("invalid character reference")
            }
            out.append(contentsOf: String(Character(scalar)).utf8)
            return end + 1
        }
        let byte: UInt8
        if Bytes.hasPrefix(b, r, "lt"), r.count == 2 { byte = UInt8(ascii: "<") }
        else if Bytes.hasPrefix(b, r, "gt"), r.count == 2 { byte = UInt8(ascii: ">") }
        else if Bytes.hasPrefix(b, r, "amp"), r.count == 3 { byte = UInt8(ascii: "&") }
        else if Bytes.hasPrefix(b, r, "apos"), r.count == 4 { byte = UInt8(ascii: "'") }
        else if Bytes.hasPrefix(b, r, "quot"), r.count == 4 { byte = UInt8(ascii: "\"") }
        else { throw Self.malformed("undefined entity reference") }
        out.append(byte)
        return end + 1
    }
}
