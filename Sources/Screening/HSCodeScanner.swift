import Matching

/// Finds HS codes written the ways trade documents write them, never digits inside a longer number.
///
/// A candidate is a run of digit groups, each joined to the next by one `.` or space, that starts where a
/// digit run starts (not after a digit, and not after a `.`, `,`, `-` or `/` that follows a digit). Its longest
/// prefix of groups with an accepted shape is the code:
/// - anywhere: six, eight, ten or twelve digits in one run (`854231`, `85423100`, HTS `8541593579`, GTIP
///   `854231000000`); or four digits and separated pairs (`8542.31`, `8542 31`, `8542.31.00`, GTIP
///   `8542.31.00.00.00`); or the US HTS writing 4-2-4 with dots (`8541.59.3579`);
/// - after a tariff label (`HS`, `HTS`, `HTSUS`, `GTIP`, `TN VED`/`ТН ВЭД`, optionally `EAES`, and a trailing
///   `CODE`/`KOD`/`KODU`/`NO`): also any other grouping of 6, 8, 10 or 12 digits whose first group has four or
///   six digits and whose other groups have one to four (the TN VED writings `8542 31 900 0`,
///   `8542.31.900.0`, `854231.9000`).
/// The code must then end: the next character is not a digit and not a `.`, `,`, `-` or `/` followed by a
/// digit (`854231-001`, `8542.31.5` are references, not codes).
enum HSCodeScanner {
    struct Found: Equatable {
        var hs6: String
        var written: String
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func isJoiner(_ b: UInt8) -> Bool { b == 46 || b == 44 || b == 45 || b == 47 }

    /// Whether groups (digit counts) are a shape accepted without a label: one run of 6, 8, 10 or 12 digits, or
    /// 4 digits followed by one to four pairs.
    static func unlabelledShape(_ groups: ArraySlice<Int>) -> Bool {
        guard let first = groups.first else { return false }
        if groups.count == 1 { return first == 6 || first == 8 || first == 10 || first == 12 }
        return first == 4 && groups.count <= 5 && groups.dropFirst().allSatisfy { $0 == 2 }
    }

    /// The US HTS writing 4-2-4, accepted without a label when written with dots (`8541.59.3579`; with spaces the
    /// last four digits are as likely a year or a quantity).
    static func htsShape(_ groups: [Int]) -> Bool { groups.count >= 3 && groups[0] == 4 && groups[1] == 2 && groups[2] == 4 }

    /// Whether groups (digit counts) are a code's shape when the code follows a tariff label.
    static func labelledShape(_ groups: ArraySlice<Int>) -> Bool {
        guard let first = groups.first else { return false }
        let total = groups.reduce(0, +)
        guard [6, 8, 10, 12].contains(total) else { return false }
        if groups.count == 1 { return true }
        return (first == 4 || first == 6) && groups.dropFirst().allSatisfy { (1...4).contains($0) }
    }

    /// Tariff labels, normalized (`ТН ВЭД` → `TN VED`); `labelFillers` may follow one.
    static let labels: Set<String> = ["HS", "HTS", "HTSUS", "GTIP", "TN VED", "TNVED", "TN VED EAES", "TNVED EAES",
                                      "TN VED EAEU", "TN VED EAS"]
    static let labelFillers: Set<String> = ["CODE", "KOD", "KODU", "NO", "NR", "N", "NUMBER", "NUMARASI"]

    /// Whether the text just before `start` ends with a tariff label (punctuation like `:`, `#`, `№` between).
    static func labelled(_ b: [UInt8], before start: Int) -> Bool {
        let from = max(0, start - 40)
        var words = Normalizer.tokens(String(decoding: b[from..<start], as: UTF8.self))
        if start - from == 40 && !words.isEmpty { words.removeFirst() }  // possibly a cut word
        while let last = words.last, labelFillers.contains(last), words.count > 1 { words.removeLast() }
        for n in 1...3 where words.count >= n {
            if labels.contains(words.suffix(n).joined(separator: " ")) { return true }
        }
        return false
    }

    static func codes(in text: String) -> [Found] {
        let b = Array(text.utf8)
        var out: [Found] = []
        var i = 0
        var groups: [Int] = []
        var groupEnds: [Int] = []
        while i < b.count {
            guard isDigit(b[i]) else { i += 1; continue }
            let start = i
            var j = i
            while j < b.count, isDigit(b[j]) { j += 1 }
            defer { i = max(j, i + 1) }
            // Part of a longer number on the left?
            if start > 0 && isDigit(b[start - 1]) { continue }
            if start > 1 && isJoiner(b[start - 1]) && isDigit(b[start - 2]) { continue }
            // The digit groups joined by one `.` or space (at most 6 groups, 12 digits).
            groups.removeAll(keepingCapacity: true)
            groupEnds.removeAll(keepingCapacity: true)
            groups.append(j - start)
            groupEnds.append(j)
            var k = j
            var allDots = true
            while groups.count < 6, k + 1 < b.count, b[k] == 46 || b[k] == 32, isDigit(b[k + 1]) {
                var e = k + 1
                while e < b.count, isDigit(b[e]) { e += 1 }
                if b[k] != 46 && groups.count < 3 { allDots = false }
                groups.append(e - k - 1)
                groupEnds.append(e)
                k = e
            }
            // The longest accepted prefix of groups; a label is looked for only if the shapes without one fail.
            var chosen = -1
            for n in stride(from: groups.count, through: 1, by: -1) where unlabelledShape(groups[..<n]) {
                chosen = n
                break
            }
            if chosen < 3, allDots, htsShape(groups) { chosen = 3 }
            if chosen < 0 || chosen < groups.count {
                var labelledChoice = -1
                for n in stride(from: groups.count, through: 1, by: -1) where n > max(chosen, 0) && labelledShape(groups[..<n]) {
                    labelledChoice = n
                    break
                }
                if labelledChoice > 0 && labelled(b, before: start) { chosen = labelledChoice }
            }
            guard chosen > 0 else { continue }
            let end = groupEnds[chosen - 1]
            // Part of a longer number on the right?
            if end < b.count && isDigit(b[end]) { continue }
            if end + 1 < b.count && isJoiner(b[end]) && isDigit(b[end + 1]) { continue }
            var digits: [UInt8] = []
            digits.reserveCapacity(12)
            for c in b[start..<end] where isDigit(c) { digits.append(c) }
            let hs6 = String(decoding: digits.prefix(6), as: UTF8.self)
            out.append(Found(hs6: hs6, written: String(decoding: b[start..<end], as: UTF8.self)))
            j = end
        }
        return out
    }
}
