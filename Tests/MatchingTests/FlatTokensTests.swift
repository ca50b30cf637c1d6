import Testing
@testable import Matching

/// The flat token store, its interner and the batched lookups (`FlatTokens.swift`, `DeletionTable.forEachBatch`)
/// against the plain ways: a dictionary, one `forEach` per key, `Similarity.withinOneEdit`.
@Suite("FlatTokens")
struct FlatTokensTests {
    static func randomToken(_ rng: inout SeededRandom) -> [UInt8] {
        // A small alphabet and short lengths, so that tokens repeat and many pairs are one edit apart.
        (0..<Int.random(in: 0...9, using: &rng)).map { _ in UInt8(ascii: "A") + UInt8.random(in: 0..<4, using: &rng) }
    }

    @Test("interning numbers distinct tokens in order of first appearance, as a dictionary does", arguments: [1, 2, 3] as [UInt64])
    func interning(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var interner = TokenInterner(capacity: 2)   // grows many times
        var reference = [[UInt8]: Int32]()
        for _ in 0..<5_000 {
            let t = Self.randomToken(&rng)
            let expected = reference[t] ?? Int32(reference.count)
            reference[t] = expected
            #expect(interner.intern(t) == expected, "seed \(seed)")
        }
        let (tokens, keys) = interner.finish()
        #expect(tokens.count == reference.count && keys.count == reference.count)
        for (t, id) in reference {
            #expect(Array(tokens[Int(id)]) == t)
            #expect(tokens.length(Int(id)) == t.count)
            #expect(keys[Int(id)] == selfKey(t))
        }
    }

    @Test("oneEditSpans never drops a string within one edit, and gives every span as stored", arguments: [4, 5] as [UInt64])
    func spans(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var interner = TokenInterner()
        for _ in 0..<2_000 { _ = interner.intern(Self.randomToken(&rng)) }
        let tokens = interner.finish().tokens
        let ids = (0..<Int32(tokens.count)).map { $0 }
        var spans = [Int32]()
        for _ in 0..<200 {
            let t = Self.randomToken(&rng)
            t.withUnsafeBufferPointer { tb in
                tokens.oneEditSpans(ids, near: tb, into: &spans)
                tokens.withReader { r in
                    for id in ids {
                        let lo = spans[2 * Int(id)], hi = spans[2 * Int(id) + 1]
                        if Similarity.withinOneEdit(r[id], tb) {
                            #expect(lo >= 0, "seed \(seed): \(Array(tokens[Int(id)])) dropped for \(t)")
                        }
                        if lo >= 0 {
                            #expect(Array(r.span(lo, hi)) == Array(tokens[Int(id)]))
                        }
                    }
                }
            }
        }
    }

    @Test("a batch of keys finds the ids of one lookup per key, in the same order", arguments: [6, 7] as [UInt64])
    func batch(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        var keys = [UInt64](), values = [Int32]()
        for v in 0..<3_000 {
            let t = Self.randomToken(&rng)
            for k in [selfKey(t), selfKey(t.dropLast())] {
                keys.append(k)
                values.append(Int32(v))
            }
        }
        let table = DeletionTable(keys: keys, values: values)
        for n in [0, 1, 63, 64, 65, 200] {
            let probe = (0..<n).map { _ in selfKey(Self.randomToken(&rng)) }
            var expected = [Int32](), found = [Int32](), positions = [Int]()
            for (j, k) in probe.enumerated() { table.forEach(k) { expected.append($0); positions.append(j) } }
            var batchPositions = [Int]()
            table.forEachBatch(probe) { j, id in
                found.append(id)
                batchPositions.append(j)
            }
            #expect(found == expected && batchPositions == positions, "seed \(seed), \(n) keys")
            var collected = [Int32]()
            table.collect(probe, into: &collected)
            #expect(collected == expected)
        }
    }

    @Test("byte equality of buffers (eight bytes at a time) is array equality, at every length and offset", arguments: [8, 9] as [UInt64])
    func bufferEquality(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for round in 0..<3_000 {
            // Long and short, equal and differing in one byte anywhere, at unaligned starts.
            let n = Int.random(in: 0...40, using: &rng)
            let a = (0..<n).map { _ in UInt8.random(in: 0x41...0x43, using: &rng) }
            var b = a
            if n > 0 && round % 2 == 0 { b[Int.random(in: 0..<n, using: &rng)] = UInt8.random(in: 0x41...0x43, using: &rng) }
            if round % 5 == 0 { b.append(0x41) }
            let pa = [0x20] + a, pb = [0x20, 0x20, 0x20] + b
            let same = pa.withUnsafeBufferPointer { x in
                pb.withUnsafeBufferPointer { y in NameIndex.equal(UnsafeBufferPointer(rebasing: x[1...]), UnsafeBufferPointer(rebasing: y[3...])) }
            }
            #expect(same == (a == b), "seed \(seed) round \(round)")
        }
    }
}
