/// One phrase found in a text.
public struct PhraseMatch: Sendable, Equatable, CustomStringConvertible {
    /// Index of the phrase in the array the index was built from.
    public var phrase: Int
    /// The normalized text that matched.
    public var matchedText: String
    public init(phrase: Int, matchedText: String) {
        self.phrase = phrase
        self.matchedText = matchedText
    }
    public var description: String { "phrase \(phrase) '\(matchedText)'" }
}

/// Exact whole-token phrase search, for end-use keywords and HS codes.
///
/// Phrases and text meet in the folded matching form (`Normalizer.matchForm`), so a Russian keyword
/// matches in Cyrillic or in any common transliteration, and a Turkish one with or without its
/// diacritics. A phrase only ever matches whole tokens: `854231` does not fire inside `128542310`.
/// Nothing is removed (no legal forms, no stop words): phrases match exactly as written, token for token.
public struct PhraseIndex: Sendable {
    let automaton: AhoCorasick?
    public let phraseCount: Int
    /// Phrases that normalize to nothing and therefore can never match.
    public let emptyPhrases: [Int]
    let joinLinesWithoutSpace: Bool

    public init(phrases: [String], joinLinesWithoutSpace: Bool = true) {
        phraseCount = phrases.count
        self.joinLinesWithoutSpace = joinLinesWithoutSpace
        var patterns = [[UInt8]]()
        var empty = [Int]()
        for (i, p) in phrases.enumerated() {
            let form = Array(Normalizer.matchForm(p).utf8)
            if form.isEmpty {
                empty.append(i)
                patterns.append([0x20, 0x00, 0x20])  // placeholder that normalized text can never contain
            } else {
                patterns.append([0x20] + form + [0x20])
            }
        }
        emptyPhrases = empty
        automaton = try? AhoCorasick(patterns: patterns, configuration: .init(kind: .dfa))
    }

    /// A field's lines prepared once for any number of phrase indexes built with the same line-join setting
    /// (the policy searches keywords and exclusions in the same free text): each distinct normalized text, its
    /// tokens as shown, and the folded tokens padded with spaces (`" T1 T2 … "`) with each token's offset.
    public struct PreparedLines: Sendable {
        struct Variant: Sendable {
            var display: [ArraySlice<UInt8>]
            var padded: [UInt8]
            var starts: [Int]
        }
        var variants: [Variant] = []
        let joinWithoutSpace: Bool

        public init(lines: [String], joinWithoutSpace: Bool = true) {
            self.joinWithoutSpace = joinWithoutSpace
            for normalized in NameIndex.textVariants(lines, joinWithoutSpace: joinWithoutSpace) {
                let display = NameIndex.tokenSlices(normalized)
                if display.isEmpty { continue }
                var padded: [UInt8] = [0x20]
                padded.reserveCapacity(2 * normalized.count + 2)
                var starts = [Int]()
                starts.reserveCapacity(display.count)
                for t in display {
                    starts.append(padded.count - 1)
                    padded.append(contentsOf: Normalizer.fold(t))
                    padded.append(0x20)
                }
                variants.append(Variant(display: display, padded: padded, starts: starts))
            }
        }
    }

    /// Every phrase found in the field's lines, in phrase order, each once (its first occurrence).
    public func search(lines: [String]) -> [PhraseMatch] {
        search(PreparedLines(lines: lines, joinWithoutSpace: joinLinesWithoutSpace), lines: lines)
    }

    /// `search(lines:)` on lines prepared once (`lines` are used only if `prepared` was made with another
    /// line-join setting than this index').
    public func search(_ prepared: PreparedLines, lines: [String]) -> [PhraseMatch] {
        guard let automaton else { return [] }
        if prepared.joinWithoutSpace != joinLinesWithoutSpace {
            return search(PreparedLines(lines: lines, joinWithoutSpace: joinLinesWithoutSpace), lines: lines)
        }
        var found = [Int: String]()
        for v in prepared.variants {
            let starts = v.starts, display = v.display
            func tokenAt(_ offset: Int) -> Int {
                var lo = 0, hi = starts.count - 1
                while lo < hi {
                    let mid = (lo + hi + 1) / 2
                    if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
                }
                return lo
            }
            v.padded.withUnsafeBytes { raw in
                automaton.forEachOverlappingMatch(in: raw) { m in
                    let p = Int(m.pattern.rawValue)
                    if found[p] != nil { return }
                    let first = tokenAt(m.start), last = tokenAt(m.end - 2)
                    found[p] = display[first...last].map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
                }
            }
        }
        if found.isEmpty { return [] }
        return found.keys.sorted().map { PhraseMatch(phrase: $0, matchedText: found[$0]!) }
    }

    public func search(_ text: String) -> [PhraseMatch] { search(lines: [text]) }
}
