/// Prefilter keys: 32-bit hashes that let a rescreen find, without reading messages, the stored payments in
/// which the aliases of a few changed list entries can possibly be found.
///
/// The guarantee is one-sided: whenever `search` can report an alias of an index for a field, the field's
/// `textKeys` and the index's `queryKeys` share at least one key (collisions only add candidates). It holds
/// for every index, because a text's keys depend on the text alone (see DESIGN.md §6):
/// - A variant is a candidate only through a token hit: a kept text token equal to an alias token (folded),
///   or one edit from one (folded or as written, tokens of at least `minTypoTokenLength - 1` bytes). Two tokens
///   one edit apart (substitution, insertion, deletion, transposition) share a key of their deletion
///   neighbourhoods (the word itself and the word without one byte); the text side keys every token's
///   neighbourhood, the index side its tokens' (the deletion tables' keys themselves).
/// - A compound form is matched by a run of whole normalized tokens joined: a single token equal to the form, or
///   a run whose first two tokens joined are a prefix of the form. The text side keys every normalized token as
///   written and every two neighbouring tokens joined (`pairKey`), the index side each form and its prefixes.
/// - Which line breaks a field is matched with rejoined depends on the index (`nameTextVariants`): the text
///   side keys the tokens of every line alone and of every run of lines a break between letters could join,
///   in both punctuation modes, so that every text any index can search is covered.
extension NameIndex {
    /// A 64-bit token key (`selfKey`, `deletionKeys`) folded to the 32 bits that are stored.
    @inline(__always) public static func storedKey(_ k: UInt64) -> Int32 {
        Int32(bitPattern: UInt32(truncatingIfNeeded: k ^ (k >> 32)))
    }

    /// The stored key of a byte string (a token, or a tagged value such as a BIC or an identifier).
    public static func storedKey<C: Collection<UInt8>>(bytes: C) -> Int32 { storedKey(selfKey(bytes)) }

    /// The stored key of the bytes of `tag` followed by `bytes` (a tagged value), hashed as they come: what
    /// `storedKey(bytes:)` gives for the two joined, without joining them (and not generic, so a caller in
    /// another module does not call an unspecialized generic function).
    public static func storedKey(tag: StaticString, bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        var hasher = SelfKeyHasher()
        hasher.add(UnsafeBufferPointer(start: tag.utf8Start, count: tag.utf8CodeUnitCount))
        hasher.add(bytes)
        return storedKey(hasher.key)
    }

    /// Adds the keys of every text the name search can make of `lines` (one field) to `keys`.
    public static func textKeys(lines: [String], into keys: inout PrefilterKeys, configuration: MatchConfiguration = .default) {
        if lines.allSatisfy(\.isEmpty) { return }
        var folded: [UInt8] = []
        // Breaks a variant may rejoin: between word characters of two non-empty lines.
        let joinable = (0..<max(0, lines.count - 1)).map { i in
            configuration.joinLinesWithoutSpace && !lines[i].isEmpty && !lines[i + 1].isEmpty && endsInWord(lines[i]) && startsInWord(lines[i + 1])
        }
        // ends[s][k]: the first and last tokens of lines s...s+k joined without a space (k = 0: line s alone), in
        // both punctuation modes; every segment a variant can be made of. `.join` differs from `.separate` only
        // where punctuation sits between two word characters (the matcher's own rule for making that variant):
        // a segment without such a place adds no keys of its own in `.join`, and its tokens are `.separate`'s.
        var ends = [[(separate: TokenEnds, join: TokenEnds)]](repeating: [], count: lines.count)
        for s in lines.indices {
            var text = lines[s], e = s
            while true {
                let (separate, joins) = Normalizer.normalizedBytesReportingJoins(text, punctuation: .separate)
                let separateEnds = addTokens(separate, &keys, &folded, configuration)
                let joinEnds = joins ? addTokens(Normalizer.normalizedBytes(text, punctuation: .join), &keys, &folded, configuration) : separateEnds
                ends[s].append((separateEnds, joinEnds))
                guard e + 1 < lines.count, joinable[e] else { break }
                e += 1
                text += lines[e]
            }
        }
        // Two tokens side by side across a break: a segment's last and the first of a segment that can follow
        // it (one that starts right after it, or after lines that are empty once normalized), in each mode.
        for join in [false, true] {
            for s in lines.indices {
                for (k, pair) in ends[s].enumerated() {
                    let segment = join ? pair.join : pair.separate
                    guard let last = segment.last else { continue }
                    var next = s + k + 1
                    while next < lines.count {
                        for following in ends[next] {
                            let f = join ? following.join : following.separate
                            if let first = f.first { keys.insert(pairKey(segment.bytes[last], f.bytes[first])) }
                        }
                        guard (join ? ends[next][0].join : ends[next][0].separate).first == nil else { break }
                        next += 1
                    }
                }
            }
        }
    }

    /// A segment's normalized bytes and the ranges of its first and last tokens (nil: no token).
    struct TokenEnds {
        var bytes: [UInt8] = []
        var first: Range<Int>?
        var last: Range<Int>?
    }

    /// Adds the keys of every token of `bytes` (normalized, tokens separated by single spaces) and of every
    /// two neighbouring tokens joined; returns where the first and last tokens are.
    private static func addTokens(_ bytes: [UInt8], _ keys: inout PrefilterKeys, _ folded: inout [UInt8],
                                  _ configuration: MatchConfiguration) -> TokenEnds {
        var ends = TokenEnds(bytes: bytes)
        bytes.withUnsafeBufferPointer { b in
            var k = 0
            while k < b.count {
                if b[k] == 0x20 { k += 1; continue }
                let start = k
                while k < b.count, b[k] != 0x20 { k += 1 }
                let token = UnsafeBufferPointer(rebasing: b[start..<k])
                addToken(token, &keys, &folded, configuration)
                if let previous = ends.last { keys.insert(pairKey(b[previous], token)) }
                if ends.first == nil { ends.first = start..<k }
                ends.last = start..<k
            }
        }
        return ends
    }

    /// The key of two normalized tokens side by side, joined (the first two tokens of a compound run): the
    /// stored key of the bytes 0x03, a, b, hashed as they come (no joined array).
    static func pairKey<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Int32 {
        var hasher = SelfKeyHasher()
        hasher.add(CollectionOfOne(UInt8(0x03)))
        hasher.add(a)
        hasher.add(b)
        return storedKey(hasher.key)
    }

    /// One normalized token's keys: itself as written (exact and compound pieces), folded, and the deletion
    /// neighbourhoods of both forms when the token is long enough to carry a typo.
    private static func addToken(_ raw: UnsafeBufferPointer<UInt8>, _ keys: inout PrefilterKeys, _ folded: inout [UInt8],
                                 _ configuration: MatchConfiguration) {
        let minTypo = configuration.minTypoTokenLength
        keys.insert(storedKey(bytes: raw))
        folded.removeAll(keepingCapacity: true)
        Normalizer.foldAppend(raw, to: &folded)
        keys.insert(storedKey(bytes: folded))
        if folded.count >= minTypo && folded.count <= 64 && !folded.contains(where: { $0 < 0x41 }) {
            forEachDeletionKey(folded) { keys.insert(storedKey($0)) }
        }
        if raw.count >= minTypo && raw.count <= 64 && !raw.elementsEqual(folded) {
            forEachDeletionKey(raw) { keys.insert(storedKey($0)) }
        }
    }

    /// The keys a text must share with this index for `search` to be able to report one of its aliases.
    ///
    /// `verify` accepts a variant only with a token hit on every one of its required tokens (all tokens of an
    /// entity name, the family and first given name of a person's), so one required token per variant is
    /// enough: its longest (long tokens are the rare ones), as folded and as written, exactly or one edit away.
    public func queryKeys(into keys: inout Set<Int32>) {
        var scratch = [UInt64]()
        var rawOf = [Int32: [Int]]()
        for (r, t) in rawTokenFolded.enumerated() { rawOf[t, default: []].append(r) }
        var chosen = Set<Int32>()
        for v in 0..<variantAlias.count {
            let range = Int(variantOffsets[v])..<Int(variantOffsets[v + 1])
            let required = range.filter { variantEssential[$0] == NameIndex.required }
            guard let best = required.max(by: { tokenBytes.length(Int(variantTokens[$0])) < tokenBytes.length(Int(variantTokens[$1])) }) else {
                // No required token (not built today): any token's hit may start it.
                for i in range { chosen.insert(variantTokens[i]) }
                continue
            }
            chosen.insert(variantTokens[best])
        }
        for id in chosen {
            let t = tokenBytes[Int(id)]
            keys.insert(Self.storedKey(bytes: t))
            // A text token one edit from `t`: its deletion neighbourhood meets `t`'s (a 5-byte text token is
            // looked up by itself, one of the deletions of a 6-byte alias token).
            if t.count >= configuration.minTypoTokenLength - 1 {
                deletionKeys(t, into: &scratch)
                for k in scratch { keys.insert(Self.storedKey(k)) }
            }
            for r in rawOf[id] ?? [] {
                deletionKeys(rawTokenBytes[r], into: &scratch)
                for k in scratch { keys.insert(Self.storedKey(k)) }
            }
        }
        // A compound form is matched by a run of whole text tokens joined: one token equal to the form, or two or
        // more whose first two, joined, are a prefix of it (at least two bytes long).
        for form in compoundForms.bytes {
            keys.insert(Self.storedKey(bytes: form))
            for m in 2...max(2, form.count) where m <= form.count { keys.insert(Self.storedKey(bytes: [0x03] + form[0..<m])) }
        }
    }
}

/// A set of prefilter keys, repeats dropped as they come; `sorted()` gives them in order, each once.
///
/// Open addressing with linear probing over a power-of-two table kept at most half full. A key's slot is its
/// own top bits (keys are hashes already, so the top bits are spread evenly), taken in the keys' order, so the
/// table holds the keys nearly sorted: reading it out and finishing with an insertion sort costs about one
/// step a key, where sorting them (the standard library's merge sort, or a byte-wise radix sort) took a fifth
/// of the keys' cost. A payment's keys are a few hundred insertions with many repeats (every token's deletion
/// neighbourhood, in both punctuation modes): `Set<Int32>` hashed each one with SipHash.
///
/// Keys are unseeded hashes of the message's text, so a hostile sender can make many of them share their top
/// bits. Such a crowd would make probing and the insertion sort quadratic; a probe longer than `maxProbe`
/// (at most half full, an honest table's probes are about 1.5 slots long) moves every key into a `Set` (seeded)
/// and the rest goes there. A key sits less than `maxProbe` slots after its home slot, so the insertion sort
/// moves a key less than `maxProbe` places, except zero (kept outside the table) and the keys whose probe
/// wrapped around the table's end (fewer than `maxProbe`), which may cross it once: linear time either way.
public struct PrefilterKeys: Sendable {
    private var slots: [Int32]
    private var shift: UInt32
    private var hasZero = false
    /// Every key, once a probe was longer than `maxProbe`; the table is no longer used.
    private var crowded: Set<Int32>?
    public private(set) var count = 0

    static let maxProbe = 64

    public init() {
        slots = [Int32](repeating: 0, count: 512)
        shift = 32 - 9
    }

    /// Whether a probe was ever longer than `maxProbe` (only crafted keys do that).
    public var isCrowded: Bool { crowded != nil }

    /// The key as an unsigned number in the same order (its sign bit flipped).
    @inline(__always) private static func ordered(_ key: Int32) -> UInt32 { UInt32(bitPattern: key) ^ 0x8000_0000 }

    public mutating func insert(_ key: Int32) {
        if crowded == nil, key != 0, 2 * (count + 1) > slots.count { grow() }
        if crowded != nil {
            if crowded!.insert(key).inserted { count += 1 }
            return
        }
        if key == 0 {
            if !hasZero { hasZero = true; count += 1 }
            return
        }
        let mask = slots.count - 1
        let start = Int(Self.ordered(key) >> shift)
        let placed: Bool = slots.withUnsafeMutableBufferPointer { t in
            var i = start
            for _ in 0..<Self.maxProbe {
                let k = t[i]
                if k == key { return true }
                if k == 0 { t[i] = key; count += 1; return true }
                i = (i + 1) & mask
            }
            return false
        }
        if !placed {
            var all = Set(slots.lazy.filter { $0 != 0 })
            if hasZero { all.insert(0) }
            all.insert(key)
            count = all.count
            crowded = all
            slots = []
        }
    }

    /// The keys in increasing order, each once.
    public func sorted() -> [Int32] {
        if let crowded { return crowded.sorted() }
        var out = [Int32](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
            // Zero (never stored in the table) first; the insertion sort moves it to its place.
            var n = hasZero ? 1 : 0
            slots.withUnsafeBufferPointer { t in
                for k in t where k != 0 { o[n] = k; n += 1 }
            }
            for j in 1..<max(1, n) {
                let x = o[j]
                var i = j
                while i > 0, o[i - 1] > x { o[i] = o[i - 1]; i -= 1 }
                o[i] = x
            }
        }
        return out
    }

    private mutating func grow() {
        let old = slots
        slots = [Int32](repeating: 0, count: old.count * 2)
        shift -= 1
        count = hasZero ? 1 : 0
        // Should a probe grow too long while moving (crafted keys), `insert` moves what was placed to the set, and
        // the keys not moved yet follow it there.
        for k in old where k != 0 { insert(k) }
    }
}
