/// A parsed JSON value (RFC 8259), for the FollowTheMoney JSON lines of `opensanctions`.
///
/// A small strict parser instead of Foundation's: it reports what is wrong in words that fit into a
/// `ListFileError` for the offending line, and it needs nothing beyond the standard library.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// Strings of an array (or a single string), skipping other values.
    var strings: [String] {
        switch self {
        case .string(let s): return [s]
        case .array(let a): return a.compactMap { $0.string }
        default: return []
        }
    }

    /// Parses one JSON text; `bytes` must be valid UTF-8. Throws a message describing the defect.
    static func parse(_ bytes: ArraySlice<UInt8>) throws(JSONError) -> JSONValue {
        var p = Parser(b: bytes, i: bytes.startIndex)
        p.space()
        let v = try p.value(depth: 0)
        p.space()
        guard p.i == bytes.endIndex else { throw JSONError("unexpected text after the JSON value") }
        return v
    }

    struct JSONError: Error {
        var message: String
        init(_ m: String) { message = m }
    }

    private struct Parser {
        let b: ArraySlice<UInt8>
        var i: Int

        mutating func space() {
            while i < b.endIndex, b[i] == 0x20 || b[i] == 0x09 || b[i] == 0x0A || b[i] == 0x0D { i += 1 }
        }

        mutating func value(depth: Int) throws(JSONError) -> JSONValue {
            guard depth < 128 else { throw JSONError("nested deeper than 128 levels") }
            guard i < b.endIndex else { throw JSONError("unexpected end of line (truncated JSON?)") }
            switch b[i] {
            case UInt8(ascii: "{"):
                i += 1
                var o: [String: JSONValue] = [:]
                space()
                if i < b.endIndex, b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                while true {
                    space()
                    guard i < b.endIndex, b[i] == UInt8(ascii: "\"") else { throw JSONError("expected a string key") }
                    let k = try string()
                    space()
                    guard i < b.endIndex, b[i] == UInt8(ascii: ":") else { throw JSONError("expected ':' after key \"\(k)\"") }
                    i += 1
                    space()
                    o[k] = try value(depth: depth + 1)
                    space()
                    guard i < b.endIndex else { throw JSONError("unexpected end of line (truncated JSON?)") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                    throw JSONError("expected ',' or '}' in an object")
                }
            case UInt8(ascii: "["):
                i += 1
                var a: [JSONValue] = []
                space()
                if i < b.endIndex, b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                while true {
                    space()
                    a.append(try value(depth: depth + 1))
                    space()
                    guard i < b.endIndex else { throw JSONError("unexpected end of line (truncated JSON?)") }
                    if b[i] == UInt8(ascii: ",") { i += 1; continue }
                    if b[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                    throw JSONError("expected ',' or ']' in an array")
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            default:
                return .number(try number())
            }
        }

        mutating func literal(_ s: StaticString) throws(JSONError) {
            let n = s.utf8CodeUnitCount
            guard i + n <= b.endIndex else { throw JSONError("invalid literal") }
            let ok = s.withUTF8Buffer { p in (0..<n).allSatisfy { b[i + $0] == p[$0] } }
            guard ok else { throw JSONError("invalid literal") }
            i += n
        }

        mutating func number() throws(JSONError) -> Double {
            let s = i
            while i < b.endIndex, let c = Optional(b[i]),
                  (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") || c == UInt8(ascii: ".")
                    || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { i += 1 }
            guard i > s, let d = Double(String(decoding: b[s..<i], as: UTF8.self)) else {
                throw JSONError("unexpected character '\(String(decoding: b[s..<min(s + 1, b.endIndex)], as: UTF8.self))'")
            }
            return d
        }

        mutating func string() throws(JSONError) -> String {
            i += 1  // opening quote
            var out: [UInt8] = []
            while true {
                guard i < b.endIndex else { throw JSONError("unterminated string (truncated JSON?)") }
                let c = b[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                if c < 0x20 { throw JSONError("control character in a string") }
                if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
                i += 1
                guard i < b.endIndex else { throw JSONError("unterminated escape") }
                let e = b[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var u = try hex4()
                    if (0xD800...0xDBFF).contains(u) {
                        guard i + 1 < b.endIndex, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") else {
                            throw JSONError("unpaired surrogate in \\u escape")
                        }
                        i += 2
                        let lo = try hex4()
                        guard (0xDC00...0xDFFF).contains(lo) else { throw JSONError("unpaired surrogate in \\u escape") }
                        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    guard let scalar = Unicode.Scalar(u) else { throw JSONError("invalid \\u escape") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: throw JSONError("invalid escape \\\(Character(Unicode.Scalar(e)))")
                }
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() throws(JSONError) -> UInt32 {
            guard i + 4 <= b.endIndex, let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16) else {
                throw JSONError("invalid \\u escape")
            }
            i += 4
            return v
        }
    }
}
