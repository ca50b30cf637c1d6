/// A strict, non-validating XML 1.0 parser that builds an `XMLTree`; it knows no DTD and so expands no entity.
///
/// Accepted: elements, attributes (quoted, unique), character data, the five predefined entity references and
/// numeric character references, comments, processing instructions, CDATA sections, an XML declaration
/// anywhere in the prolog (real files put a licence comment before it), a UTF-8 byte order mark. Refused before
/// parsing: `<!DOCTYPE` and `<!ENTITY` anywhere, even in a comment, and control characters. Refused while parsing:
/// every other markup declaration, nesting deeper than `maxDepth`, more than `maxElements` elements or
/// `maxAttributes` attributes on one element, a declared encoding the caller does not accept, and everything
/// that is not well-formed: unknown entity references, a bare `&`, unquoted or repeated attributes, mismatched
/// or missing end tags, text or a second element outside the root. Each refusal is an `XMLError`.
/// Namespaces are not resolved: prefixes are stripped from element names, and declarations are kept as
/// attributes. The input is read as UTF-8 and not validated: a caller that needs valid UTF-8 checks first.
///
/// This is the one XML parser of the project (payment messages and list files): a security fix here reaches both.
public struct XMLParser {
    /// Limits and options, chosen by each caller.
    public struct Configuration: Sendable {
        /// Elements nested deeper than this are refused (the root is at depth 1).
        public var maxDepth: Int
        /// Documents with more elements are refused.
        public var maxElements: Int
        /// Elements with more attributes are refused (the repeated-attribute check is quadratic).
        public var maxAttributes: Int
        /// Whether to record each element's line in `XMLNode.line` (list files name lines in their errors).
        public var recordsLines: Bool
        /// The encodings an XML declaration may name, lower case; nil accepts any.
        public var encodings: Set<String>?
        /// The local names the caller will switch on, numbered in `XMLNode.code`: each element's name is
        /// looked up once, here, and not again by every reader.
        public var names: XMLNameTable

        public init(maxDepth: Int = 64, maxElements: Int = 100_000, maxAttributes: Int = 32, recordsLines: Bool = false,
                    encodings: Set<String>? = nil, names: XMLNameTable = .empty) {
            self.maxDepth = maxDepth
            self.maxElements = maxElements
            self.maxAttributes = maxAttributes
            self.recordsLines = recordsLines
            self.encodings = encodings
            self.names = names
        }
    }

    private let b: UnsafeBufferPointer<UInt8>
    private let config: Configuration
    private var i = 0
    private var nodes = ContiguousArray<XMLNode>()
    /// Character data of the open elements, innermost last; each frame remembers where its own starts.
    private var scratch: [UInt8] = []
    /// The open elements. `run`, when not empty, is the frame's whole character data so far: one run of the
    /// input without references (the common case, a leaf's text), read from the input at the end tag instead of
    /// being copied into `scratch`; the frame's second piece of character data copies it there first.
    private var stack: [(node: Int32, name: Range<Int>, textStart: Int, run: Range<Int>)] = []
    /// The current start tag's attribute names and the value being read, kept from tag to tag (no array per tag).
    private var attributeNames: [Range<Int>] = []
    private var attributeValue: [UInt8] = []
    /// With `recordsLines`: the line of byte `linePosition`.
    private var line: Int32 = 1
    private var linePosition = 0

    private init(_ b: UnsafeBufferPointer<UInt8>, _ config: Configuration) {
        self.b = b
        self.config = config
    }

    /// Parses a whole document.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>, _ config: Configuration = Configuration()) throws(XMLError) -> XMLTree {
        try refuseDeclarationsAndControls(b)
        var p = XMLParser(b, config)
        p.nodes.reserveCapacity(min(b.count / 24 + 8, 4096))
        p.scratch.reserveCapacity(256)
        p.stack.reserveCapacity(16)
        try p.document()
        return XMLTree(nodes: p.nodes)
    }

    /// The pre-scan: no DTD or entity declaration anywhere, not even in a comment, and no control characters.
    ///
    /// Eight bytes at a time (SWAR): a word with no `!` and no control character other than tab, line feed
    /// and carriage return is skipped whole. Every `<!` has its `!` in some word, and that word is looked at
    /// byte by byte. (Keyed on `<`, which is in nearly every word of a message, the fast path was rarely taken.)
    private static func refuseDeclarationsAndControls(_ b: UnsafeBufferPointer<UInt8>) throws(XMLError) {
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
                    throw XMLError(.controlCharacter, at: k)
                }
                if c == UInt8(ascii: "!"), k > 0, b[k - 1] == UInt8(ascii: "<") {
                    if hasPrefixIgnoringCase(b, at: k + 1, "DOCTYPE") || hasPrefixIgnoringCase(b, at: k + 1, "ENTITY") {
                        throw XMLError(.doctypeOrEntityDeclaration, at: k - 1)
                    }
                }
                k += 1
            }
        }
    }

    private func error(_ reason: XMLError.Reason) -> XMLError { XMLError(reason, at: i) }

    @inline(__always) private func peek(_ k: Int = 0) -> UInt8? {
        i + k < b.count ? b[i + k] : nil
    }

    @inline(__always) private func at(_ s: StaticString) -> Bool {
        Self.hasPrefix(b, i..<b.count, s)
    }

    private mutating func skipSpace() -> Bool {
        // A local index: `i` itself would be stored back to memory on every byte.
        var k = i
        while k < b.count, Self.isSpace(b[k]) { k += 1 }
        let moved = k > i
        i = k
        return moved
    }

    private func string(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }

    private mutating func document() throws(XMLError) {
        if at("\u{FEFF}") { i += 3 }
        var rootDone = false
        var sawDeclaration = false
        while true {
            _ = skipSpace()
            guard i < b.count else { break }
            guard b[i] == UInt8(ascii: "<") else {
                throw error(rootDone ? .contentAfterRoot : .contentBeforeRoot)
            }
            if at("<?") {
                let start = i
                let isDeclaration = try processingInstruction()
                if isDeclaration {
                    guard !rootDone, !sawDeclaration else { throw XMLError(.misplacedDeclaration, at: start) }
                    sawDeclaration = true
                    if let accepted = config.encodings { try checkEncoding(declaration: start..<i, accepted) }
                }
            } else if at("<!--") {
                try comment()
            } else if at("<!") {
                throw error(at("<![CDATA[") ? .cdataOutsideRoot : .markupDeclaration)
            } else {
                guard !rootDone else { throw error(.moreThanOneRoot) }
                try element()
                rootDone = true
            }
        }
        guard rootDone else { throw error(.noRoot) }
    }

    /// Parses the root element and everything in it, without recursion.
    private mutating func element() throws(XMLError) {
        try startTag()
        while let open = stack.last {
            let runStart = i
            var k = i
            while k < b.count {
                let c = b[k]
                if c == UInt8(ascii: "<") || c == UInt8(ascii: "&") { break }
                if c == UInt8(ascii: ">"), k - runStart >= 2, b[k - 1] == UInt8(ascii: "]"), b[k - 2] == UInt8(ascii: "]") {
                    throw XMLError(.cdataEndInText, at: k)
                }
                k += 1
            }
            i = k
            if i > runStart { addRun(runStart..<i) }
            guard i < b.count else {
                throw error(.endsInsideElement(element: string(open.name), openedAt: open.name.lowerBound - 1))
            }
            if b[i] == UInt8(ascii: "&") {
                spillRun()
                i = try Self.reference(b, i, into: &scratch)
            } else if at("</") {
                try endTag()
            } else if at("<!--") {
                try comment()
            } else if at("<![CDATA[") {
                let cdataStart = i
                i += 9
                let start = i
                while i + 2 < b.count, !(b[i] == UInt8(ascii: "]") && b[i + 1] == UInt8(ascii: "]") && b[i + 2] == UInt8(ascii: ">")) { i += 1 }
                guard i + 2 < b.count else { throw XMLError(.unterminatedCDATA, at: cdataStart) }
                spillRun()
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
                i += 3
            } else if at("<!") {
                throw error(.markupDeclaration)
            } else if at("<?") {
                let start = i
                guard try !processingInstruction() else { throw XMLError(.misplacedDeclaration, at: start) }
            } else {
                try startTag()
            }
        }
    }

    @inline(__always) private static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }

    /// Adds a run of character data (no markup, no reference) to the innermost open element.
    ///
    /// An element's text is its character data trimmed of XML whitespace, so whitespace that comes before any
    /// other character data of the element is dropped here (it would be trimmed whatever follows).
    @inline(__always) private mutating func addRun(_ r: Range<Int>) {
        let top = stack.count - 1
        if stack[top].run.isEmpty, scratch.count == stack[top].textStart {
            var k = r.lowerBound
            while k < r.upperBound, Self.isSpace(b[k]) { k += 1 }
            if k < r.upperBound { stack[top].run = k..<r.upperBound }
            return
        }
        spillRun()
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[r]))
    }

    /// Copies the innermost open element's pending run into `scratch`, before more of its character data follows.
    @inline(__always) private mutating func spillRun() {
        let top = stack.count - 1
        let r = stack[top].run
        guard !r.isEmpty else { return }
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[r]))
        stack[top].run = 0..<0
    }

    @inline(__always) private static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    /// ASCII letters, `_` and `:` (and every byte of a multi-byte character): bit c of the mask pair.
    @inline(__always) private static func isNameStart(_ c: UInt8) -> Bool {
        c >= 0x80 || (c < 64 ? (0x0400_0000_0000_0000 as UInt64) >> c : (0x07FF_FFFE_87FF_FFFE as UInt64) >> (c &- 64)) & 1 != 0
    }

    /// A name's start characters, digits, `-` and `.`.
    @inline(__always) private static func isNameChar(_ c: UInt8) -> Bool {
        c >= 0x80 || (c < 64 ? (0x07FF_6000_0000_0000 as UInt64) >> c : (0x07FF_FFFE_87FF_FFFE as UInt64) >> (c &- 64)) & 1 != 0
    }

    private mutating func name() throws(XMLError) -> Range<Int> {
        let start = i
        guard i < b.count, Self.isNameStart(b[i]) else {
            throw error(i < b.count ? .invalidName : .endsInsideTag)
        }
        var k = i + 1
        while k < b.count, Self.isNameChar(b[k]) { k += 1 }
        i = k
        return start..<k
    }

    /// Counts the lines up to the start tag at `i` (only with `recordsLines`).
    private mutating func lineOfTag() -> Int32 {
        guard config.recordsLines else { return 0 }
        var k = linePosition
        var n = line
        while k < i {
            if b[k] == 0x0A { n += 1 }
            k += 1
        }
        linePosition = i
        line = n
        return n
    }

    private mutating func startTag() throws(XMLError) {
        let tagLine = lineOfTag()
        i += 1
        let qname = try name()
        var localStart = qname.lowerBound
        for k in qname where b[k] == UInt8(ascii: ":") { localStart = k + 1 }
        guard localStart < qname.upperBound, localStart != qname.lowerBound + 1 else { throw error(.invalidName) }
        var attributes: [XMLAttribute] = []
        attributeNames.removeAll(keepingCapacity: true)
        var empty = false
        while true {
            let spaced = skipSpace()
            guard let c = peek() else { throw error(.endsInsideTag) }
            if c == UInt8(ascii: ">") { i += 1; break }
            if c == UInt8(ascii: "/") {
                guard peek(1) == UInt8(ascii: ">") else { throw error(.invalidTag) }
                i += 2
                empty = true
                break
            }
            guard spaced else { throw error(.attributesNotSeparated) }
            // The repeated-attribute check is quadratic: bound it.
            guard attributeNames.count < config.maxAttributes else {
                throw error(.tooManyAttributes(limit: config.maxAttributes))
            }
            let attrName = try name()
            for other in attributeNames where other.count == attrName.count
                && memcmpEqual(other.lowerBound, attrName.lowerBound, attrName.count) {
                throw error(.repeatedAttribute(string(attrName)))
            }
            attributeNames.append(attrName)
            _ = skipSpace()
            guard peek() == UInt8(ascii: "=") else { throw error(.attributeWithoutValue(string(attrName))) }
            i += 1
            _ = skipSpace()
            guard let quote = peek(), quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else {
                throw error(.unquotedAttribute(string(attrName)))
            }
            i += 1
            attributeValue.removeAll(keepingCapacity: true)
            while true {
                guard let v = peek() else { throw error(.endsInsideTag) }
                if v == quote { i += 1; break }
                if v == UInt8(ascii: "<") { throw error(.lessThanInAttribute(string(attrName))) }
                if v == UInt8(ascii: "&") {
                    i = try Self.reference(b, i, into: &attributeValue)
                } else {
                    attributeValue.append(Self.isSpace(v) ? 0x20 : v)
                    i += 1
                }
            }
            attributes.append(XMLAttribute(name: string(attrName), value: String(decoding: attributeValue, as: UTF8.self)))
        }
        guard stack.count < config.maxDepth else { throw error(.tooDeep(limit: config.maxDepth)) }
        guard nodes.count < config.maxElements else { throw error(.tooManyElements(limit: config.maxElements)) }
        let index = Int32(nodes.count)
        let parent = stack.last?.node ?? -1
        let localBytes = UnsafeBufferPointer(rebasing: b[localStart..<qname.upperBound])
        if let known = config.names.lookup(localBytes) {
            nodes.append(XMLNode(name: known.name, parent: parent, attributes: attributes, line: tagLine, code: known.code))
        } else {
            nodes.append(XMLNode(name: String(decoding: localBytes, as: UTF8.self), parent: parent, attributes: attributes, line: tagLine))
        }
        if parent >= 0 {
            let p = Int(parent)
            if nodes[p].lastChild >= 0 { nodes[Int(nodes[p].lastChild)].nextSibling = index } else { nodes[p].firstChild = index }
            nodes[p].lastChild = index
        }
        if !empty { stack.append((index, qname, scratch.count, 0..<0)) }
    }

    private func memcmpEqual(_ x: Int, _ y: Int, _ count: Int) -> Bool {
        for k in 0..<count where b[x + k] != b[y + k] { return false }
        return true
    }

    private mutating func endTag() throws(XMLError) {
        let tagStart = i
        i += 2
        let qname = try name()
        _ = skipSpace()
        guard peek() == UInt8(ascii: ">") else { throw error(i < b.count ? .invalidEndTag : .endsInsideTag) }
        i += 1
        let frame = stack.removeLast()
        guard frame.name.count == qname.count, memcmpEqual(frame.name.lowerBound, qname.lowerBound, qname.count) else {
            throw XMLError(.mismatchedEndTag(found: string(qname), expected: string(frame.name), openedAt: frame.name.lowerBound - 1),
                           at: tagStart)
        }
        if !frame.run.isEmpty {
            // The element's only character data, which starts with a character that is not whitespace.
            var hi = frame.run.upperBound
            while hi > frame.run.lowerBound, Self.isSpace(b[hi - 1]) { hi -= 1 }
            nodes[Int(frame.node)].text = string(frame.run.lowerBound..<hi)
            return
        }
        guard scratch.count > frame.textStart else { return }
        var lo = frame.textStart
        var hi = scratch.count
        while lo < hi, Self.isSpace(scratch[lo]) { lo += 1 }
        while hi > lo, Self.isSpace(scratch[hi - 1]) { hi -= 1 }
        if hi > lo {
            nodes[Int(frame.node)].text = scratch.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[lo..<hi]), as: UTF8.self) }
        }
        scratch.removeSubrange(frame.textStart...)
    }

    private mutating func comment() throws(XMLError) {
        let start = i
        i += 4
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "-"), b[i + 1] == UInt8(ascii: "-") {
                guard i + 2 < b.count, b[i + 2] == UInt8(ascii: ">") else { throw error(.doubleHyphenInComment) }
                i += 3
                return
            }
            i += 1
        }
        throw XMLError(.unterminatedComment, at: start)
    }

    /// Skips `<?target ...?>`; returns whether it is the XML declaration.
    private mutating func processingInstruction() throws(XMLError) -> Bool {
        let start = i
        i += 2
        let target = try name()
        let isDeclaration = target.count == 3 && Self.hasPrefixIgnoringCase(b, at: target.lowerBound, "xml")
        while i + 1 < b.count {
            if b[i] == UInt8(ascii: "?"), b[i + 1] == UInt8(ascii: ">") {
                i += 2
                return isDeclaration
            }
            i += 1
        }
        throw XMLError(.unterminatedProcessingInstruction, at: start)
    }

    /// Refuses an `encoding="..."` in the declaration `b[r]` that is not one of `accepted`.
    private func checkEncoding(declaration r: Range<Int>, _ accepted: Set<String>) throws(XMLError) {
        let body = string(r.lowerBound + 5..<r.upperBound - 2)
        guard let e = body.firstRange(of: "encoding") else { return }
        var rest = body[e.upperBound...].drop { $0 == " " || $0 == "=" }
        guard let q = rest.first, q == "\"" || q == "'" else { return }
        rest = rest.dropFirst()
        let encoding = rest.prefix { $0 != q }.lowercased()
        guard accepted.contains(encoding) else { throw XMLError(.unsupportedEncoding(encoding), at: r.lowerBound) }
    }

    /// Decodes the reference at `i` (`&lt;` `&gt;` `&amp;` `&apos;` `&quot;` `&#N;` `&#xH;`) into `out` and returns the index after it; any other `&` is an error.
    private static func reference(_ b: UnsafeBufferPointer<UInt8>, _ i: Int, into out: inout [UInt8]) throws(XMLError) -> Int {
        let start = i + 1
        var end = start
        while end < b.count, end - start < 10, b[end] != UInt8(ascii: ";") { end += 1 }
        guard end < b.count, b[end] == UInt8(ascii: ";"), end > start else { throw XMLError(.bareAmpersand, at: i) }
        let r = start..<end
        let ref = { String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }
        if b[start] == UInt8(ascii: "#") {
            var value: UInt32 = 0
            let hex = r.count > 1 && b[start + 1] == UInt8(ascii: "x")
            let digits = (hex ? start + 2 : start + 1)..<end
            guard !digits.isEmpty, digits.count <= 8 else { throw XMLError(.invalidCharacterReference(ref()), at: i) }
            for k in digits {
                let c = b[k]
                let d: UInt32
                if isDigit(c) { d = UInt32(c - 48) }
                else if hex, (c | 0x20) &- 0x61 < 6 { d = UInt32((c | 0x20) - 0x61 + 10) }
                else { throw XMLError(.invalidCharacterReference(ref()), at: i) }
                value = value * (hex ? 16 : 10) + d
            }
            guard value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
                    || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value),
                  let scalar = Unicode.Scalar(value) else {
                throw XMLError(.invalidCharacterReference(ref()), at: i)
            }
            out.append(contentsOf: String(Character(scalar)).utf8)
            return end + 1
        }
        let byte: UInt8
        if hasPrefix(b, r, "lt"), r.count == 2 { byte = UInt8(ascii: "<") }
        else if hasPrefix(b, r, "gt"), r.count == 2 { byte = UInt8(ascii: ">") }
        else if hasPrefix(b, r, "amp"), r.count == 3 { byte = UInt8(ascii: "&") }
        else if hasPrefix(b, r, "apos"), r.count == 4 { byte = UInt8(ascii: "'") }
        else if hasPrefix(b, r, "quot"), r.count == 4 { byte = UInt8(ascii: "\"") }
        else { throw XMLError(.undefinedEntity(ref()), at: i) }
        out.append(byte)
        return end + 1
    }

    /// Whether `b[r]` starts with the ASCII bytes of `prefix`.
    @inline(__always) private static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard r.count >= n else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where b[r.lowerBound + i] != p[i] { return false }
        return true
    }

    /// Whether `b[at...]` starts with `prefix`, comparing ASCII letters case-insensitively.
    private static func hasPrefixIgnoringCase(_ b: UnsafeBufferPointer<UInt8>, at: Int, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard b.count - at >= n else { return false }
        let p = prefix.utf8Start
        for i in 0..<n {
            var c = b[at + i]
            if c &- 0x61 < 26 { c -= 0x20 }
            var d = p[i]
            if d &- 0x61 < 26 { d -= 0x20 }
            if c != d { return false }
        }
        return true
    }
}
