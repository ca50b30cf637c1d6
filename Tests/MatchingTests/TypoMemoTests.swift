import Testing
@testable import Matching

/// A search workspace that remembers one-typo hits (`TypoMemo`) finds what a fresh search finds.
@Suite("TypoMemo")
struct TypoMemoTests {
    static let syllables = ["KA", "LO", "VER", "NI", "TRA", "DOS", "MIR", "BEL", "ZAN", "GOR", "PRO", "TEK"]

    static func word(_ rng: inout SeededRandom) -> String {
        (0..<Int.random(in: 2...4, using: &rng)).map { _ in syllables.randomElement(using: &rng)! }.joined()
    }

    /// `w` with one random edit (substitution, deletion, insertion or transposition).
    static func typo(_ w: String, _ rng: inout SeededRandom) -> String {
        var b = Array(w.utf8)
        let i = Int.random(in: 0..<b.count, using: &rng)
        let letter = UInt8(ascii: "A") + UInt8.random(in: 0..<26, using: &rng)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: b[i] = letter
        case 1: b.remove(at: i)
        case 2: b.insert(letter, at: i)
        default: if i + 1 < b.count { b.swapAt(i, i + 1) } else { b[i] = letter }
        }
        return String(decoding: b, as: UTF8.self)
    }

    static func index(_ rng: inout SeededRandom, names: Int, automaton: Bool) -> (NameIndex, [String]) {
        let names = (0..<names).map { _ in (0..<Int.random(in: 2...3, using: &rng)).map { _ in word(&rng) }.joined(separator: " ") }
        let aliases = names.enumerated().map { NameIndex.Alias(entry: $0.offset, name: $0.element, isPerson: false, weak: false) }
        var config = MatchConfiguration.default
        if !automaton { config.tokenAutomatonMaxBytes = 0 }   // exact hits from the key table, as at a million names
        return (NameIndex(aliases: aliases, configuration: config), names)
    }

    @Test("one workspace over many fields of two indexes finds, field by field, what a fresh search finds",
          arguments: propertySeeds(3), [true, false])
    func reusedWorkspace(seed: UInt64, automaton: Bool) {
        var rng = SeededRandom(seed: seed)
        let (a, namesA) = Self.index(&rng, names: 300, automaton: automaton)
        let (b, namesB) = Self.index(&rng, names: 300, automaton: automaton)
        #expect((a.tokenAutomaton != nil) == automaton)
        var workspace = NameIndex.SearchWorkspace()
        var typoMatches = 0
        for field in 0..<600 {
            let index = Bool.random(using: &rng) ? a : b
            // A listed name (of either index), its words with typos now and then, among words that are not names.
            let name = (Bool.random(using: &rng) ? namesA : namesB).randomElement(using: &rng)!
            let words = name.split(separator: " ").map { Int.random(in: 0..<3, using: &rng) == 0 ? Self.typo(String($0), &rng) : String($0) }
            let text = ([Self.word(&rng)] + words + [Self.word(&rng)]).joined(separator: " ")
            let fresh = index.search(lines: [text])
            let reused = index.search(lines: [text], workspace: &workspace)
            #expect(reused == fresh, "seed \(seed), field \(field): \(text)")
            if fresh.contains(where: { $0.score < 1 }) { typoMatches += 1 }
        }
        // Both paths were taken: typo'd names were found, tokens were remembered, and lookups answered from memory.
        #expect(typoMatches > 20, "seed \(seed)")
        #expect(workspace.rememberedTokens > 100, "seed \(seed)")
        #expect(workspace.answeredLookups > 500, "seed \(seed)")
    }

    @Test("the hits remembered for one index are never used for another (nor for a rebuilt index)")
    func perIndex() {
        let a = NameIndex(aliases: [.init(entry: 0, name: "VOLGANEFT HOLDING", isPerson: false, weak: false)])
        let b = NameIndex(aliases: [.init(entry: 0, name: "VOLGANEFF HOLDING", isPerson: false, weak: false)])
        var workspace = NameIndex.SearchWorkspace()
        #expect(a.search(lines: ["VOLGANEFT HOLDING"], workspace: &workspace).first?.score == 1)
        // In `b` the same token is one edit from `VOLGANEFF`: found only if `a`'s remembered (no typo) hits are not used.
        let inB = b.search(lines: ["VOLGANEFT HOLDING"], workspace: &workspace)
        #expect(inB.count == 1 && inB[0].score < 1)
        #expect(inB == b.search(lines: ["VOLGANEFT HOLDING"]))
        // A rebuilt `b` (a list reload) has its own identity.
        let rebuilt = NameIndex(aliases: [.init(entry: 0, name: "VOLGANEFX HOLDING", isPerson: false, weak: false)])
        #expect(rebuilt.identity != b.identity)
        #expect(rebuilt.search(lines: ["VOLGANEFT HOLDING"], workspace: &workspace) == rebuilt.search(lines: ["VOLGANEFT HOLDING"]))
    }

    @Test("a workspace made for single searches remembers nothing, and finds the same")
    func notRemembering() {
        let index = NameIndex(aliases: [.init(entry: 0, name: "VOLGANEFF HOLDING", isPerson: false, weak: false)])
        var once = NameIndex.SearchWorkspace(remembersTypos: false)
        var kept = NameIndex.SearchWorkspace()
        for _ in 0..<2 {
            let a = index.search(lines: ["VOLGANEFT HOLDING"], workspace: &once)
            #expect(a.count == 1 && a[0].score < 1)
            #expect(a == index.search(lines: ["VOLGANEFT HOLDING"], workspace: &kept))
        }
        #expect(once.rememberedTokens == 0)
        #expect(kept.rememberedTokens == 2)
    }

    @Test("a full memo starts again empty, and still answers what it remembers after that")
    func capacity() {
        var memo = TypoMemo(capacity: 3)
        func lookup(_ folded: String, _ raw: String) -> Range<Int32>? {
            Array(folded.utf8).withUnsafeBufferPointer { f in Array(raw.utf8).withUnsafeBufferPointer { memo.lookup(folded: f, raw: $0) } }
        }
        func remember(_ folded: String, _ raw: String, _ hits: [NameIndex.TokenHit]) {
            _ = lookup(folded, raw)   // `remember` stores the token of the last lookup
            memo.remember(hits[...])
        }
        for (n, word) in ["ALPHA", "BRAVO", "CHARLIE"].enumerated() {
            #expect(lookup(word, word) == nil)
            remember(word, word, [NameIndex.TokenHit(pos: 0, token: 7, sim: 0.9), NameIndex.TokenHit(pos: 0, token: Int32(n), sim: 1)])
        }
        #expect(memo.count == 3)
        #expect(lookup("BRAVO", "BRAVO").map { $0.map { memo.hit($0).token } } == [7, 1])
        #expect(memo.answered == 1)
        // The fourth token: the memo is full, so it starts again with that token alone.
        #expect(lookup("DELTA", "DELTA") == nil)
        remember("DELTA", "DELTA", [])
        #expect(memo.count == 1)
        #expect(lookup("BRAVO", "BRAVO") == nil)
        #expect(lookup("DELTA", "DELTA") == 0..<0)
    }

    @Test("the folded and the unfolded bytes are both the key; a token over 64 bytes is never remembered")
    func keys() {
        var memo = TypoMemo()
        func lookup(_ folded: String, _ raw: String) -> Range<Int32>? {
            Array(folded.utf8).withUnsafeBufferPointer { f in Array(raw.utf8).withUnsafeBufferPointer { memo.lookup(folded: f, raw: $0) } }
        }
        func remember(_ folded: String, _ raw: String) {
            _ = lookup(folded, raw)   // `remember` stores the token of the last lookup
            memo.remember([NameIndex.TokenHit(pos: 0, token: 1, sim: 0.95)][...])
        }
        #expect(lookup("STEFEN", "STEPHEN") == nil)
        remember("STEFEN", "STEPHEN")
        #expect(lookup("STEFEN", "STEPHEN") == 0..<1)
        #expect(lookup("STEFEN", "STEFEN") == nil)        // same folded bytes, other unfolded ones
        #expect(lookup("STEFENS", "TEPHEN") == nil)       // the same bytes split elsewhere
        #expect(lookup("STEFEN", "STEPHEN") == 0..<1)
        let long = String(repeating: "A", count: 65)
        #expect(lookup("A", long) == nil)
        remember("A", long)
        #expect(lookup("A", long) == nil)
        #expect(memo.count == 1)
    }
}
