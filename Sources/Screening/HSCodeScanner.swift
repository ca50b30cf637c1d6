/// Finds HS codes written the ways trade documents write them, never digits inside a longer number.
///
/// Accepted shapes, each starting where a digit run starts (not after a digit, and not after a `.`, `,`,
/// `-` or `/` that follows a digit): six, eight, ten or twelve digits in one run (`854231`, `85423100`);
/// or four digits, a separator (`.` or space) and two digits, optionally followed by more separated
/// pairs (`8542.31`, `8542 31`, `8542.31.00`, `8542.31.00.00.00`). The run must then end: the next
/// character is not a digit and not a separator followed by a digit that is not part of the code.
enum HSCodeScanner {
    struct Found: Equatable {
        var hs6: String
        var written: String
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func isJoiner(_ b: UInt8) -> Bool { b == 46 || b == 44 || b == 45 || b == 47 }

    static func codes(in text: String) -> [Found] {
        let b = Array(text.utf8)
        var out: [Found] = []
        var i = 0
        while i < b.count {
            guard isDigit(b[i]) else { i += 1; continue }
            let start = i
            var j = i
            while j < b.count, isDigit(b[j]) { j += 1 }
            defer { i = max(j, i + 1) }
            // Part of a longer number on the left?
            if start > 0 && isDigit(b[start - 1]) { continue }
            if start > 1 && isJoiner(b[start - 1]) && isDigit(b[start - 2]) { continue }
            let firstRun = j - start
            var digits = Array(b[start..<j])
            var end = j
            if firstRun == 4 {
                // 4 + sep + 2 (+ (sep? 2)*)
                var k = j
                var pairs = 0
                while pairs < 4, k + 2 < b.count, b[k] == 46 || b[k] == 32, isDigit(b[k + 1]), isDigit(b[k + 2]),
                      !(k + 3 < b.count && isDigit(b[k + 3])) {
                    digits += b[(k + 1)...(k + 2)]
                    k += 3
                    pairs += 1
                }
                guard pairs >= 1 else { continue }
                end = k
            } else if ![6, 8, 10, 12].contains(firstRun) {
                continue
            }
            // Part of a longer number on the right?
            if end < b.count && isDigit(b[end]) { continue }
            if end + 1 < b.count && isJoiner(b[end]) && isDigit(b[end + 1]) { continue }
            let hs6 = String(decoding: digits.prefix(6), as: UTF8.self)
            out.append(Found(hs6: hs6, written: String(decoding: b[start..<end], as: UTF8.self)))
            j = end
        }
        return out
    }
}
