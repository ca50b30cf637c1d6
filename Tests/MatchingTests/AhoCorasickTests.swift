import Testing
@testable import Matching

/// The naive reference engine: every (pattern, end) pair by direct comparison.
func naiveOverlapping(_ patterns: [[UInt8]], _ text: [UInt8]) -> [Match] {
    var out = [Match]()
    if text.isEmpty { return out }
    for end in 1...text.count {
        for (id, p) in patterns.enumerated() where !p.isEmpty && p.count <= end {
            if text[(end - p.count)..<end].elementsEqual(p) {
                out.append(Match(pattern: PatternID(id), start: end - p.count, end: end))
            }
        }
    }
    return out
}

func naiveWholeToken(_ patterns: [[UInt8]], _ text: [UInt8]) -> [Match] {
    func word(_ b: UInt8) -> Bool { AhoCorasick.isWordByte(b) }
    return naiveOverlapping(patterns, text).filter { m in
        !(m.start > 0 && word(text[m.start - 1]) && word(text[m.start]))
            && !(m.end < text.count && word(text[m.end - 1]) && word(text[m.end]))
    }
}

func sorted(_ ms: [Match]) -> [Match] {
    ms.sorted { ($0.end, $0.pattern.rawValue, $0.start) < ($1.end, $1.pattern.rawValue, $1.start) }
}

/// One row of a table: patterns, haystack, expected matches as (pattern index, start, end).
struct ACCase: CustomStringConvertible, Sendable {
    var patterns: [String]
    var text: String
    var overlapping: [(Int, Int, Int)]
    /// nil: the whole-token result is not asserted separately (only against the reference).
    var wholeToken: [(Int, Int, Int)]?
    var description: String { "\(patterns) in '\(text)'" }
}

let acTable: [ACCase] = [
    ACCase(patterns: ["he", "she", "his", "hers"], text: "ushers",
           overlapping: [(1, 1, 4), (0, 2, 4), (3, 2, 6)], wholeToken: []),
    ACCase(patterns: ["a", "aa", "aaa"], text: "aaaa",
           overlapping: [(0, 0, 1), (1, 0, 2), (0, 1, 2), (2, 0, 3), (1, 1, 3), (0, 2, 3), (2, 1, 4), (1, 2, 4), (0, 3, 4)],
           wholeToken: []),
    ACCase(patterns: ["ALROSA"], text: "KALROSANTEKS ALROSA", overlapping: [(0, 1, 7), (0, 13, 19)], wholeToken: [(0, 13, 19)]),
    ACCase(patterns: ["ALFA BANK", "BANK", "ALFA"], text: "ALFA BANK MOSCOW",
           overlapping: [(2, 0, 4), (0, 0, 9), (1, 5, 9)], wholeToken: [(2, 0, 4), (0, 0, 9), (1, 5, 9)]),
    ACCase(patterns: ["abc", "abc"], text: "xabcx abc", overlapping: [(0, 1, 4), (1, 1, 4), (0, 6, 9), (1, 6, 9)],
           wholeToken: [(0, 6, 9), (1, 6, 9)]),
    ACCase(patterns: [" RADIN "], text: " TRADING RADIN ", overlapping: [(0, 8, 15)], wholeToken: [(0, 8, 15)]),
    ACCase(patterns: ["x"], text: "", overlapping: [], wholeToken: []),
    ACCase(patterns: ["needle"], text: "haystack", overlapping: [], wholeToken: []),
    ACCase(patterns: ["854231"], text: "ACC 12854231 HS 854231", overlapping: [(0, 6, 12), (0, 16, 22)], wholeToken: [(0, 16, 22)]),
    ACCase(patterns: ["ÄLROSA", "LROSA"], text: "ÄLROSA", overlapping: [(0, 0, 7), (1, 2, 7)], wholeToken: [(0, 0, 7)]),
    ACCase(patterns: ["ab", "b", "bc", "abc", "c"], text: "abcabc",
           overlapping: [(0, 0, 2), (1, 1, 2), (3, 0, 3), (2, 1, 3), (4, 2, 3), (0, 3, 5), (1, 4, 5), (3, 3, 6), (2, 4, 6), (4, 5, 6)],
           wholeToken: []),
]

/// Every way of asking the automaton, so that each table row is replayed under each configuration.
enum SearchAPI: CaseIterable, Sendable { case forEach, count, arrays, interleaved }

@Suite("AhoCorasick")
struct AhoCorasickTests {
    @Test("table rows under every kind and search API", arguments: AhoCorasick.Kind.allCases, SearchAPI.allCases)
    func table(kind: AhoCorasick.Kind, api: SearchAPI) throws {
        for row in acTable {
            let pats = row.patterns.map { Array($0.utf8) }
            let text = Array(row.text.utf8)
            let ac = try AhoCorasick(patterns: pats, configuration: .init(kind: kind))
            let expected = sorted(row.overlapping.map { Match(pattern: PatternID($0.0), start: $0.1, end: $0.2) })
            #expect(expected == sorted(naiveOverlapping(pats, text)), "table row disagrees with the reference: \(row)")
            switch api {
            case .forEach:
                var got = [Match]()
                text.withUnsafeBytes { raw in ac.forEachOverlappingMatch(in: raw) { got.append($0) } }
                #expect(sorted(got) == expected, "\(kind) \(row)")
                // Reported in order of end offset.
                #expect(got.map(\.end) == got.map(\.end).sorted(), "\(kind) \(row)")
            case .count:
                let n = text.withUnsafeBytes { ac.countOverlapping(in: $0) }
                #expect(n == expected.count, "\(kind) \(row)")
            case .interleaved:
                var ac4 = ac
                ac4.interleaveThreshold = 0
                let got = ac4.overlappingMatches(in: text)
                #expect(sorted(got) == expected, "\(kind) \(row)")
                #expect(got.map(\.end) == got.map(\.end).sorted(), "\(kind) \(row)")
                #expect(text.withUnsafeBytes { ac4.countOverlapping(in: $0) } == expected.count, "\(kind) \(row)")
            case .arrays:
                #expect(sorted(ac.overlappingMatches(in: text)) == expected, "\(kind) \(row)")
                let whole = sorted(ac.wholeTokenMatches(in: text))
                #expect(whole == sorted(naiveWholeToken(pats, text)), "\(kind) \(row)")
                if let wt = row.wholeToken {
                    #expect(whole == sorted(wt.map { Match(pattern: PatternID($0.0), start: $0.1, end: $0.2) }), "\(kind) \(row)")
                }
            }
        }
    }

    @Test("at one end offset, longer patterns are reported first")
    func orderAtOneEnd() throws {
        let ac = try AhoCorasick(strings: ["c", "abc", "bc"])
        let ms = ac.overlappingMatches(in: Array("abc".utf8))
        #expect(ms.map(\.pattern) == [PatternID(1), PatternID(2), PatternID(0)])
    }

    @Test("building refuses an empty pattern and an oversized table")
    func buildErrors() {
        #expect(throws: AhoCorasick.BuildError.emptyPattern(PatternID(1))) {
            try AhoCorasick(patterns: [Array("a".utf8), []])
        }
        #expect(throws: AhoCorasick.BuildError.self) {
            try AhoCorasick(patterns: [Array("abcdefghij".utf8)], configuration: .init(maxTableBytes: 64))
        }
        // No patterns at all is a valid automaton that never matches.
        let none = try? AhoCorasick(patterns: [])
        #expect(none?.overlappingMatches(in: Array("abc".utf8)) == [])
    }

    @Test("match states are numbered last: the hot loop's single compare is exact")
    func numberingInvariant() throws {
        let pats = ["he", "she", "his", "hers"].map { Array($0.utf8) }
        let ac = try AhoCorasick(patterns: pats)
        let stride = UInt32(ac.byteClassCount)
        #expect(ac.table.allSatisfy { $0 % stride == 0 && Int($0 / stride) < ac.stateCount })
        #expect(Int(ac.firstMatch / stride) + (ac.matchOffsets.count - 1) == ac.stateCount)
        // Every match state has outputs; no state below firstMatch does (the root in particular).
        #expect(ac.matchOffsets.indices.dropLast().allSatisfy { ac.matchOffsets[$0 + 1] > ac.matchOffsets[$0] })
    }

    @Test("property: DFA and NFA agree with the naive search on random patterns and texts", arguments: propertySeeds())
    func propertyRandom(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        for round in 0..<40 {
            // Small alphabets make overlaps and failure chains dense; some rounds use any byte (incl. UTF-8).
            let alphabet: [UInt8]
            switch round % 4 {
            case 0: alphabet = Array("ab".utf8)
            case 1: alphabet = Array("abc ".utf8)
            case 2: alphabet = Array("ÄБ中a -".utf8)
            default: alphabet = (0...255).map { UInt8($0) }
            }
            let patternCount = Int.random(in: 1...30, using: &rng)
            let pats: [[UInt8]] = (0..<patternCount).map { _ in
                (0..<Int.random(in: 1...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            }
            let text: [UInt8] = (0..<Int.random(in: 0...300, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            let expected = sorted(naiveOverlapping(pats, text))
            let expectedWhole = sorted(naiveWholeToken(pats, text))
            for kind in AhoCorasick.Kind.allCases {
                let ac = try AhoCorasick(patterns: pats, configuration: .init(kind: kind))
                let got = sorted(ac.overlappingMatches(in: text))
                #expect(got == expected, "seed \(seed) round \(round) kind \(kind): replay with MATCHING_SEED=\(seed)")
                let count = text.withUnsafeBytes { ac.countOverlapping(in: $0) }
                #expect(count == expected.count, "seed \(seed) round \(round) kind \(kind)")
                #expect(sorted(ac.wholeTokenMatches(in: text)) == expectedWhole, "seed \(seed) round \(round) kind \(kind)")
                // The same automaton forced through the four-stream interleaved walk.
                var interleaved = ac
                interleaved.interleaveThreshold = 0
                let inter = interleaved.overlappingMatches(in: text)
                #expect(inter == ac.overlappingMatches(in: text), "seed \(seed) round \(round) kind \(kind) interleaved")
                #expect(text.withUnsafeBytes { interleaved.countOverlapping(in: $0) } == expected.count, "seed \(seed) round \(round) interleaved")
                if got != expected { return }
            }
        }
    }

    @Test("property: random Unicode strings as patterns, text built around them", arguments: propertySeeds(4))
    func propertyUnicode(seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let pieces = ["ООО", "Альфа", "ALFA", "банк", "İ", "ş", "é", "😀", " ", "-", "A", "Б", "\u{0301}"]
        for round in 0..<30 {
            let pats = (0..<Int.random(in: 1...12, using: &rng)).map { _ in
                Array((0..<Int.random(in: 1...3, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined().utf8)
            }
            let text = Array((0..<Int.random(in: 0...60, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined().utf8)
            let expected = sorted(naiveOverlapping(pats, text))
            for kind in AhoCorasick.Kind.allCases {
                let ac = try AhoCorasick(patterns: pats, configuration: .init(kind: kind))
                #expect(sorted(ac.overlappingMatches(in: text)) == expected, "seed \(seed) round \(round) kind \(kind): replay with MATCHING_SEED=\(seed)")
            }
        }
    }

    @Test("interleaved walk on a long text with matches across the segment edges")
    func interleavedLong() throws {
        let pats = ["SBERBANK", "BANK", "ALFA BANK", "A", " "].map { Array($0.utf8) }
        var rng = SeededRandom(seed: 42)
        let words = ["SBERBANK", "ALFA", "BANK", "X", "AB", " "]
        let text = Array((0..<5000).map { _ in words.randomElement(using: &rng)! }.joined().utf8)
        let ac = try AhoCorasick(patterns: pats)
        var inter = ac
        inter.interleaveThreshold = 0
        let expected = naiveOverlapping(pats, text)
        #expect(sorted(inter.overlappingMatches(in: text)) == sorted(expected))
        #expect(inter.overlappingMatches(in: text) == ac.overlappingMatches(in: text))
        #expect(text.withUnsafeBytes { inter.countOverlapping(in: $0) } == expected.count)
    }

    @Test("chunked search is not the same as whole-buffer: matches never span a chunk edge")
    func chunks() throws {
        let ac = try AhoCorasick(strings: ["SBERBANK"])
        let whole = ac.overlappingMatches(in: Array("SBERBANK".utf8))
        let split = ac.overlappingMatches(in: Array("SBER".utf8)) + ac.overlappingMatches(in: Array("BANK".utf8))
        #expect(whole.count == 1 && split.isEmpty)
    }
}
