/// A multimap from 64-bit keys to token ids: open addressing with linear probing, key and value
/// side by side, so a lookup usually touches one cache line. Equal keys (one token's repeated
/// deletions, or different tokens) occupy several slots; a lookup walks the probe run up to the
/// first empty slot. Keys are never 0 (see `mixKey`); 0 marks an empty slot.
///
/// In front of the slots, a Bloom-style prefilter: one 64-bit word per key (chosen by the key's low
/// bits) with two bits set (chosen by its top bits; the slot uses the bits in between), 8 to 16 bits
/// per key. The name index's deletion table is megabytes, so a probe of a key that is absent (most
/// keys of most text tokens) was a cache miss; the filter (a few hundred KB) answers most of those
/// from cache. It has no false negatives, so lookups find the same ids in the same order.
struct DeletionTable: Sendable {
    /// slots[2i] = key, slots[2i + 1] = token id.
    let slots: [UInt64]
    let mask: Int
    let count: Int
    let filter: [UInt64]
    let filterMask: Int

    init(keys: [UInt64], values: [Int32]) {
        var capacity = 16
        while capacity < keys.count * 2 { capacity <<= 1 }
        var slots = [UInt64](repeating: 0, count: 2 * capacity)
        let mask = capacity - 1
        var words = 1
        while words * 8 < keys.count { words <<= 1 }   // 64 bits per word: 8 to 16 bits per key
        var filter = [UInt64](repeating: 0, count: words)
        let filterMask = words - 1
        for (k, v) in zip(keys, values) {
            filter[Int(truncatingIfNeeded: k) & filterMask] |= DeletionTable.filterBits(k)
            var i = DeletionTable.slot(k, mask)
            while slots[2 * i] != 0 {
                if slots[2 * i] == k && slots[2 * i + 1] == UInt64(UInt32(bitPattern: v)) { break }   // keep one
                i = (i + 1) & mask
            }
            slots[2 * i] = k
            slots[2 * i + 1] = UInt64(UInt32(bitPattern: v))
        }
        self.slots = slots
        self.mask = mask
        self.count = keys.count
        self.filter = filter
        self.filterMask = filterMask
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always) static func slot(_ k: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: k >> 20) & mask
    }

    @inline(__always) static func filterBits(_ k: UInt64) -> UInt64 {
        (1 as UInt64) << ((k >> 52) & 63) | (1 as UInt64) << ((k >> 58) & 63)
    }

    /// False if `k` is certainly not in the table (no false negatives).
    @inline(__always) func mayContain(_ k: UInt64) -> Bool {
        let bits = DeletionTable.filterBits(k)
        return filter.withUnsafeBufferPointer { f in f[Int(truncatingIfNeeded: k) & filterMask] & bits == bits }
    }

    /// The ids of every key of `keys`, in the order of `forEach` called on each key in turn, appended to `ids`.
    ///
    /// For the keys of one text token (a deletion neighbourhood: up to 65 keys). With a large vocabulary the filter
    /// and the slots are megabytes, so a probe is a cache miss; one key after the other, each miss waits for the
    /// branch on the one before. Here the filter words of all keys are read first with no branch, then the home
    /// slots of the keys that pass, so the misses overlap; the walk then finds them in cache.
    func collect(_ keys: [UInt64], into ids: inout [Int32]) {
        forEachBatch(keys) { _, id in ids.append(id) }
    }

    /// `forEach` of every key of `keys` in turn, as `collect` reads them: `body(key index, id)`.
    @inline(__always) func forEachBatch(_ keys: [UInt64], _ body: (Int, Int32) -> Void) {
        if keys.isEmpty { return }
        var start = 0
        keys.withUnsafeBufferPointer { kb in
            filter.withUnsafeBufferPointer { f in
                slots.withUnsafeBufferPointer { s in
                    while start < kb.count {
                        let end = min(kb.count, start + 64)
                        var pass: UInt64 = 0
                        for j in start..<end {
                            let k = kb[j], bits = DeletionTable.filterBits(k)
                            pass |= (f[Int(truncatingIfNeeded: k) & filterMask] & bits == bits ? 1 : 0) << UInt64(j - start)
                        }
                        var touched: UInt64 = 0
                        var p = pass
                        while p != 0 {
                            let j = start + p.trailingZeroBitCount
                            touched |= s[2 * DeletionTable.slot(kb[j], mask)]
                            p &= p - 1
                        }
                        // Every home slot empty (keys are never 0): nothing to find in this chunk.
                        p = touched == 0 ? 0 : pass
                        while p != 0 {
                            let j = start + p.trailingZeroBitCount
                            let k = kb[j]
                            var i = DeletionTable.slot(k, mask)
                            while true {
                                let key = s[2 * i]
                                if key == 0 { break }
                                if key == k { body(j, Int32(bitPattern: UInt32(truncatingIfNeeded: s[2 * i + 1]))) }
                                i = (i + 1) & mask
                            }
                            p &= p - 1
                        }
                        start = end
                    }
                }
            }
        }
    }

    @inline(__always) func forEach(_ k: UInt64, _ body: (Int32) -> Void) {
        guard mayContain(k) else { return }
        slots.withUnsafeBufferPointer { s in
            var i = DeletionTable.slot(k, mask)
            while true {
                let key = s[2 * i]
                if key == 0 { return }
                if key == k { body(Int32(bitPattern: UInt32(truncatingIfNeeded: s[2 * i + 1]))) }
                i = (i + 1) & mask
            }
        }
    }
}
