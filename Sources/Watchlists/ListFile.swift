#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The bytes of one list file together with the name used in error messages.
///
/// Parsers work on bytes, not on `String`, so that a 4 MB SDN file is read in one pass and an
/// invalid byte can be reported with its line number.
public struct ListFile: Sendable {
    /// The path as given on the command line (or any label); used in `ListFileError.file`.
    public var name: String
    public var bytes: [UInt8]

    public init(name: String, bytes: [UInt8]) {
        self.name = name
        self.bytes = bytes
    }

    public init(name: String, text: String) {
        self.name = name
        self.bytes = Array(text.utf8)
    }

    /// The last path component, lower-cased: how the OFAC parser recognises `sdn.csv`, `alt.csv`, ….
    public var baseName: String {
        let last = name.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? name
        return last.lowercased()
    }

    /// The extension of the base name, lower-cased, without the dot ("" when there is none).
    public var fileExtension: String {
        let base = baseName
        guard let dot = base.lastIndex(of: ".") else { return "" }
        return String(base[base.index(after: dot)...])
    }

    /// Reads a whole file from disk.
    public static func read(path: String) throws(ListFileError) -> ListFile {
        guard let fp = fopen(path, "rb") else {
            throw ListFileError(file: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(fp) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, fp) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(fp) != 0 {
                    throw ListFileError(file: path, message: "read error: \(String(cString: strerror(errno)))")
                }
                break
            }
        }
        return ListFile(name: path, bytes: bytes)
    }

    /// Fails unless the bytes are valid UTF-8, naming the line of the first bad byte.
    func requireUTF8() throws(ListFileError) {
        if let bad = UTF8Check.firstInvalidOffset(bytes) {
            throw ListFileError(file: name, line: UTF8Check.line(of: bad, in: bytes),
                                message: "invalid UTF-8 at byte offset \(bad) (the file must be UTF-8 encoded)")
        }
    }

    /// Where the content starts: after a UTF-8 byte order mark if there is one.
    var contentStart: Int {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF ? 3 : 0
    }

    /// Whether the first character after a byte order mark and white space is `<`: XML, not CSV.
    var startsWithMarkup: Bool {
        bytes[contentStart...].first { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D } == UInt8(ascii: "<")
    }

    func error(line: Int?, _ message: String) -> ListFileError {
        ListFileError(file: name, line: line, message: message)
    }
}

/// A strict UTF-8 validator that reports where validation failed.
enum UTF8Check {
    /// The offset of the first byte that does not start or continue a well-formed UTF-8 sequence, or nil.
    ///
    /// Rejects overlong forms, surrogates and code points above U+10FFFF, as `String(validating:)` does.
    static func firstInvalidOffset(_ b: [UInt8]) -> Int? {
        b.withUnsafeBufferPointer { p -> Int? in
            var i = 0
            let n = p.count
            while i < n {
                let c = p[i]
                if c < 0x80 { i += 1; continue }
                var need = 0
                var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
                switch c {
                case 0xC2...0xDF: need = 1
                case 0xE0: need = 2; lo = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: need = 2
                case 0xED: need = 2; hi = 0x9F
                case 0xF0: need = 3; lo = 0x90
                case 0xF1...0xF3: need = 3
                case 0xF4: need = 3; hi = 0x8F
                default: return i
                }
                if i + need >= n { return i }  // the sequence is cut off by the end of the file
                let first = p[i + 1]
                if first < lo || first > hi { return i }
                var k = 2
                while k <= need {
                    let cc = p[i + k]
                    if cc < 0x80 || cc > 0xBF { return i }
                    k += 1
                }
                i += need + 1
            }
            return nil
        }
    }

    /// The 1-based line number of a byte offset.
    static func line(of offset: Int, in b: [UInt8]) -> Int {
        var line = 1
        var i = 0
        let end = min(offset, b.count)
        while i < end {
            if b[i] == 0x0A { line += 1 }
            i += 1
        }
        return line
    }
}
