/// Turns a message of one of the contract's formats into a `Payment`, or says why it cannot.
///
/// The parser fails closed: anything it does not fully understand (an unknown format, an unknown MT tag,
/// a DTD in XML, a truncated block, characters outside the SWIFT X set in an MT text block) is a
/// `MessageParseError`, never a partial `Payment`. Errors carry a short reason that names at most a tag
/// or element name, never message text, so they can be logged (payment text is personal data).
///
/// Thread safety: stateless; call from any thread or task.
public enum MessageParser {
    /// Largest ISO 20022 document accepted, in UTF-8 bytes (CBPR+ messages are a few KiB).
    public static let maxXMLBytes = 1 << 20
    /// Largest SWIFT MT message accepted, in UTF-8 bytes (a FIN text block is at most 10,000 characters).
    public static let maxMTBytes = 64 << 10

    /// Parses one message of the given format.
    ///
    /// `format` is the contract's string (`mt103`, `mt202`, `mt202cov`, `pacs.008`, `pacs.009`); anything
    /// else is `.unknownFormat`. An `mt202` that carries `{119:COV}` is parsed as a cover payment and
    /// returned with format `.mt202cov`, so that its sequence B customers are screened.
    public static func parse(format: String, message: String) throws(MessageParseError) -> Payment {
        guard let kind = MessageFormat(rawValue: format) else {
            throw MessageParseError(.unknownFormat, "unsupported format")
        }
        var text = message
        let result: Result<Payment, MessageParseError> = text.withUTF8 { bytes in
            Result { () throws(MessageParseError) -> Payment in
                try parse(kind: kind, bytes: bytes)
            }
        }
        return try result.get()
    }

    /// Parses UTF-8 bytes already known to be of `kind`; the bytes must stay valid for the call only.
    static func parse(kind: MessageFormat, bytes: UnsafeBufferPointer<UInt8>) throws(MessageParseError) -> Payment {
        if Bytes.isBlank(bytes) {
            throw MessageParseError(.empty, "empty message")
        }
        switch kind {
        case .mt103, .mt202, .mt202cov:
            guard bytes.count <= maxMTBytes else { throw MessageParseError(.tooLarge, "message over \(maxMTBytes) bytes") }
            return try MTParser.parse(bytes, expected: kind)
        case .pacs008, .pacs009:
            guard bytes.count <= maxXMLBytes else { throw MessageParseError(.tooLarge, "document over \(maxXMLBytes) bytes") }
            return try ISOParser.parse(bytes, expected: kind)
        }
    }
}

/// Byte-level helpers of the MT and ISO parsers.
enum Bytes {
    @inline(__always) static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D }
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    @inline(__always) static func isUpper(_ c: UInt8) -> Bool { c &- 0x41 < 26 }
    @inline(__always) static func isUpperAlnum(_ c: UInt8) -> Bool { isUpper(c) || isDigit(c) }

    /// True when the buffer holds nothing but spaces, tabs and line breaks (or nothing at all).
    static func isBlank(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in b where !isSpace(c) { return false }
        return true
    }

    /// Makes a String from a byte range of a buffer that holds valid UTF-8 (any String's bytes).
    @inline(__always) static func string(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self)
    }

    /// A BIC as written: 4 alphanumerics (institution), 2 letters (country), 2 alphanumerics (location),
    /// optionally 3 alphanumerics (branch). Upper case only.
    static func isBIC(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>) -> Bool {
        guard r.count == 8 || r.count == 11 else { return false }
        let s = r.lowerBound
        for i in 0..<4 where !isUpperAlnum(b[s + i]) { return false }
        guard isUpper(b[s + 4]), isUpper(b[s + 5]) else { return false }
        for i in 6..<r.count where !isUpperAlnum(b[s + i]) { return false }
        return true
    }

    /// Whether `b[r]` starts with the ASCII bytes of `prefix`.
    @inline(__always) static func hasPrefix(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard r.count >= n else { return false }
        let p = prefix.utf8Start
        for i in 0..<n where b[r.lowerBound + i] != p[i] { return false }
        return true
    }
}
