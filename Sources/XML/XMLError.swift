/// Why a document was refused, and where.
///
/// `description` names the problem only, never document text (a payment message is personal data); the
/// names a caller may want in its own messages (an entity, an element) are in `reason`. `offset` is the byte
/// offset in the input where the problem was found; `line(in:)` turns it into a line number.
public struct XMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: Reason
    public var offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    /// The refusals, one case each.
    public enum Reason: Sendable, Equatable {
        // Forbidden: what a strict parser without a DTD never reads.
        /// `<!DOCTYPE` or `<!ENTITY`, anywhere, even in a comment.
        case doctypeOrEntityDeclaration
        /// Any other `<!` declaration (`<!ELEMENT`, `<!ATTLIST`, ...).
        case markupDeclaration
        // Limits.
        case tooDeep(limit: Int)
        case tooManyElements(limit: Int)
        case tooManyAttributes(limit: Int)
        /// The XML declaration names an encoding the caller does not accept.
        case unsupportedEncoding(String)
        // Not well-formed.
        case controlCharacter
        case contentBeforeRoot
        case contentAfterRoot
        case moreThanOneRoot
        case noRoot
        case misplacedDeclaration
        case cdataOutsideRoot
        case cdataEndInText
        case unterminatedCDATA
        case unterminatedComment
        case doubleHyphenInComment
        case unterminatedProcessingInstruction
        /// The document ends before the element named `element` (qualified), opened at byte `openedAt`, is closed.
        case endsInsideElement(element: String, openedAt: Int)
        case endsInsideTag
        case invalidName
        case invalidTag
        case invalidEndTag
        case mismatchedEndTag(found: String, expected: String, openedAt: Int)
        case attributesNotSeparated
        case repeatedAttribute(String)
        case attributeWithoutValue(String)
        case unquotedAttribute(String)
        case lessThanInAttribute(String)
        case bareAmpersand
        case undefinedEntity(String)
        case invalidCharacterReference(String)
    }

    /// The three kinds of refusal a caller usually tells apart.
    public enum Category: Sendable {
        /// A DTD, an entity or another markup declaration: the input may be an attack.
        case forbidden
        /// Over a limit of the configuration.
        case tooDeep, tooLarge
        /// Not well-formed XML, or an encoding the caller does not read.
        case malformed
    }

    public var category: Category {
        switch reason {
        case .doctypeOrEntityDeclaration, .markupDeclaration: .forbidden
        case .tooDeep: .tooDeep
        case .tooManyElements, .tooManyAttributes: .tooLarge
        default: .malformed
        }
    }

    public var description: String {
        switch reason {
        case .doctypeOrEntityDeclaration: "DTD or entity declaration"
        case .markupDeclaration: "markup declaration"
        case .tooDeep(let limit): "nesting deeper than \(limit)"
        case .tooManyElements(let limit): "more than \(limit) elements"
        case .tooManyAttributes(let limit): "more than \(limit) attributes on an element"
        case .unsupportedEncoding: "unsupported encoding in the XML declaration"
        case .controlCharacter: "control character"
        case .contentBeforeRoot: "content before the root element"
        case .contentAfterRoot: "content after the root element"
        case .moreThanOneRoot: "more than one root element"
        case .noRoot: "no root element"
        case .misplacedDeclaration: "misplaced XML declaration"
        case .cdataOutsideRoot: "CDATA outside the root element"
        case .cdataEndInText: "']]>' in character data"
        case .unterminatedCDATA: "unterminated CDATA section"
        case .unterminatedComment: "unterminated comment"
        case .doubleHyphenInComment: "'--' inside a comment"
        case .unterminatedProcessingInstruction: "unterminated processing instruction"
        case .endsInsideElement: "document ends inside an element"
        case .endsInsideTag: "document ends inside a tag"
        case .invalidName: "invalid name"
        case .invalidTag: "invalid tag"
        case .invalidEndTag: "invalid end tag"
        case .mismatchedEndTag: "mismatched end tag"
        case .attributesNotSeparated: "attributes must be separated by white space"
        case .repeatedAttribute: "repeated attribute"
        case .attributeWithoutValue: "attribute without value"
        case .unquotedAttribute: "unquoted attribute value"
        case .lessThanInAttribute: "'<' in attribute value"
        case .bareAmpersand: "bare '&' or unterminated reference"
        case .undefinedEntity: "undefined entity reference"
        case .invalidCharacterReference: "invalid character reference"
        }
    }

    /// The 1-based line of `offset` in `bytes` (the input the error came from).
    public func line(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        Self.line(of: offset, in: bytes)
    }

    /// The 1-based line of byte `offset` in `bytes`.
    public static func line(of offset: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var line = 1
        for k in 0..<min(offset, bytes.count) where bytes[k] == 0x0A { line += 1 }
        return line
    }
}
