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

/// Where a phrase occurs in prepared lines: which text variant, and which of its tokens.
public struct PhraseOccurrence: Sendable, Equatable {
    public var phrase: Int
    /// The text variant (`PhraseIndex.PreparedLines`): occurrences of two indexes can be compared by position
    /// only within the same variant.
    public var variant: Int
    public var tokens: ClosedRange<Int>
    /// Whether `other` lies within this occurrence (same variant, its tokens inside these).
    public func covers(_ other: PhraseOccurrence) -> Bool {
        variant == other.variant && tokens.lowerBound <= other.tokens.lowerBound && other.tokens.upperBound <= tokens.upperBound
    }
}

/// Whole-token phrase search, for end-use keywords and HS codes.
///
/// Phrases and text meet in the folded matching form (`Normalizer.matchForm`), so a Russian keyword
/// matches in Cyrillic or in any common transliteration, and a Turkish one with or without its
/// diacritics. A phrase only ever matches whole tokens: `854231` does not fire inside `128542310`.
/// Nothing is removed (no legal forms, no stop words): phrases match token for token.
///
/// Built with `languages`, a phrase of a language the `Stemmer` has a table for (en, tr, ru) matches on
/// stems: each of its folded tokens and each folded token of the text are stemmed with that language's table
/// (`ПОДШИПНИКИ` meets `ПОДШИПНИКОВ`, `CNC MACHINES` meets `CNC MACHINE`); a phrase of any other language
/// matches as written. The text is searched once per language, in one pass over one buffer of segments.
public struct PhraseIndex: Sendable {
    let automaton: AhoCorasick?
    public let phraseCount: Int
    /// Phrases that normalize to nothing and therefore can never match.
    public let emptyPhrases: [Int]
    let joinLinesWithoutSpace: Bool
    /// Whether phrases were stemmed (built with languages).
    public let stemmed: Bool
    /// The segment of the prepared text each phrase matches in: 0 as written, 1 + `Stemmer.Language` index.
    let segmentOfPhrase: [UInt8]

    /// Exact phrases: every token as written (folded).
    public init(phrases: [String], joinLinesWithoutSpace: Bool = true) {
        self.init(phrases: phrases, languages: nil, joinLinesWithoutSpace: joinLinesWithoutSpace)
    }

    /// Phrases matched on stems of their language (`languages[i]` is phrase i's ISO 639-1 code).
    public init(phrases: [String], languages: [String]?, joinLinesWithoutSpace: Bool = true) {
        phraseCount = phrases.count
        self.joinLinesWithoutSpace = joinLinesWithoutSpace
        stemmed = languages != nil
        var patterns = [[UInt8]]()
        var empty = [Int]()
        var segments = [UInt8]()
        for (i, p) in phrases.enumerated() {
            let lang = languages.flatMap { i < $0.count ? Stemmer.Language(rawValue: $0[i].lowercased()) : nil }
            segments.append(lang.map { Self.segment(of: $0) } ?? 0)
            let tokens = Normalizer.normalizedBytes(p).split(separator: 0x20)
            if tokens.isEmpty {
                empty.append(i)
                patterns.append([0x20, 0x00, 0x20])  // placeholder that normalized text can never contain
                continue
            }
            var pattern: [UInt8] = [0x20]
            for t in tokens {
                if let lang {
                    pattern += Stemmer.shared.foldedStem(t, language: lang)
                } else {
                    pattern += Normalizer.fold(t)
                }
                pattern.append(0x20)
            }
            patterns.append(pattern)
        }
        emptyPhrases = empty
        segmentOfPhrase = segments
        automaton = try? AhoCorasick(patterns: patterns, configuration: .init(kind: .dfa))
    }

    static func segment(of language: Stemmer.Language) -> UInt8 {
        UInt8(Stemmer.Language.allCases.firstIndex(of: language)! + 1)
    }

    /// A field's lines prepared once for any number of phrase indexes built with the same line-join setting
    /// (the policy searches keywords and exclusions in the same free text): each distinct normalized text, its
    /// tokens as shown, and the folded tokens padded with spaces (`" T1 T2 … "`), followed, if `stemmed`, by the
    /// same tokens stemmed for each language (segments separated by a byte no pattern holds), with each token's
    /// offset in each segment.
    public struct PreparedLines: Sendable {
        struct Variant: Sendable {
            var display: [ArraySlice<UInt8>]
            var padded: [UInt8]
            /// Offset of the space before each token, segment after segment (`display.count` per segment).
            var starts: [Int]
            /// End of the as-written segment in `padded`.
            var exactEnd: Int
        }
        var variants: [Variant] = []
        let joinWithoutSpace: Bool
        let stemmed: Bool

        public init(lines: [String], joinWithoutSpace: Bool = true, stemmed: Bool = false) {
            self.joinWithoutSpace = joinWithoutSpace
            self.stemmed = stemmed
            let segments = stemmed ? 1 + Stemmer.Language.allCases.count : 1
            for normalized in NameIndex.textVariants(lines, joinWithoutSpace: joinWithoutSpace) {
                let display = NameIndex.tokenSlices(normalized)
                if display.isEmpty { continue }
                var padded: [UInt8] = [0x20]
                padded.reserveCapacity(segments * (normalized.count + 3))
                var starts = [Int]()
                starts.reserveCapacity(segments * display.count)
                // Where each token's folded bytes sit in `padded` (to copy the tokens a stemmer leaves whole).
                var folded = [Range<Int>]()
                if stemmed { folded.reserveCapacity(display.count) }
                for t in display {
                    starts.append(padded.count - 1)
                    let from = padded.count
                    t.withUnsafeBufferPointer { Normalizer.foldAppend($0, to: &padded) }
                    if stemmed { folded.append(from..<padded.count) }
                    padded.append(0x20)
                }
                let exactEnd = padded.count
                if stemmed {
                    // The stems of the normalized (unfolded) tokens, folded (see `Stemmer`); a token the stemmer
                    // leaves whole is copied from the first segment instead of being folded again (byte by byte:
                    // appending a slice of `padded` to itself would copy the whole array first).
                    let stemmer = Stemmer.shared
                    for lang in Stemmer.Language.allCases {
                        padded.append(0x01)
                        padded.append(0x20)
                        for (k, t) in display.enumerated() {
                            starts.append(padded.count - 1)
                            t.withUnsafeBufferPointer { buf in
                                let stem = stemmer.stemLength(buf, language: lang)
                                if stem.steps == 0 {
                                    for j in folded[k] { padded.append(padded[j]) }
                                } else {
                                    stemmer.appendFoldedStem(buf, language: lang, stem: stem, to: &padded)
                                }
                            }
                            padded.append(0x20)
                        }
                    }
                }
                variants.append(Variant(display: display, padded: padded, starts: starts, exactEnd: exactEnd))
            }
        }

        /// The tokens of an occurrence as shown (normalized, unfolded), joined by spaces.
        public func text(of occurrence: PhraseOccurrence) -> String {
            variants[occurrence.variant].display[occurrence.tokens].map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        }
    }

    /// Prepared lines that suit this index (a stemmed index needs stemmed segments).
    public func prepare(lines: [String]) -> PreparedLines {
        PreparedLines(lines: lines, joinWithoutSpace: joinLinesWithoutSpace, stemmed: stemmed)
    }

    /// Every phrase found in the field's lines, in phrase order, each once (its first occurrence).
    public func search(lines: [String]) -> [PhraseMatch] {
        search(prepare(lines: lines), lines: lines)
    }

    /// `search(lines:)` on lines prepared once (`lines` are used only if `prepared` does not suit this index:
    /// another line-join setting, or no stemmed segments for a stemmed index).
    public func search(_ prepared: PreparedLines, lines: [String]) -> [PhraseMatch] {
        let prepared = suits(prepared) ? prepared : prepare(lines: lines)
        var found = [Int: String]()
        for o in occurrences(prepared) where found[o.phrase] == nil {
            found[o.phrase] = prepared.text(of: o)
        }
        if found.isEmpty { return [] }
        return found.keys.sorted().map { PhraseMatch(phrase: $0, matchedText: found[$0]!) }
    }

    func suits(_ prepared: PreparedLines) -> Bool {
        prepared.joinWithoutSpace == joinLinesWithoutSpace && (prepared.stemmed || !stemmed)
    }

    /// Every occurrence of every phrase in prepared lines (variant by variant, in order of end offset). Empty if `prepared` does not suit
    /// this index (see `prepare(lines:)`).
    public func occurrences(_ prepared: PreparedLines) -> [PhraseOccurrence] {
        guard let automaton, suits(prepared) else { return [] }
        var out: [PhraseOccurrence] = []
        for (vi, v) in prepared.variants.enumerated() {
            let starts = v.starts, n = v.display.count
            func tokenAt(_ offset: Int) -> Int {
                var lo = 0, hi = starts.count - 1
                while lo < hi {
                    let mid = (lo + hi + 1) / 2
                    if starts[mid] <= offset { lo = mid } else { hi = mid - 1 }
                }
                return lo
            }
            let segmentOfPhrase = self.segmentOfPhrase
            let end = stemmed ? v.padded.count : v.exactEnd
            v.padded.withUnsafeBytes { raw in
                automaton.forEachOverlappingMatch(in: UnsafeRawBufferPointer(rebasing: raw[..<end])) { m in
                    let p = Int(m.pattern.rawValue)
                    let first = tokenAt(m.start), last = tokenAt(m.end - 2)
                    guard first / n == Int(segmentOfPhrase[p]) else { return }
                    let o = PhraseOccurrence(phrase: p, variant: vi, tokens: (first % n)...(last % n))
                    out.append(o)
                }
            }
        }
        return out
    }

    public func search(_ text: String) -> [PhraseMatch] { search(lines: [text]) }
}
