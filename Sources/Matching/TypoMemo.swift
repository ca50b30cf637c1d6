/// The one-typo hits of text tokens already searched, remembered in a search workspace for one index.
///
/// A text token's one-typo hits (`searchNormalized`: its deletion neighbourhood looked up, the candidates checked
/// for one edit, on the folded and the unfolded form) depend on nothing but the token's folded and unfolded bytes
/// and the index: its exact hit, which they exclude, is the vocabulary token equal to the folded bytes. Payment text
/// repeats its words (the same counterparties, towns, streets and legal forms, and the same field searched as
/// several line-join variants), so a worker that keeps its workspace finds most tokens here instead of probing the
/// deletion tables again, which for a large list are megabytes and cache misses.
///
/// Only tokens of at most 64 bytes in both forms are remembered (the search's typo limit). Their keys (the folded
/// bytes' count, the folded bytes, the unfolded bytes) are numbered by a `TokenInterner`, the index build's own
/// table of byte strings (flat buffer, `selfKey` hash, confirmed byte for byte), so a lookup hashes no array and
/// allocates nothing. Bounded: past `capacity` tokens, or four hits per token on average, it starts empty again (at
/// most about 3.5 MB). Results are only ever those the search computed for this index (`NameIndex.identity`), so a
/// search finds the same hits, in the same order, with or without it.
struct TypoMemo {
    /// Remembered tokens at most, before starting again; 0: remembers nothing.
    let capacity: Int
    /// The longest form remembered, in bytes.
    static let maxTokenBytes = 64

    init(capacity: Int = 16_384) { self.capacity = capacity }

    /// The remembered tokens' keys, numbered in the order remembered (made at the first `remember`).
    private var keys: TokenInterner?
    /// Per remembered token, by its key's number: its hits' range in `results`.
    private var ranges: [Range<Int32>] = []
    /// The hits of every remembered token end to end.
    private var results: [(token: Int32, sim: Double)] = []
    /// The last `lookup`'s key, and whether it missed a token this memo keeps (then `remember` stores it).
    private var key: [UInt8] = []
    private var pending = false
    /// Lookups answered from memory (for tests and figures).
    private(set) var answered = 0

    var count: Int { ranges.count }

    /// The remembered hits of the token with folded bytes `folded` and unfolded bytes `raw`, or nil (then `remember`
    /// may be called with its hits). Nil for a token longer than `maxTokenBytes`.
    mutating func lookup(folded: UnsafeBufferPointer<UInt8>, raw: UnsafeBufferPointer<UInt8>) -> Range<Int32>? {
        pending = false
        if capacity == 0 || folded.count > Self.maxTokenBytes || raw.count > Self.maxTokenBytes { return nil }
        key.removeAll(keepingCapacity: true)
        key.append(UInt8(folded.count))
        key.append(contentsOf: folded)
        key.append(contentsOf: raw)
        if let keys, let id = key.withUnsafeBufferPointer({ keys.id(of: $0) }) {
            answered += 1
            return ranges[Int(id)]
        }
        pending = true
        return nil
    }

    /// Hit `k` of a range from `lookup`.
    @inline(__always) func hit(_ k: Int32) -> (token: Int32, sim: Double) { results[Int(k)] }

    /// Remembers `hits` for the token of the last `lookup` (nothing if that lookup was not a miss of a token it keeps).
    mutating func remember(_ hits: ArraySlice<NameIndex.TokenHit>) {
        guard pending else { return }
        pending = false
        if keys == nil || ranges.count >= capacity || results.count + hits.count > 4 * capacity {
            keys = TokenInterner(capacity: min(capacity, 1024))
            ranges.removeAll(keepingCapacity: true)
            results.removeAll(keepingCapacity: true)
        }
        let start = Int32(results.count)
        for h in hits { results.append((h.token, h.sim)) }
        let id = key.withUnsafeBufferPointer { keys!.intern($0) }
        assert(Int(id) == ranges.count, "a remembered key is interned once")
        ranges.append(start..<Int32(results.count))
    }
}

/// Whether words are tokens of one index (`NameIndex.isKnownToken`), remembered in a search workspace for that index.
///
/// The line-join decisions (`writeNameTextVariants`) ask, for every break between two word characters, whether the
/// pieces and the word they would make are alias or legal-form tokens, exactly or within one typo: lookups in the
/// vocabulary's key table and, for a word neither of whose pieces is known, its deletion neighbourhood in both typo
/// tables, each a likely cache miss. The answer depends on nothing but the word's bytes, whether the typo lookup was
/// asked for, and the index; payments break the same names and addresses at the same places again and again, so a
/// worker that keeps its workspace answers most of them here. Keys (the question's byte, then the word) are numbered by
/// a `TokenInterner`; only words of at most `maxWordBytes` are remembered. Bounded like `TypoMemo`: past `capacity`
/// words it starts empty again. Answers are only those `isKnownToken` gave for this index, so the decisions are the
/// same with or without it.
struct KnownTokenMemo {
    /// Remembered words at most, before starting again; 0: remembers nothing.
    let capacity: Int
    static let maxWordBytes = 64

    init(capacity: Int = 16_384) { self.capacity = capacity }

    private var keys: TokenInterner?
    /// Per remembered word, by its key's number: the answer.
    private var answers: [Bool] = []
    /// The last `lookup`'s key, and whether it missed a word this memo keeps (then `remember` stores it).
    private var key: [UInt8] = []
    private var pending = false
    /// Lookups answered from memory (for tests and figures).
    private(set) var answered = 0

    var count: Int { answers.count }

    /// The remembered answer for `word` asked with or without the typo lookup, or nil (then `remember` may be called
    /// with the answer).
    mutating func lookup(_ word: UnsafeBufferPointer<UInt8>, fuzzy: Bool) -> Bool? {
        pending = false
        if capacity == 0 || word.count > Self.maxWordBytes { return nil }
        key.removeAll(keepingCapacity: true)
        key.append(fuzzy ? 1 : 0)
        key.append(contentsOf: word)
        if let keys, let id = key.withUnsafeBufferPointer({ keys.id(of: $0) }) {
            answered += 1
            return answers[Int(id)]
        }
        pending = true
        return nil
    }

    /// Remembers `known` for the word of the last `lookup` (nothing if that lookup was not a miss of a word it keeps).
    mutating func remember(_ known: Bool) {
        guard pending else { return }
        pending = false
        if keys == nil || answers.count >= capacity {
            keys = TokenInterner(capacity: min(capacity, 1024))
            answers.removeAll(keepingCapacity: true)
        }
        let id = key.withUnsafeBufferPointer { keys!.intern($0) }
        assert(Int(id) == answers.count, "a remembered key is interned once")
        answers.append(known)
    }
}
