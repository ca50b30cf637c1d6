import Testing
@testable import Matching

/// A search workspace that remembers the line-join lookups (`KnownTokenMemo`) finds what a fresh search finds.
@Suite("KnownTokenMemo")
struct KnownTokenMemoTests {
    /// `text` cut into MT-style lines at random places (mid-word too), each at most `width` characters.
    static func wrapped(_ text: String, width: Int, _ rng: inout SeededRandom) -> [String] {
        var lines: [String] = []
        var rest = Substring(text)
        while rest.count > width {
            let cut = Int.random(in: max(1, width / 2)...width, using: &rng)
            lines.append(String(rest.prefix(cut)))
            rest = rest.dropFirst(cut)
        }
        if !rest.isEmpty { lines.append(String(rest)) }
        return lines
    }

    @Test("one workspace over wrapped fields of two indexes decides every line break as a fresh search does",
          arguments: propertySeeds(3))
    func reusedWorkspace(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        let (a, namesA) = TypoMemoTests.index(&rng, names: 300, automaton: true)
        let (b, namesB) = TypoMemoTests.index(&rng, names: 300, automaton: true)
        var workspace = NameIndex.SearchWorkspace()
        var joinedFound = 0
        for field in 0..<600 {
            let index = Bool.random(using: &rng) ? a : b
            // A listed name (of either index), words that are not names around it, wrapped mid-word now and then.
            let name = (Bool.random(using: &rng) ? namesA : namesB).randomElement(using: &rng)!
            let text = [TypoMemoTests.word(&rng), name, TypoMemoTests.word(&rng)].joined(separator: " ")
            let lines = Self.wrapped(text, width: Int.random(in: 8...20, using: &rng), &rng)
            let fresh = index.search(lines: lines)
            let reused = index.search(lines: lines, workspace: &workspace)
            #expect(reused == fresh, "seed \(seed), field \(field): \(lines)")
            var scratch = NameIndex.JoinScratch()
            if index.nameTextVariants(lines, scratch: &scratch).count > 1 { joinedFound += 1 }
        }
        // Breaks were rejoined, words remembered, and lookups answered from memory.
        #expect(joinedFound > 50, "seed \(seed)")
        #expect(workspace.rememberedWords > 100, "seed \(seed)")
        #expect(workspace.answeredWordLookups > 200, "seed \(seed)")
    }

    @Test("the answers remembered for one index are never used for another")
    func perIndex() {
        let a = NameIndex(aliases: [.init(entry: 0, name: "HOBBY CV", isPerson: false, weak: false)])
        let b = NameIndex(aliases: [.init(entry: 0, name: "SURABAYA TRADING", isPerson: false, weak: false)])
        let lines = ["SURABAYA HOBB", "Y CV"]
        var workspace = NameIndex.SearchWorkspace()
        // In `a`, HOBB + Y makes a token: the break is rejoined and the name found.
        #expect(a.search(lines: lines, workspace: &workspace).map(\.entry) == [0])
        #expect(workspace.rememberedWords > 0)
        // In `b` the same break stays a space: found only if `a`'s remembered answers are not used.
        var scratch = NameIndex.JoinScratch()
        #expect(b.nameTextVariants(lines, scratch: &scratch).count == 1)
        #expect(b.search(lines: lines, workspace: &workspace) == b.search(lines: lines))
        #expect(a.search(lines: lines, workspace: &workspace) == a.search(lines: lines))
        #expect(workspace.answeredWordLookups > 0)
    }

    @Test("a workspace made for single searches remembers no words")
    func notRemembering() {
        let index = NameIndex(aliases: [.init(entry: 0, name: "HOBBY CV", isPerson: false, weak: false)])
        var once = NameIndex.SearchWorkspace(remembersTypos: false)
        for _ in 0..<2 { #expect(index.search(lines: ["SURABAYA HOBB", "Y CV"], workspace: &once).map(\.entry) == [0]) }
        #expect(once.rememberedWords == 0 && once.answeredWordLookups == 0)
    }

    @Test("the question (with or without the typo lookup) is part of the key; full, it starts again; long words are not kept")
    func keys() {
        var memo = KnownTokenMemo(capacity: 2)
        func lookup(_ word: String, _ fuzzy: Bool) -> Bool? { Array(word.utf8).withUnsafeBufferPointer { memo.lookup($0, fuzzy: fuzzy) } }
        #expect(lookup("HOBBY", false) == nil)
        memo.remember(true)
        #expect(lookup("HOBBY", false) == true)
        #expect(lookup("HOBBY", true) == nil)          // asked the other way: not remembered yet
        memo.remember(false)
        #expect(lookup("HOBBY", true) == false)
        #expect(memo.count == 2 && memo.answered == 2)
        // A third word: the memo is full, so it starts again with that word alone.
        #expect(lookup("CV", false) == nil)
        memo.remember(true)
        #expect(memo.count == 1)
        #expect(lookup("HOBBY", false) == nil)
        // `remember` after a lookup that was answered stores nothing.
        #expect(lookup("CV", false) == true)
        memo.remember(false)
        #expect(memo.count == 1 && lookup("CV", false) == true)
        let long = String(repeating: "A", count: 65)
        #expect(lookup(long, false) == nil)
        memo.remember(true)
        #expect(lookup(long, false) == nil)
        #expect(memo.count == 1)
    }
}
