import CLibPQ

/// The rows of one statement, copied out of libpq into Swift values at once.
///
/// Values are text (libpq's text format); the typed accessors parse them and return nil for
/// SQL NULL, so a caller never touches a C pointer.
public struct QueryResult: Sendable {
    public let columns: [String]
    public let rows: [Row]
    /// Rows affected by INSERT/UPDATE/DELETE (0 for other statements).
    public let affectedRows: Int

    init(taking result: OpaquePointer) {
        defer { PQclear(result) }
        let nFields = Int(PQnfields(result))
        let nTuples = Int(PQntuples(result))
        var columns: [String] = []
        columns.reserveCapacity(nFields)
        for f in 0..<nFields { columns.append(String(cString: PQfname(result, Int32(f)))) }
        var rows: [Row] = []
        rows.reserveCapacity(nTuples)
        for t in 0..<nTuples {
            var values: [String?] = []
            values.reserveCapacity(nFields)
            for f in 0..<nFields {
                if PQgetisnull(result, Int32(t), Int32(f)) != 0 {
                    values.append(nil)
                } else {
                    values.append(String(cString: PQgetvalue(result, Int32(t), Int32(f))))
                }
            }
            rows.append(Row(values: values))
        }
        self.columns = columns
        self.rows = rows
        let tuples = PQcmdTuples(result).map { String(cString: $0) } ?? ""
        self.affectedRows = Int(tuples) ?? 0
    }

    /// The first row's first value, if any.
    public var scalar: String? { rows.first?.values.first ?? nil }
}

/// One row of text values.
public struct Row: Sendable {
    public let values: [String?]

    public subscript(_ index: Int) -> String? { values[index] }

    public func string(_ index: Int) -> String? { values[index] }
    public func int(_ index: Int) -> Int? { values[index].flatMap { Int($0) } }
    public func int64(_ index: Int) -> Int64? { values[index].flatMap { Int64($0) } }
    public func double(_ index: Int) -> Double? { values[index].flatMap { Double($0) } }
    public func bool(_ index: Int) -> Bool? {
        switch values[index] {
        case "t"?, "true"?: return true
        case "f"?, "false"?: return false
        default: return nil
        }
    }
}

/// Encodes Swift arrays as PostgreSQL array literals, to be sent as ONE bind parameter
/// (`$1::text[]`), so a batch of values needs one round trip and no SQL is built from data.
public enum PostgresArray {
    /// `{"a","b\"c",NULL}` — every element quoted, backslash and quote escaped.
    ///
    /// Written as UTF-8 bytes into one buffer: the decision path encodes every batch's reasons, hits and
    /// keys this way, and appending to a `String` scalar by scalar cost a visible share of the daemon's time.
    public static func text(_ values: [String?]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(2 + values.count * 3 + values.reduce(0) { $0 + ($1?.utf8.count ?? 0) })
        out.append(UInt8(ascii: "{"))
        for (i, v) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            guard let v else { out.append(contentsOf: "NULL".utf8); continue }
            out.append(UInt8(ascii: "\""))
            for b in v.utf8 {
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(b)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    public static func text(_ values: [String]) -> String { text(values.map { Optional($0) }) }

    public static func int64(_ values: [Int64]) -> String { integerLiteral(values) }

    /// `{1,-2,3}`: an integer array literal, digits written into one buffer. (Concrete overloads, not one
    /// public generic: a generic called from another module runs unspecialized, through value witnesses.)
    public static func integers(_ values: [Int32]) -> String { integerLiteral(values) }
    public static func integers(_ values: [Int64]) -> String { integerLiteral(values) }

    private static func integerLiteral<T: FixedWidthInteger>(_ values: [T]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(2 + values.count * 12)
        appendIntegers(values, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `{"{1,2}","{3}"}`: a text array whose elements are integer array literals, for
    /// `unnest($n::text[])` and a cast of each element to `integer[]` (arrays of different lengths, one
    /// parameter). The elements hold only digits, signs, commas and braces, which need no escaping in quotes.
    public static func integerArrays(_ arrays: [[Int32]]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(2 + arrays.reduce(0) { $0 + 5 + $1.count * 12 })
        out.append(UInt8(ascii: "{"))
        for (i, a) in arrays.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            appendIntegers(a, to: &out)
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private static func appendIntegers<T: FixedWidthInteger>(_ values: [T], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        for (i, v) in values.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            if v < 0 { out.append(UInt8(ascii: "-")) }
            // The magnitude as unsigned: -Int64.min does not fit an Int64.
            var m = v.magnitude
            digits.removeAll(keepingCapacity: true)
            repeat {
                digits.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: m % 10))
                m /= 10
            } while m > 0
            out.append(contentsOf: digits.reversed())
        }
        out.append(UInt8(ascii: "}"))
    }

    public static func double(_ values: [Double]) -> String {
        "{" + values.map { String($0) }.joined(separator: ",") + "}"
    }

    /// Parses a one-dimensional text array as returned by the server (`{a,"b c",NULL}`).
    public static func parseText(_ literal: String) -> [String?] {
        var out: [String?] = []
        var chars = Array(literal.unicodeScalars)
        guard chars.first == "{", chars.last == "}" else { return [] }
        chars.removeFirst(); chars.removeLast()
        var i = 0
        while i < chars.count {
            if chars[i] == "\"" {
                var s = String.UnicodeScalarView()
                i += 1
                while i < chars.count, chars[i] != "\"" {
                    if chars[i] == "\\", i + 1 < chars.count { i += 1 }
                    s.append(chars[i]); i += 1
                }
                i += 1 // closing quote
                out.append(String(s))
            } else {
                var s = String.UnicodeScalarView()
                while i < chars.count, chars[i] != "," { s.append(chars[i]); i += 1 }
                let str = String(s)
                out.append(str == "NULL" ? nil : str)
            }
            if i < chars.count, chars[i] == "," { i += 1 }
        }
        return out
    }
}
