/// One record of a CSV file.
struct CSVRecord {
    var fields: [String]
    /// The 1-based line on which the record starts.
    var line: Int
    /// True when the file ended inside a quoted field: the record was cut off.
    var truncated: Bool
}

/// An RFC 4180 CSV reader over bytes that keeps line numbers.
///
/// - Quoted fields may hold commas, doubled quotes and line breaks; CRLF and LF both end a record.
/// - Blank lines and a line holding only the DOS end-of-file byte 0x1A (OFAC files end with one) are skipped.
/// - With `ofacNulls`, a field that is `-0-` after trimming (OFAC writes `-0- `) reads as "".
/// - A character after a closing quote other than the delimiter or a line end is an error: such a file is
///   not CSV and guessing what it means would import the wrong data.
/// The caller validates UTF-8 first; fields are decoded without further checks.
struct CSVReader {
    private let file: ListFile
    private let ofacNulls: Bool
    private let delimiter: UInt8
    private let comments: Bool
    private var i: Int
    private var line = 1

    /// - Parameter comments: skip lines that start with `#` (the indicators format).
    init(file: ListFile, ofacNulls: Bool = false, delimiter: UInt8 = UInt8(ascii: ","), comments: Bool = false) {
        self.file = file
        self.ofacNulls = ofacNulls
        self.delimiter = delimiter
        self.comments = comments
        self.i = file.contentStart
    }

    /// The next record, or nil at the end of the file.
    mutating func next() throws(ListFileError) -> CSVRecord? {
        let b = file.bytes
        let n = b.count
        // Skip blank lines and the 0x1A end-of-file line.
        while i < n {
            let c = b[i]
            if c == 0x0D { i += 1; continue }
            if c == 0x0A { i += 1; line += 1; continue }
            if comments, c == UInt8(ascii: "#") {
                while i < n, b[i] != 0x0A { i += 1 }
                continue
            }
            if c == 0x1A {
                var j = i + 1
                while j < n, b[j] == 0x0D || b[j] == 0x0A || b[j] == 0x1A || b[j] == 0x20 { j += 1 }
                if j == n { i = n; return nil }
                throw file.error(line: line, "unexpected 0x1A (Ctrl-Z) byte before the end of the file")
            }
            break
        }
        if i >= n { return nil }

        let startLine = line
        var fields: [String] = []
        fields.reserveCapacity(32)
        var buf: [UInt8] = []
        buf.reserveCapacity(256)
        while true {
            buf.removeAll(keepingCapacity: true)
            var quoted = false
            if i < n, b[i] == UInt8(ascii: "\"") {
                quoted = true
                i += 1
                var closed = false
                while i < n {
                    let c = b[i]
                    if c == UInt8(ascii: "\"") {
                        if i + 1 < n, b[i + 1] == UInt8(ascii: "\"") {
                            buf.append(c)
                            i += 2
                            continue
                        }
                        i += 1
                        closed = true
                        break
                    }
                    if c == 0x0A { line += 1 }
                    buf.append(c)
                    i += 1
                }
                if !closed {
                    fields.append(decode(buf, quoted: true))
                    return CSVRecord(fields: fields, line: startLine, truncated: true)
                }
                // Tolerate spaces between the closing quote and the delimiter.
                while i < n, b[i] == 0x20 { i += 1 }
                if i < n, b[i] != delimiter, b[i] != 0x0D, b[i] != 0x0A, b[i] != 0x1A {
                    throw file.error(line: line, "unexpected character after a closing quote in field \(fields.count + 1)")
                }
            } else {
                while i < n {
                    let c = b[i]
                    if c == delimiter || c == 0x0D || c == 0x0A { break }
                    if c == 0x1A, isTrailingEOF(from: i) { break }
                    buf.append(c)
                    i += 1
                }
            }
            fields.append(decode(buf, quoted: quoted))
            if i >= n { break }
            let c = b[i]
            if c == delimiter { i += 1; continue }
            if c == 0x0D {
                i += 1
                if i < n, b[i] == 0x0A { i += 1; line += 1 }
                break
            }
            if c == 0x0A { i += 1; line += 1; break }
            if c == 0x1A { break }  // trailing Ctrl-Z right after the last record
        }
        return CSVRecord(fields: fields, line: startLine, truncated: false)
    }

    private func isTrailingEOF(from k: Int) -> Bool {
        let b = file.bytes
        var j = k + 1
        while j < b.count, b[j] == 0x0D || b[j] == 0x0A || b[j] == 0x1A || b[j] == 0x20 { j += 1 }
        return j == b.count
    }

    private func decode(_ buf: [UInt8], quoted: Bool) -> String {
        if ofacNulls, isOFACNull(buf) { return "" }
        return String(decoding: buf, as: UTF8.self)
    }

    private func isOFACNull(_ buf: [UInt8]) -> Bool {
        var s = 0, e = buf.count
        while s < e, buf[s] == 0x20 { s += 1 }
        while e > s, buf[e - 1] == 0x20 { e -= 1 }
        return e - s == 3 && buf[s] == UInt8(ascii: "-") && buf[s + 1] == UInt8(ascii: "0") && buf[s + 2] == UInt8(ascii: "-")
    }
}

/// A header-indexed view of a CSV file's columns.
struct CSVHeader {
    let names: [String]
    private let index: [String: Int]

    init(_ fields: [String]) {
        names = fields.map { $0.trimmed.lowercased() }
        var idx: [String: Int] = [:]
        for (k, v) in names.enumerated() where idx[v] == nil { idx[v] = k }
        index = idx
    }

    func column(_ name: String) -> Int? { index[name.lowercased()] }

    func column(anyOf names: [String]) -> Int? {
        for n in names { if let c = index[n.lowercased()] { return c } }
        return nil
    }

    /// True when a record repeats the header (as in the CSL file's second line).
    func isRepeat(of fields: [String]) -> Bool {
        fields.count == names.count && zip(fields, names).allSatisfy { $0.trimmed.lowercased() == $1 }
    }
}

extension Array where Element == String {
    /// The field at `i`, trimmed, or "" when the column is absent.
    func field(_ i: Int?) -> String {
        guard let i, i >= 0, i < count else { return "" }
        return self[i].trimmed
    }
}
