import XML

/// Reads a list file's XML with the project's one strict parser (`XML.XMLParser`), and says what is wrong
/// with a refused file in the terms of a list file: its name, the line, and the element or entity at fault.
///
/// Names are local names: a namespace prefix (`ns:`) is dropped, and namespace URIs are ignored, because
/// the list formats are recognised by their element names and some publishers change prefixes. For the same
/// reason two attributes of one element with the same local name are refused. The file must be UTF-8.
enum ListXML {
    /// List files are large (the OFAC SDN file has hundreds of thousands of elements) but shallow.
    static let configuration = XMLParser.Configuration(
        maxDepth: 256, maxElements: .max, maxAttributes: .max, recordsLines: true,
        encodings: ["utf-8", "utf8", "us-ascii", "ascii"])

    /// Parses the whole file and returns its root element.
    static func parse(_ file: ListFile) throws(ListFileError) -> XMLTree.Element {
        if file.bytes.count >= 2, (file.bytes[0] == 0xFE && file.bytes[1] == 0xFF) || (file.bytes[0] == 0xFF && file.bytes[1] == 0xFE) {
            throw file.error(line: 1, "UTF-16 XML is not supported; convert the file to UTF-8")
        }
        try file.requireUTF8()
        let parsed: Result<XMLTree, XMLError> = file.bytes.withUnsafeBufferPointer { b in
            Result { () throws(XMLError) -> XMLTree in try XMLParser.parse(b, configuration) }
        }
        switch parsed {
        case .success(let tree):
            try refuseRepeatedLocalNames(tree, file)
            return tree.root
        case .failure(let error):
            throw file.bytes.withUnsafeBufferPointer { b in
                file.error(line: error.line(in: b), message(error, lineOf: { XMLError.line(of: $0, in: b) }))
            }
        }
    }

    /// `a:k` and `b:k` on one element are the same attribute to a reader that ignores prefixes.
    private static func refuseRepeatedLocalNames(_ tree: XMLTree, _ file: ListFile) throws(ListFileError) {
        for node in tree.nodes where node.attributes.count > 1 {
            let names = node.attributes.filter { !$0.isNamespaceDeclaration }.map(\.localName)
            if let repeated = names.indices.first(where: { names[..<$0].contains(names[$0]) }) {
                throw file.error(line: Int(node.line), "duplicate attribute \(names[repeated]) in <\(node.name)>")
            }
        }
    }

    /// The refusal in a list file's terms: names of elements and entities are public list data, so unlike a
    /// payment message's reason it may quote them.
    private static func message(_ e: XMLError, lineOf: (Int) -> Int) -> String {
        switch e.reason {
        case .doctypeOrEntityDeclaration, .markupDeclaration:
            "DOCTYPE and other <! declarations are refused: entity definitions are never expanded"
        case .tooDeep(let limit): "elements nested deeper than \(limit) levels"
        case .unsupportedEncoding(let encoding):
            "unsupported encoding \"\(encoding)\" in the XML declaration; only UTF-8 is read"
        case .contentBeforeRoot: "text before the root element (not an XML file?)"
        case .contentAfterRoot, .moreThanOneRoot: "content after the root element"
        case .noRoot: "no root element (empty or not an XML file)"
        case .unterminatedCDATA, .unterminatedComment, .unterminatedProcessingInstruction, .endsInsideTag:
            "truncated XML: \(e)"
        case .endsInsideElement(let element, let openedAt):
            "truncated XML: element <\(element)> opened at line \(lineOf(openedAt)) is not closed"
        case .invalidName: "invalid element name or attribute name"
        case .mismatchedEndTag(let found, let expected, let openedAt):
            "mismatched end tag </\(found)>: expected </\(expected)> (opened at line \(lineOf(openedAt)))"
        case .repeatedAttribute(let name): "duplicate attribute \(name)"
        case .attributeWithoutValue(let name): "attribute \(name) has no value"
        case .unquotedAttribute(let name): "unquoted value of attribute \(name)"
        case .lessThanInAttribute(let name): "'<' in the value of attribute \(name)"
        case .bareAmpersand: "bare '&' (an unescaped ampersand or an unterminated entity reference)"
        case .undefinedEntity(let name):
            "undefined entity &\(name); (only the five predefined XML entities are accepted; entities are never expanded)"
        case .invalidCharacterReference(let ref): "invalid character reference &\(ref);"
        default: "malformed XML: \(e)"
        }
    }
}

extension XMLTree.Element {
    /// The attribute trimmed, or "" when absent.
    func attr(_ n: String) -> String { attribute(n)?.trimmed ?? "" }

    /// The trimmed text of the first child named `n`, or "".
    func childText(_ n: String) -> String { child(n)?.text.collapsedWhitespace ?? "" }
}
