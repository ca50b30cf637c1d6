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
    var capacity: Int { keys.capacity }
    /// The longest form remembered, in bytes.
    static let maxTokenBytes = 64

    init(capacity: Int = 16_384) { keys = MemoKeys(capacity: capacity) }

    private var keys: MemoKeys
    /// Per remembered token, by its key's number: its hits' range in `results`.
    private var ranges: [Range<Int32>] = []
    /// The hits of every remembered token end to end.
    private var results: [(token: Int32, sim: Double)] = []
    /// Lookups answered from memory (for tests and figures).
    var answered: Int { keys.answered }

    var count: Int { ranges.count }

    /// The remembered hits of the token with folded bytes `folded` and unfolded bytes `raw`, or nil (then `remember`
    /// may be called with its hits). Nil for a token longer than `maxTokenBytes`.
    mutating func lookup(folded: UnsafeBufferPointer<UInt8>, raw: UnsafeBufferPointer<UInt8>) -> Range<Int32>? {
        let kept = folded.count <= Self.maxTokenBytes && raw.count <= Self.maxTokenBytes
        return keys.lookUp(if: kept) { key in
            key.append(UInt8(folded.count))
            key.append(contentsOf: folded)
            key.append(contentsOf: raw)
        }.map { ranges[Int($0)] }
    }

    /// Hit `k` of a range from `lookup`.
    @inline(__always) func hit(_ k: Int32) -> (token: Int32, sim: Double) { results[Int(k)] }

    /// Remembers `hits` for the token of the last `lookup` (nothing if that lookup was not a miss of a token it keeps).
    mutating func remember(_ hits: ArraySlice<NameIndex.TokenHit>) {
        let full = ranges.count >= capacity || results.count + hits.count > 4 * capacity
        guard let (id, restarted) = keys.internPending(full: full) else { return }
        if restarted {
            ranges.removeAll(keepingCapacity: true)
            results.removeAll(keepingCapacity: true)
        }
        assert(Int(id) == ranges.count, "a remembered key is interned once")
        let start = Int32(results.count)
        for h in hits { results.append((h.token, h.sim)) }
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
    var capacity: Int { keys.capacity }
    static let maxWordBytes = 64

    init(capacity: Int = 16_384) { keys = MemoKeys(capacity: capacity) }

    private var keys: MemoKeys
    /// Per remembered word, by its key's number: the answer.
    private var answers: [Bool] = []
    /// Lookups answered from memory (for tests and figures).
    var answered: Int { keys.answered }

    var count: Int { answers.count }

    /// The remembered answer for `word` asked with or without the typo lookup, or nil (then `remember` may be called
    /// with the answer).
    mutating func lookup(_ word: UnsafeBufferPointer<UInt8>, fuzzy: Bool) -> Bool? {
        keys.lookUp(if: word.count <= Self.maxWordBytes) { key in
            key.append(fuzzy ? 1 : 0)
            key.append(contentsOf: word)
        }.map { answers[Int($0)] }
    }

    /// Remembers `known` for the word of the last `lookup` (nothing if that lookup was not a miss of a word it keeps).
    mutating func remember(_ known: Bool) {
        guard let (id, restarted) = keys.internPending(full: answers.count >= capacity) else { return }
        if restarted { answers.removeAll(keepingCapacity: true) }
        assert(Int(id) == answers.count, "a remembered key is interned once")
        answers.append(known)
    }
}

/// The keys of a workspace memory (`TypoMemo`, `KnownTokenMemo`): byte strings numbered in the order remembered by a
/// `TokenInterner` (the index build's table: flat buffer, `selfKey` hash, confirmed byte for byte, so a lookup hashes
/// no array and allocates nothing), the last lookup's key kept until the memory stores what was computed for it, and
/// a new, empty numbering when the memory is full. The memory keeps its values by key number.
struct MemoKeys {
    /// Keys at most, before starting again; 0: remembers nothing.
    let capacity: Int
    /// Made at the first `internPending`.
    private var interner: TokenInterner?
    /// The last `lookUp`'s key, and whether it missed a key this memory keeps (then `internPending` numbers it).
    private var key: [UInt8] = []
    private var pending = false
    /// Lookups answered from memory.
    private(set) var answered = 0

    init(capacity: Int) { self.capacity = capacity }

    /// The number of the key `write` builds (into an empty buffer), or nil when it is not remembered; then, if `kept`
    /// (and the memory keeps anything), the key waits for `internPending`.
    mutating func lookUp(if kept: Bool, _ write: (inout [UInt8]) -> Void) -> Int32? {
        pending = false
        if capacity == 0 || !kept { return nil }
        key.removeAll(keepingCapacity: true)
        write(&key)
        if let interner, let id = key.withUnsafeBufferPointer({ interner.id(of: $0) }) {
            answered += 1
            return id
        }
        pending = true
        return nil
    }

    /// Numbers the key of the last `lookUp` if it missed one this memory keeps (else nil). When the memory is `full`
    /// (or has no numbering yet) it starts a new numbering first, and says so: the caller then drops its values.
    mutating func internPending(full: Bool) -> (id: Int32, restarted: Bool)? {
        guard pending else { return nil }
        pending = false
        var restarted = false
        if interner == nil || full {
            interner = TokenInterner(capacity: min(capacity, 1024))
            restarted = true
        }
        return (key.withUnsafeBufferPointer { interner!.intern($0) }, restarted)
    }
}
