/// Byte strings stored end to end in one buffer: string `i` is `bytes[offsets[i]..<offsets[i + 1]]`.
///
/// The name index's vocabulary and its tokens as written are kept this way instead of one array per token: one
/// allocation for the whole vocabulary (not one heap object of 32 bytes of header and a pointer per token), and a
/// typo check that loads a candidate token reads two neighbouring offsets and a few bytes of a dense buffer.
struct FlatTokens: Sendable {
    private(set) var bytes: [UInt8] = []
    private(set) var offsets: [Int32] = [0]

    init() {}

    var count: Int { offsets.count - 1 }

    /// Length in bytes of string `i`.
    @inline(__always) func length(_ i: Int) -> Int { Int(offsets[i + 1] - offsets[i]) }

    /// String `i` (a slice of the shared buffer).
    @inline(__always) subscript(i: Int) -> ArraySlice<UInt8> { bytes[Int(offsets[i])..<Int(offsets[i + 1])] }

    mutating func append<C: Collection<UInt8>>(_ t: C) {
        bytes.append(contentsOf: t)
        precondition(bytes.count <= Int(Int32.max), "FlatTokens holds at most 2 GiB")
        offsets.append(Int32(bytes.count))
    }

    /// Bytes held by the two buffers.
    var memoryUsage: Int { bytes.capacity + offsets.capacity * 4 }

    /// Unchecked views of the two buffers, valid only inside `body` (the hot loops of a search).
    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        let offsets: UnsafeBufferPointer<Int32>

        /// The string at `lo..<hi` (a span of `oneEditSpans`).
        @inline(__always) func span(_ lo: Int32, _ hi: Int32) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: bytes[Int(lo)..<Int(hi)])
        }

        /// String `i`.
        @inline(__always) subscript(i: Int32) -> UnsafeBufferPointer<UInt8> {
            let lo = Int(offsets[Int(i)]), hi = Int(offsets[Int(i) + 1])
            return UnsafeBufferPointer(rebasing: bytes[lo..<hi])
        }
    }

    /// The spans of strings `ids` for a typo check against `t`, two entries per id appended to `spans`: the string's
    /// start and end in `bytes`, or -1 and -1 when it certainly is not within one edit of `t` (with a `t` shorter than
    /// three bytes, every span as it is: the exact lookups use that).
    ///
    /// The offsets of all ids are read first, then the first and last byte of each string, each pass with no branch
    /// on what it loads: with a large vocabulary every candidate string is a cache miss, and this way the misses
    /// overlap instead of each waiting for the typo check of the one before. The test is a necessary condition of
    /// `Similarity.withinOneEdit` for strings of three bytes or more: one edit leaves the first byte or the last
    /// byte in place (an edit at the first position, or a transposition of the first two, keeps the last).
    func oneEditSpans(_ ids: [Int32], near t: UnsafeBufferPointer<UInt8>, into spans: inout [Int32]) {
        spans.removeAll(keepingCapacity: true)
        if ids.isEmpty { return }
        withReader { r in
            for id in ids {
                spans.append(r.offsets[Int(id)])
                spans.append(r.offsets[Int(id) + 1])
            }
            guard t.count >= 3 else { return }
            let first = t[0], last = t[t.count - 1]
            spans.withUnsafeMutableBufferPointer { sp in
                for k in 0..<ids.count {
                    let lo = Int(sp[2 * k]), hi = Int(sp[2 * k + 1])
                    if hi - lo < 3 { continue }
                    let possible = (r.bytes[lo] == first) || (r.bytes[hi - 1] == last)
                    sp[2 * k] = possible ? sp[2 * k] : -1
                    sp[2 * k + 1] = possible ? sp[2 * k + 1] : -1
                }
            }
        }
    }

    @inline(__always) func withReader<R>(_ body: (Reader) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in
            try offsets.withUnsafeBufferPointer { o in try body(Reader(bytes: b, offsets: o)) }
        }
    }

    /// String `i` as a buffer, valid only inside `body`.
    @inline(__always) func withToken<R>(_ i: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withReader { try body($0[i]) }
    }
}

/// Distinct byte strings numbered in order of first appearance, for building an index: a `FlatTokens` and an
/// open-addressing table of (`selfKey`, id) pairs whose equal keys are confirmed byte for byte in the flat
/// buffer. Interning a token hashes it once with the multiply-add of `selfKey` instead of SipHash over an array,
/// and allocates nothing per token.
struct TokenInterner {
    private(set) var tokens = FlatTokens()
    /// `selfKey` of each token, by id (the keys of the index's exact-token table).
    private(set) var keys: [UInt64] = []
    /// slots[2i] = key (0: empty), slots[2i + 1] = id: key and id in one cache line.
    private var slots: [UInt64]
    private var mask: Int

    init(capacity: Int = 1024) {
        var c = 16
        while c < capacity * 2 { c <<= 1 }
        slots = [UInt64](repeating: 0, count: 2 * c)
        mask = c - 1
    }

    var count: Int { keys.count }

    /// The id of `t`, or nil if it was never interned.
    func id(of t: UnsafeBufferPointer<UInt8>) -> Int32? {
        let k = selfKey(t)
        return find(t, k)
    }

    /// The id of `t`, interning it if it is new.
    mutating func intern(_ t: [UInt8]) -> Int32 {
        t.withUnsafeBufferPointer { intern($0) }
    }

    mutating func intern(_ t: UnsafeBufferPointer<UInt8>) -> Int32 {
        let k = selfKey(t)
        if let id = find(t, k) { return id }
        let id = Int32(keys.count)
        tokens.append(t)
        keys.append(k)
        if keys.count * 2 > mask + 1 { grow() } else { place(k, id) }
        return id
    }

    private func find(_ t: UnsafeBufferPointer<UInt8>, _ k: UInt64) -> Int32? {
        slots.withUnsafeBufferPointer { s in
            tokens.withReader { r in
                var i = DeletionTable.slot(k, mask)
                while s[2 * i] != 0 {
                    let id = Int32(truncatingIfNeeded: s[2 * i + 1])
                    if s[2 * i] == k && NameIndex.equal(r[id], t) { return id }
                    i = (i + 1) & mask
                }
                return nil
            }
        }
    }

    private mutating func place(_ k: UInt64, _ id: Int32) {
        var i = DeletionTable.slot(k, mask)
        while slots[2 * i] != 0 { i = (i + 1) & mask }
        slots[2 * i] = k
        slots[2 * i + 1] = UInt64(id)
    }

    /// Doubles the table and places every token again (including the one just appended).
    private mutating func grow() {
        let c = (mask + 1) * 2
        slots = [UInt64](repeating: 0, count: 2 * c)
        mask = c - 1
        for (id, k) in keys.enumerated() { place(k, Int32(id)) }
    }

    /// The tokens and their keys; the interner's table is dropped.
    consuming func finish() -> (tokens: FlatTokens, keys: [UInt64]) { (tokens, keys) }
}
