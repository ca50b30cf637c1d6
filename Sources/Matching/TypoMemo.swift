/// The one-typo hits of text tokens already searched, remembered in a search workspace for one index.
///
/// A text token's one-typo hits (`searchNormalized`: its deletion neighbourhood looked up, the candidates checked
/// for one edit, on the folded and the unfolded form) depend on nothing but the token's folded and unfolded bytes
/// and the index: its exact hit, which they exclude, is the vocabulary token equal to the folded bytes. Payment text
/// repeats its words (the same counterparties, towns, streets and legal forms, and the same field searched as
/// several line-join variants), so a worker that keeps its workspace finds most tokens here instead of probing the
/// deletion tables again, which for a large list are megabytes and cache misses.
///
/// Bounded: past `capacity` tokens it starts empty again. Results are only ever those the search computed for
/// this index (`NameIndex.identity`), so a search finds the same hits, in the same order, with or without it.
struct TypoMemo {
    /// Remembered tokens at most, before starting again (at most a few MB); 0: remembers nothing.
    let capacity: Int

    init(capacity: Int = 16_384) { self.capacity = capacity }

    /// The key of a token: its folded bytes' count, its folded bytes, then its unfolded bytes.
    private var ranges: [[UInt8]: Range<Int32>] = [:]
    /// The hits of every remembered token end to end: a token's are `results[ranges[key]]`.
    private var results: [(token: Int32, sim: Double)] = []
    /// The key being looked up (reused).
    private var key: [UInt8] = []

    /// The remembered hits of the token with folded bytes `folded` and unfolded bytes `raw`, or nil.
    mutating func lookup(folded: UnsafeBufferPointer<UInt8>, raw: UnsafeBufferPointer<UInt8>) -> Range<Int32>? {
        if capacity == 0 { return nil }
        key.removeAll(keepingCapacity: true)
        key.append(UInt8(truncatingIfNeeded: folded.count))
        key.append(contentsOf: folded)
        key.append(contentsOf: raw)
        return ranges[key]
    }

    /// Hit `k` of a range from `lookup`.
    @inline(__always) func hit(_ k: Int32) -> (token: Int32, sim: Double) { results[Int(k)] }

    /// Remembers `hits` for the key of the last `lookup`.
    mutating func remember(_ hits: ArraySlice<NameIndex.TokenHit>) {
        if capacity == 0 { return }
        if ranges.count >= capacity {
            ranges.removeAll(keepingCapacity: true)
            results.removeAll(keepingCapacity: true)
        }
        let start = Int32(results.count)
        for h in hits { results.append((h.token, h.sim)) }
        ranges[key] = start..<Int32(results.count)
    }

    var count: Int { ranges.count }
}
