/// Small string helpers shared by the parsers (no Foundation).
extension StringProtocol {
    /// The string without leading and trailing whitespace and newlines.
    var trimmed: String {
        // Fast path, for the many values that start and end with a printable ASCII character (list files have
        // millions of them): no Character is built.
        let whole = String(self)
        if let f = whole.utf8.first, let l = whole.utf8.last, f > 0x20, f < 0x7F, l > 0x20, l < 0x7F { return whole }
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }

    /// Whitespace runs (including line breaks) collapsed to one space, trimmed.
    var collapsedWhitespace: String {
        // Fast path: printable ASCII with single inner spaces is already collapsed.
        var previousSpace = true
        var collapsed = true
        for b in utf8 {
            if b == 0x20 {
                if previousSpace { collapsed = false; break }
                previousSpace = true
            } else if b > 0x20, b < 0x7F {
                previousSpace = false
            } else {
                collapsed = false
                break
            }
        }
        if collapsed, !previousSpace { return String(self) }
        var out = ""
        out.reserveCapacity(utf8.count)
        var pendingSpace = false
        for ch in self {
            if ch.isWhitespace {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(ch)
            }
        }
        return out
    }

    /// Splits on a multi-character separator such as `"; "`, trimming parts and dropping empty ones.
    func splitList(_ separator: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(self)
        while let r = rest.range(ofLiteral: separator) {
            let p = rest[rest.startIndex..<r.lowerBound].trimmed
            if !p.isEmpty { parts.append(p) }
            rest = rest[r.upperBound...]
        }
        let p = rest.trimmed
        if !p.isEmpty { parts.append(p) }
        return parts
    }

    /// The range of the first occurrence of `needle` (exact, case-sensitive).
    func range(ofLiteral needle: String) -> Range<Index>? {
        let n = Array(needle.utf8)
        guard let first = n.first else { return nil }
        let u = utf8
        var idx = u.startIndex
        while idx != u.endIndex {
            if u[idx] == first {
                var a = idx
                var k = 0
                while k < n.count, a != u.endIndex, u[a] == n[k] {
                    a = u.index(after: a)
                    k += 1
                }
                if k == n.count {
                    // `idx` and `a` are on scalar boundaries because `needle` is valid UTF-8.
                    return idx..<a
                }
            }
            idx = u.index(after: idx)
        }
        return nil
    }
}

/// Recognises SWIFT/BIC codes.
enum BIC {
    /// True for an 8- or 11-character BIC: 4 letters (institution), 2 letters (country),
    /// 2 letters or digits (location), and an optional 3-character branch.
    static func isValid(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard u.count == 8 || u.count == 11 else { return false }
        for k in 0..<6 where !isUpperLetter(u[k]) { return false }
        for k in 6..<u.count where !(isUpperLetter(u[k]) || isDigit(u[k])) { return false }
        return true
    }

    /// The BIC normalised (upper case, spaces removed) if it is valid.
    static func normalize(_ s: String) -> String? {
        let t = String(s.uppercased().filter { !$0.isWhitespace })
        return isValid(t) ? t : nil
    }

    /// BICs written in free text as `SWIFT/BIC XXXXXXXX`, `SWIFT: X`, `SWIFT/BIC: X` or `SWIFT BIC X`.
    ///
    /// The same pattern was used to build `russia/russian_bank_bics.csv`:
    /// `SWIFT(?:/BIC)?[:,]?\s+([A-Z0-9]{8}(?:[A-Z0-9]{3})?)`, followed by a non-alphanumeric character.
    static func extract(fromText text: String) -> [String] {
        let u = Array(text.utf8)
        let key = Array("SWIFT".utf8)
        var found: [String] = []
        var i = 0
        while i + key.count <= u.count {
            guard u[i] == key[0], Array(u[i..<i + key.count]) == key else { i += 1; continue }
            // Not inside a longer word ("XSWIFT").
            if i > 0, isAlnum(u[i - 1]) { i += 1; continue }
            var j = i + key.count
            if j + 4 <= u.count, Array(u[j..<j + 4]) == Array("/BIC".utf8) { j += 4 }
            else if j + 4 <= u.count, Array(u[j..<j + 4]) == Array(" BIC".utf8) { j += 4 }
            if j < u.count, u[j] == UInt8(ascii: ":") || u[j] == UInt8(ascii: ",") { j += 1 }
            let wsStart = j
            while j < u.count, u[j] == 0x20 || u[j] == 0x09 || u[j] == 0x0A || u[j] == 0x0D { j += 1 }
            if j == wsStart { i += 1; continue }
            var k = j
            while k < u.count, isUpperLetter(u[k]) || isDigit(u[k]) { k += 1 }
            let len = k - j
            if (len == 8 || len == 11), k == u.count || !isAlnum(u[k]) {
                let code = String(decoding: u[j..<k], as: UTF8.self)
                if isValid(code), !found.contains(code) { found.append(code) }
            }
            i = max(k, i + 1)
        }
        return found
    }

    private static func isUpperLetter(_ c: UInt8) -> Bool { c >= 65 && c <= 90 }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private static func isAlnum(_ c: UInt8) -> Bool { isUpperLetter(c) || isDigit(c) || (c >= 97 && c <= 122) }
}

extension Array where Element: Equatable {
    /// Appends unless already present (lists here are short; order is kept).
    mutating func appendUnique(_ e: Element) {
        if !contains(e) { append(e) }
    }
}
