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
    public static func text(_ values: [String?]) -> String {
        var out = "{"
        var first = true
        for v in values {
            if !first { out += "," }
            first = false
            guard let v else { out += "NULL"; continue }
            out += "\""
            for ch in v.unicodeScalars {
                if ch == "\"" || ch == "\\" { out += "\\" }
                out.unicodeScalars.append(ch)
            }
            out += "\""
        }
        out += "}"
        return out
    }

    public static func text(_ values: [String]) -> String { text(values.map { Optional($0) }) }

    public static func int64(_ values: [Int64]) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
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
