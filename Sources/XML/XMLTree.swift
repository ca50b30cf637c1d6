/// One attribute of an element: its qualified name as written and its value with references replaced.
public struct XMLAttribute: Sendable, Equatable {
    public var name: String
    public var value: String

    /// The name without its namespace prefix.
    public var localName: Substring {
        guard let colon = name.lastIndex(of: ":") else { return Substring(name) }
        return name[name.index(after: colon)...]
    }

    /// Whether this is a namespace declaration (`xmlns` or `xmlns:p`), not data.
    public var isNamespaceDeclaration: Bool { name == "xmlns" || name.hasPrefix("xmlns:") }
}

/// One element of a parsed document, linked to its parent, first child and next sibling by index.
public struct XMLNode: Sendable {
    /// Local name: the qualified name without its namespace prefix.
    public internal(set) var name: String
    public internal(set) var parent: Int32
    public internal(set) var firstChild: Int32 = -1
    public internal(set) var lastChild: Int32 = -1
    public internal(set) var nextSibling: Int32 = -1
    /// The element's own character data (text, references, CDATA), concatenated and trimmed of XML whitespace.
    public internal(set) var text: String = ""
    public internal(set) var attributes: [XMLAttribute] = []
    /// The line of the start tag when the parser was asked to record lines (`XMLParser.Configuration.recordsLines`), else 0.
    public internal(set) var line: Int32 = 0
    /// The caller's number for this local name (see `XMLNameTable`), 0 when it has none.
    public internal(set) var code: UInt16 = 0
}

/// A parsed XML document: its elements in document order (so index order is a pre-order walk), root at 0.
public struct XMLTree: Sendable {
    public internal(set) var nodes: ContiguousArray<XMLNode>

    /// The child elements of element `i`, in order.
    public func children(_ i: Int) -> XMLChildren { XMLChildren(nodes: nodes, cursor: nodes[i].firstChild) }

    /// The first child element of `i` with the given local name.
    public func child(_ i: Int, _ name: String) -> Int? {
        for c in children(i) where nodes[c].name == name { return c }
        return nil
    }

    /// The text of the first child element of `i` with the given local name, if it has any.
    public func childText(_ i: Int, _ name: String) -> String? {
        guard let c = child(i, name), !nodes[c].text.isEmpty else { return nil }
        return nodes[c].text
    }

    /// The elements of the subtree under `i` (not `i` itself), in document order.
    public func descendants(_ i: Int) -> Range<Int> {
        var end = i + 1
        // Nodes are stored in pre-order: the subtree ends at the first node that is not a descendant.
        while end < nodes.count, isDescendant(end, of: i) { end += 1 }
        return i + 1..<end
    }

    public func isDescendant(_ j: Int, of i: Int) -> Bool {
        var p = Int(nodes[j].parent)
        while p >= i {
            if p == i { return true }
            p = Int(nodes[p].parent)
        }
        return false
    }

    /// The root element as a value that reads like a nested tree.
    public var root: Element { Element(tree: self, index: 0) }

    /// One element of the tree, read like a nested tree (`child`, `children`, `descendants` by name): the
    /// shape the list-file readers are written in. It is an index into the tree, not a copy of the element.
    public struct Element: Sendable {
        public let tree: XMLTree
        public let index: Int

        public var node: XMLNode { tree.nodes[index] }
        public var name: String { tree.nodes[index].name }
        public var text: String { tree.nodes[index].text }
        /// The line of the start tag (0 unless the parser recorded lines).
        public var line: Int { Int(tree.nodes[index].line) }

        /// The value of the first attribute with this local name, namespace declarations left out.
        public func attribute(_ localName: String) -> String? {
            tree.nodes[index].attributes.first { !$0.isNamespaceDeclaration && $0.localName == localName }?.value
        }

        /// All child elements, in order.
        public var children: [Element] { tree.children(index).map { Element(tree: tree, index: $0) } }

        /// The child elements with this local name, in order.
        public func children(_ name: String) -> [Element] {
            tree.children(index).compactMap { tree.nodes[$0].name == name ? Element(tree: tree, index: $0) : nil }
        }

        /// The first child element with this local name.
        public func child(_ name: String) -> Element? { tree.child(index, name).map { Element(tree: tree, index: $0) } }

        /// The elements with this local name anywhere below this one, in document order.
        public func descendants(_ name: String) -> [Element] {
            tree.descendants(index).compactMap { tree.nodes[$0].name == name ? Element(tree: tree, index: $0) : nil }
        }
    }
}

/// Iterates the children of one element.
public struct XMLChildren: Sequence, IteratorProtocol {
    let nodes: ContiguousArray<XMLNode>
    var cursor: Int32
    public mutating func next() -> Int? {
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
public struct XMLNameTable: Sendable {
    private var slots: [Int32]            // index into `names`, -1 when empty
    private var names: [String] = []
    private var codes: [UInt16] = []
    private var starts: [Int32] = []      // pool[starts[k]..<starts[k + 1]] are names[k]'s bytes
    private var pool: [UInt8] = []
    private let mask: Int

    public static let empty = XMLNameTable([:])

    public init(_ table: [String: UInt16]) {
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
    public func lookup(_ b: UnsafeBufferPointer<UInt8>) -> (name: String, code: UInt16)? {
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
