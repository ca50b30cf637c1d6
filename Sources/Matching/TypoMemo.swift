/// The one-typo hits of text tokens already searched, remembered in a search workspace for one index.
///
/// A text token's one-typo hits (`searchNormalized`: its deletion neighbourhood looked up, the candidates checked
/// for one edit, on the folded and the unfolded form) depend on nothing but the token's folded and unfolded bytes
/// and the index: its exact hit, which they exclude, is the vocabulary token equal to the folded bytes. Payment text
/// repeats its words (the same counterparties, towns, streets and legal forms, and the same field searched as
/// several line-join variants), so a worker that keeps its workspace finds most tokens here instead of probing the
/// deletion tables again, which for a large list are megabytes and cache misses.
///
/// Only tokens of at most 64 bytes in both forms are remembered (the search's typo limit), in flat buffers: an
/// open-addressing table of entry numbers, keyed by a multiply-add hash of the bytes and confirmed byte for byte,
/// so a lookup hashes no array and allocates nothing. Bounded: past `capacity` tokens, or four hits per token on
/// average, it starts empty again (at most about 3 MB). Results are only ever those the search computed for this
/// index (`NameIndex.identity`), so a search finds the same hits, in the same order, with or without it.
struct TypoMemo {
    /// Remembered tokens at most, before starting again; 0: remembers nothing.
    let capacity: Int
    /// The longest form remembered, in bytes.
    static let maxTokenBytes = 64

    init(capacity: Int = 16_384) { self.capacity = capacity }

    /// Entry number + 1 per slot (0: empty); allocated at the first `remember`, twice `capacity` rounded up.
    private var slots: [Int32] = []
    /// Per entry: its hash, where its folded and unfolded bytes start in `bytes`, their lengths, and its hits' range.
    private var hashes: [UInt64] = []
    private var starts: [Int32] = []
    private var lengths: [(folded: UInt8, raw: UInt8)] = []
    private var ranges: [Range<Int32>] = []
    private var bytes: [UInt8] = []
    /// The hits of every remembered token end to end.
    private var results: [(token: Int32, sim: Double)] = []
    /// The last `lookup`'s hash and free slot (where `remember` puts its token), when it missed a token it keeps.
    private var pending: (hash: UInt64, slot: Int)?
    /// Lookups answered from memory (for tests and figures).
    private(set) var answered = 0

    var count: Int { ranges.count }

    static func hash(_ folded: UnsafeBufferPointer<UInt8>, _ raw: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let p: UInt64 = 0x100_0000_01B3
        var h = UInt64(folded.count) &+ 1
        for b in folded { h = h &* p &+ (UInt64(b) &+ 1) }
        h = h &* p &+ 0x101
        for b in raw { h = h &* p &+ (UInt64(b) &+ 1) }
        return mixKey(h, folded.count &+ raw.count)
    }

    /// The remembered hits of the token with folded bytes `folded` and unfolded bytes `raw`, or nil (then `remember`
    /// may be called with the same token and its hits). Nil for a token longer than `maxTokenBytes`.
    mutating func lookup(folded: UnsafeBufferPointer<UInt8>, raw: UnsafeBufferPointer<UInt8>) -> Range<Int32>? {
        pending = nil
        if capacity == 0 || folded.count > Self.maxTokenBytes || raw.count > Self.maxTokenBytes { return nil }
        if slots.isEmpty {
            var n = 16
            while n < 2 * capacity { n <<= 1 }
            slots = [Int32](repeating: 0, count: n)
        }
        let h = Self.hash(folded, raw)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h >> 20) & mask
        while true {
            let e = Int(slots[s]) - 1
            if e < 0 { break }
            if hashes[e] == h && equal(e, folded, raw) {
                answered += 1
                return ranges[e]
            }
            s = (s + 1) & mask
        }
        pending = (h, s)
        return nil
    }

    private func equal(_ e: Int, _ folded: UnsafeBufferPointer<UInt8>, _ raw: UnsafeBufferPointer<UInt8>) -> Bool {
        let (f, r) = lengths[e]
        guard Int(f) == folded.count && Int(r) == raw.count else { return false }
        let start = Int(starts[e])
        return bytes[start..<start + Int(f)].elementsEqual(folded) && bytes[start + Int(f)..<start + Int(f) + Int(r)].elementsEqual(raw)
    }

    /// Hit `k` of a range from `lookup`.
    @inline(__always) func hit(_ k: Int32) -> (token: Int32, sim: Double) { results[Int(k)] }

    /// Remembers `hits` for the token of the last `lookup`, given again as `folded` and `raw` (nothing if that lookup
    /// was not a miss of a token it keeps).
    mutating func remember(_ hits: ArraySlice<NameIndex.TokenHit>, folded: UnsafeBufferPointer<UInt8>, raw: UnsafeBufferPointer<UInt8>) {
        guard var p = pending else { return }
        pending = nil
        if ranges.count >= capacity || results.count + hits.count > 4 * capacity {
            for i in slots.indices { slots[i] = 0 }
            hashes.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            lengths.removeAll(keepingCapacity: true)
            ranges.removeAll(keepingCapacity: true)
            bytes.removeAll(keepingCapacity: true)
            results.removeAll(keepingCapacity: true)
            p.slot = Int(truncatingIfNeeded: p.hash >> 20) & (slots.count - 1)
        }
        let start = Int32(results.count)
        for h in hits { results.append((h.token, h.sim)) }
        slots[p.slot] = Int32(ranges.count + 1)
        hashes.append(p.hash)
        starts.append(Int32(bytes.count))
        lengths.append((UInt8(folded.count), UInt8(raw.count)))
        bytes.append(contentsOf: folded)
        bytes.append(contentsOf: raw)
        ranges.append(start..<Int32(results.count))
    }
}
