import Testing
@testable import Matching

/// The rescreen prefilter's text keys (`NameIndex+Keys.swift`) against the plain way of computing them: every
/// segment's tokens as arrays, joined arrays hashed, a `Set` of keys.
@Suite("prefilter keys: the fast text keys equal the plain ones")
struct PrefilterKeysTests {
    @Test("the key collector holds what a Set holds", arguments: propertySeeds(4))
    func collectorIsASet(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<200 {
            var keys = PrefilterKeys()
            var plain = Set<Int32>()
            // Few distinct values (many repeats), zero among them, and enough to make the table grow; in so narrow a
            // range they share their top bits, so the table often moves them to its set (both ways are checked).
            let spread = Int32.random(in: 1...3_000, using: &rng)
            for _ in 0..<Int.random(in: 0...2_000, using: &rng) {
                let k = Int32.random(in: -spread...spread, using: &rng)
                keys.insert(k)
                plain.insert(k)
            }
            #expect(keys.sorted() == plain.sorted(), "seed \(seed)")
            #expect(keys.count == plain.count)
        }
        // Keys spread over the whole range, as hashes are, never make a long probe: the table itself holds them.
        for _ in 0..<50 {
            var keys = PrefilterKeys()
            var plain = Set<Int32>()
            for _ in 0..<Int.random(in: 0...5_000, using: &rng) {
                let k = Int32.random(in: .min ... .max, using: &rng)
                keys.insert(k)
                plain.insert(k)
            }
            #expect(!keys.isCrowded)
            #expect(keys.sorted() == plain.sorted(), "seed \(seed)")
        }
    }

    @Test("crafted keys that share their top bits move to a Set and still come out sorted, each once", arguments: [0, 100, 5_000])
    func crowdedKeys(honestFirst: Int) {
        var rng = SeededRandom(seed: 99)
        var keys = PrefilterKeys()
        var plain = Set<Int32>()
        // Some honest keys first (so the switch happens in a table that holds some), then a crowd with one top half.
        for _ in 0..<honestFirst {
            let k = Int32.random(in: .min ... .max, using: &rng)
            keys.insert(k); plain.insert(k)
        }
        for i in 0..<3_000 {
            let k = Int32(bitPattern: 0x1234_0000 | UInt32(i % 2_000))
            keys.insert(k); plain.insert(k)
            if i % 7 == 0 { keys.insert(0); plain.insert(0) }
        }
        #expect(keys.isCrowded)
        #expect(keys.sorted() == plain.sorted())
        #expect(keys.count == plain.count)
    }

    @Test("tagged and pair keys are the keys of the joined bytes")
    func joinedKeys() {
        var rng = SeededRandom(seed: 77)
        for _ in 0..<500 {
            let a = (0..<Int.random(in: 0...12, using: &rng)).map { _ in UInt8.random(in: 0x30...0x5A, using: &rng) }
            let b = (0..<Int.random(in: 0...12, using: &rng)).map { _ in UInt8.random(in: 0x30...0x5A, using: &rng) }
            #expect(NameIndex.pairKey(a, b) == NameIndex.storedKey(bytes: [0x03] + a + b))
            let tagged = b.withUnsafeBufferPointer { NameIndex.storedKey(tag: "\u{2}BIC", bytes: $0) }
            #expect(tagged == NameIndex.storedKey(bytes: [0x02, 0x42, 0x49, 0x43] + b))
        }
    }

    @Test("text keys of random fields equal the plain computation", arguments: propertySeeds(4))
    func textKeysEqualPlain(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        // Words and pieces that make line joins, punctuation joins, folding and typo neighbourhoods happen.
        let pieces = ["IVANOV", "PETROVICH", "AL-", "RASHID", "O'BRIEN", "ST.", "PETERSBURG", "TRADING", "LLC", "OOO",
                      "KHAN", "MUELLER", "MÜLLER", "STRASSE", "STRAßE", "12/3", "A.B.C.", "-", ".", " ", "", "SHCHUKIN",
                      "YUSUF", "JOHNSON", "X", "ZZ", "CO", "LTD.", "ЛУКОЙЛ", "NEFT", "GAZ", "PROM"]
        for round in 0..<400 {
            let lines = (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                (0..<Int.random(in: 0...4, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }
                    .joined(separator: Bool.random(using: &rng) ? " " : "")
            }
            var fast = PrefilterKeys()
            NameIndex.textKeys(lines: lines, into: &fast)
            #expect(fast.sorted() == Self.plainTextKeys(lines).sorted(), "seed \(seed) round \(round): \(lines)")
        }
    }

    /// The keys of every text the name search can make of `lines`, computed plainly (the definition in
    /// `NameIndex+Keys.swift`'s header, as first written).
    static func plainTextKeys(_ lines: [String], configuration: MatchConfiguration = .default) -> Set<Int32> {
        var keys = Set<Int32>()
        if lines.allSatisfy(\.isEmpty) { return keys }
        var scratch = [UInt64]()
        func add(_ raw: [UInt8]) {
            keys.insert(NameIndex.storedKey(bytes: raw))
            let folded = Normalizer.fold(raw)
            keys.insert(NameIndex.storedKey(bytes: folded))
            if folded.count >= configuration.minTypoTokenLength && folded.count <= 64 && !folded.contains(where: { $0 < 0x41 }) {
                deletionKeys(folded, into: &scratch)
                for k in scratch { keys.insert(NameIndex.storedKey(k)) }
            }
            if raw.count >= configuration.minTypoTokenLength && raw.count <= 64 && raw != folded {
                deletionKeys(raw, into: &scratch)
                for k in scratch { keys.insert(NameIndex.storedKey(k)) }
            }
        }
        let joinable = (0..<max(0, lines.count - 1)).map { i in
            configuration.joinLinesWithoutSpace && !lines[i].isEmpty && !lines[i + 1].isEmpty
                && NameIndex.endsInWord(lines[i]) && NameIndex.startsInWord(lines[i + 1])
        }
        for mode in Normalizer.Punctuation.allCases {
            var segments = [[[[UInt8]]]](repeating: [], count: lines.count)
            for s in lines.indices {
                var text = lines[s], e = s
                while true {
                    let (separate, joins) = Normalizer.normalizedBytesReportingJoins(text, punctuation: .separate)
                    let bytes = mode == .separate ? separate : joins ? Normalizer.normalizedBytes(text, punctuation: .join) : []
                    let tokens = bytes.split(separator: 0x20).map { Array($0) }
                    for t in tokens { add(t) }
                    for (a, b) in zip(tokens, tokens.dropFirst()) { keys.insert(NameIndex.storedKey(bytes: [0x03] + a + b)) }
                    segments[s].append(mode == .separate || joins ? tokens : separate.split(separator: 0x20).map { Array($0) })
                    guard e + 1 < lines.count, joinable[e] else { break }
                    e += 1
                    text += lines[e]
                }
            }
            for s in lines.indices {
                for (k, tokens) in segments[s].enumerated() {
                    guard let last = tokens.last else { continue }
                    var next = s + k + 1
                    while next < lines.count {
                        for following in segments[next] {
                            if let first = following.first { keys.insert(NameIndex.storedKey(bytes: [0x03] + last + first)) }
                        }
                        guard segments[next][0].isEmpty else { break }
                        next += 1
                    }
                }
            }
        }
        return keys
    }
}
