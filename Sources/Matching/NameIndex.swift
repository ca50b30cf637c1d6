/// Tunables of name matching. The defaults are the documented product behaviour (see DESIGN.md).
public struct MatchConfiguration: Sendable, Equatable {
    /// Minimum score in [0, 1] for a hit.
    public var threshold: Double = 0.90
    /// A token may carry one typo (substitution, insertion, deletion, transposition) only if the
    /// alias token has at least this many letters.
    public var minTypoTokenLength: Int = 6
    /// A single-token alias (after removing legal forms and stop words) is indexed only with at least
    /// this many characters; it must then match one whole token exactly...
    public var minSingleTokenLength: Int = 5
    /// ...unless it has at least this many characters, in which case one typo is tolerated.
    public var minFuzzySingleTokenLength: Int = 10
    /// A shorter single-token entity alias without a legal form (an acronym such as `AQIM`) of at least this many characters is
    /// indexed too, but matches only as the whole name: the only distinctive token of the field's first
    /// line (as single-token a.k.a.s do). Weak aliases are not.
    public var minWholeNameTokenLength: Int = 2
    /// Person names: at most this many missing tokens are penalized (`FETHI HADDAD` for
    /// `HADDAD, Fethi Ben Assen Ben Salem` misses four; the required tokens carry the match).
    public var maxPenalizedMissingTokens: Int = 2
    /// Whether a person alias reduced to a single token is indexed at all (a lone given or family
    /// name identifies nobody in payment text).
    public var indexSingleTokenPersons: Bool = false
    /// Person names: how many unmatched text tokens may sit between the matched ones (an unlisted
    /// middle name or patronymic).
    public var maxExtraTokens: Int = 1
    /// Person names: score deducted per alias token missing from the text (middle names only; the
    /// first given name and the family name are always required).
    public var missingTokenPenalty: Double = 0.03
    /// Also match the field's lines joined without a space (MT wraps names mid-word at 35 characters).
    public var joinLinesWithoutSpace: Bool = true

    public init() {}
    public static let `default` = MatchConfiguration()
}

/// One alias found in a field.
public struct NameMatch: Sendable, Equatable, CustomStringConvertible {
    /// Index of the alias in the array the index was built from.
    public var aliasIndex: Int
    public var entry: Int
    /// Similarity in [0, 1]; 1 is an exact match of every distinctive token.
    public var score: Double
    /// The normalized text that matched (from the first to the last matched token).
    public var matchedText: String
    public init(aliasIndex: Int, entry: Int, score: Double, matchedText: String) {
        self.aliasIndex = aliasIndex
        self.entry = entry
        self.score = score
        self.matchedText = matchedText
    }
    public var description: String { "entry \(entry) alias \(aliasIndex) score \(score) '\(matchedText)'" }
}

/// Fuzzy multi-name search: built once from every alias of every list entry, queried per field.
///
/// Candidates come from an Aho-Corasick automaton over the vocabulary of alias tokens (exact,
/// whole-token) and from deletion-neighbourhood keys (one typo); every candidate alias is then
/// verified against the field with a token-aligned Jaro-Winkler score. See DESIGN.md for the rules.
public struct NameIndex: Sendable {
    public struct Alias: Sendable, Equatable {
        public var entry: Int
        public var name: String
        public var isPerson: Bool
        /// Weak aliases (OFAC's "weak a.k.a.") match only exactly, token for token, in order.
        public var weak: Bool
        /// The entry's primary name (false for an a.k.a., f.k.a., weak a.k.a. …). A single-token alias
        /// that is not the primary name fires only as a party's whole name or next to a legal form.
        public var primary: Bool
        public init(entry: Int, name: String, isPerson: Bool, weak: Bool, primary: Bool = true) {
            self.entry = entry
            self.name = name
            self.isPerson = isPerson
            self.weak = weak
            self.primary = primary
        }
    }

    public let configuration: MatchConfiguration

    // Vocabulary of folded alias tokens.
    let vocabulary: [[UInt8]: Int32]
    let tokenBytes: [[UInt8]]
    /// Whole-token automaton over " TOKEN " for every vocabulary token (nil only if it could not be built).
    let tokenAutomaton: AhoCorasick?
    /// Deletion-neighbourhood keys -> vocabulary tokens, an open-addressing hash table.
    let deletions: DeletionTable
    /// Whole-token keys (`selfKey`) -> vocabulary tokens: exact vocabulary lookups without hashing `[UInt8]`.
    let exactTokens: DeletionTable

    // Indexed variants (an alias yields one or two: punctuation separating, punctuation joined).
    let variantAlias: [Int32]
    let variantFlags: [UInt8]
    let variantOffsets: [Int32]        // tokens of variant v: variantTokens[variantOffsets[v]..<variantOffsets[v+1]]
    let variantTokens: [Int32]
    /// Per variant token: `required`, `optional`, or `group` (at least one token of the group must match).
    let variantEssential: [UInt8]
    /// Legal-form families (bit mask, `LegalForms.Matcher.families`) of a single-token variant's alias: an
    /// anchored match needs one of them next to the token, and a whole-name match no other family.
    let variantForms: [UInt64]
    /// Length as written of a single-token variant shorter than `minSingleTokenLength` (else 0): such an
    /// acronym matches only the same length as written (`SPP` folds to `SP` but is not `SP`).
    let variantShortLength: [UInt8]
    /// Alias tokens as written (normalized, not folded) of at least `minTypoTokenLength` characters, and
    /// the vocabulary token each folds to: typos are also looked up on this unfolded form, because folding
    /// can turn one edit into two (`INTERRADE`→`INTERADE` against `INTERTRADE`, `INDUTSRY`→`INDUCRI`).
    let rawTokenBytes: [[UInt8]]
    let rawTokenFolded: [Int32]
    let rawDeletions: DeletionTable
    /// Anchor postings: vocabulary token -> variants whose rarest required token it is.
    let anchorOffsets: [Int32]
    let anchorVariants: [Int32]

    let aliasEntry: [Int]
    public let aliasCount: Int
    /// Number of aliases that were not indexed (empty after removing legal forms, too short, generic).
    public let skippedAliasCount: Int
    public var indexedVariantCount: Int { variantAlias.count }
    /// Approximate heap bytes held by the index (automaton, hash table, postings, vocabulary).
    public var memoryUsage: Int {
        (tokenAutomaton?.memoryUsage ?? 0) + deletions.slots.count * 8
            + tokenBytes.reduce(0) { $0 + $1.count + 32 } + vocabulary.count * 48
            + (variantAlias.count + variantOffsets.count + variantTokens.count + anchorOffsets.count + anchorVariants.count) * 4
            + variantFlags.count + variantEssential.count + aliasEntry.count * 8
            + variantForms.count * 9 + rawDeletions.slots.count * 8 + (deletions.filter.count + rawDeletions.filter.count) * 8 + rawTokenBytes.reduce(0) { $0 + $1.count + 36 }
    }
    public var vocabularySize: Int { tokenBytes.count }

    static let flagPerson: UInt8 = 1
    static let flagWeak: UInt8 = 2
    static let flagFuzzy: UInt8 = 4      // typos allowed on this variant's tokens
    // Single-token variants only:
    static let flagBare: UInt8 = 8       // may match its token alone (a whole token, no legal form needed)
    static let flagWholeOnly: UInt8 = 16 // ...but only as the whole distinctive text of its line (a.k.a.s)
    static let flagAnchored: UInt8 = 32  // may match its token next to a legal form of one of `variantForms`
    static let flagAnchorFuzzy: UInt8 = 64 // one typo allowed in the anchored case

    static let required: UInt8 = 1, optional: UInt8 = 0, group: UInt8 = 2

    public init(aliases: [Alias], configuration: MatchConfiguration = .default) {
        self.configuration = configuration
        aliasCount = aliases.count
        aliasEntry = aliases.map(\.entry)
        let matcher = LegalForms.matcher

        var vocabulary = [[UInt8]: Int32]()
        var tokenBytes = [[UInt8]]()
        var variantAlias = [Int32](), variantFlags = [UInt8](), variantOffsets: [Int32] = [0]
        var variantTokens = [Int32](), variantEssential = [UInt8](), variantForms = [UInt64](), variantShortLength = [UInt8]()
        var rawIndex = [[UInt8]: Int32](), rawTokenBytes = [[UInt8]](), rawTokenFolded = [Int32]()
        var skipped = 0

        func intern(_ t: [UInt8]) -> Int32 {
            if let id = vocabulary[t] { return id }
            let id = Int32(tokenBytes.count)
            vocabulary[t] = id
            tokenBytes.append(t)
            return id
        }

        for (ai, alias) in aliases.enumerated() {
            var seen = [[Int32]]()
            for punct in Normalizer.Punctuation.allCases {
                // Person names written "FAMILY, GIVEN MIDDLE": the comma marks the family name.
                let commaParts = alias.isPerson ? alias.name.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: true) : []
                var toks = [[UInt8]](), raw = [[UInt8]]()
                var forms: UInt64 = 0
                var familyCount = -1   // number of leading tokens that are the family name
                if commaParts.count == 2 {
                    let fam = NameIndex.distinctiveScan(String(commaParts[0]), punct, matcher)
                    let given = NameIndex.distinctiveScan(String(commaParts[1]), punct, matcher)
                    familyCount = fam.folded.count
                    toks = fam.folded + given.folded
                    raw = fam.raw + given.raw
                } else {
                    let d = NameIndex.distinctiveScan(alias.name, punct, matcher)
                    toks = d.folded
                    raw = d.raw
                    forms = d.forms
                }
                if toks.isEmpty { continue }
                let ids = toks.map(intern)
                for (r, id) in zip(raw, ids) where r.count >= configuration.minTypoTokenLength && rawIndex[r] == nil {
                    rawIndex[r] = Int32(rawTokenBytes.count)
                    rawTokenBytes.append(r)
                    rawTokenFolded.append(id)
                }
                if seen.contains(ids) { continue }
                seen.append(ids)

                var essential = [UInt8](repeating: NameIndex.required, count: ids.count)
                if alias.isPerson && !alias.weak && ids.count >= 3 {
                    // Required: the family name and the first given name; the rest (middle names,
                    // patronymics, initials) may be missing from the text.
                    for i in 0..<ids.count { essential[i] = NameIndex.optional }
                    if familyCount > 0 && familyCount < ids.count {
                        for i in 0..<familyCount where NameIndex.isName(toks[i]) { essential[i] = NameIndex.required }
                        if !essential[0..<familyCount].contains(NameIndex.required) {
                            for i in 0..<familyCount { essential[i] = NameIndex.required }
                        }
                        let given = (familyCount..<ids.count).first { NameIndex.isName(toks[$0]) } ?? familyCount
                        if given != familyCount && NameIndex.particles.contains(toks[familyCount]) {
                            // "AL-LIBI, Abd al-Muhsin" is written "ABD AL-LIBI": a leading particle of the
                            // given names may stand for them (with the family name it makes two tokens).
                            essential[familyCount] = NameIndex.group
                            essential[given] = NameIndex.group
                        } else {
                            essential[given] = NameIndex.required
                        }
                    } else {
                        let names = ids.indices.filter { NameIndex.isName(toks[$0]) }
                        if names.count >= 2 {
                            essential[names.first!] = NameIndex.required
                            essential[names.last!] = NameIndex.required
                        } else {
                            essential[0] = NameIndex.required
                            essential[ids.count - 1] = NameIndex.required
                        }
                    }
                }
                var flags: UInt8 = 0
                var anchorForms: UInt64 = 0
                var shortLength: UInt8 = 0
                if alias.isPerson { flags |= NameIndex.flagPerson }
                if alias.weak { flags |= NameIndex.flagWeak }
                if ids.count == 1 {
                    let t = toks[0]
                    let generic = matcher.generic.contains(t)
                    let number = t.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 })   // a bare number is not a name
                    // Alone: long enough as written (`IYARI` folds to `IARI`), not a generic word, not a number;
                    // never a lone person name. A shorter strong entity alias (an acronym: `AQIM`, `NICO`)
                    // only as the whole name, like an a.k.a.
                    let lonePerson = alias.isPerson && !configuration.indexSingleTokenPersons
                    let long = raw[0].count >= configuration.minSingleTokenLength
                    // (One with a legal form, `KOTI CORP`, needs the form: anchored below.)
                    let short = !long && !alias.weak && !alias.isPerson && forms == 0
                        && raw[0].count >= configuration.minWholeNameTokenLength
                    let bare = !lonePerson && (long || short) && !generic && !number
                    // Anchored: an entity alias with a legal form, its distinctive part one token (`KOTI CORP`,
                    // `JSC VAD`, `A1, LLC`), found next to a legal form of the same family.
                    let anchored = !alias.isPerson && forms != 0 && raw[0].count >= 2 && !generic && !number
                    if !bare && !anchored { continue }
                    if bare {
                        flags |= NameIndex.flagBare
                        if !alias.weak && t.count >= configuration.minFuzzySingleTokenLength { flags |= NameIndex.flagFuzzy }
                        if !alias.primary || !long { flags |= NameIndex.flagWholeOnly }
                    }
                    if anchored {
                        flags |= NameIndex.flagAnchored
                        if !alias.weak { flags |= NameIndex.flagAnchorFuzzy }
                    }
                    anchorForms = forms
                    shortLength = long ? 0 : UInt8(raw[0].count)
                } else if !alias.weak {
                    flags |= NameIndex.flagFuzzy
                }
                variantAlias.append(Int32(ai))
                variantFlags.append(flags)
                variantForms.append(anchorForms)
                variantShortLength.append(shortLength)
                variantTokens.append(contentsOf: ids)
                variantEssential.append(contentsOf: essential)
                variantOffsets.append(Int32(variantTokens.count))
            }
            if variantAlias.last != Int32(ai) { skipped += 1 }
        }
        skippedAliasCount = skipped

        // Document frequency of each token over variants, to choose each variant's rarest required token.
        var df = [Int32](repeating: 0, count: tokenBytes.count)
        for v in 0..<variantAlias.count {
            let r = Int(variantOffsets[v])..<Int(variantOffsets[v + 1])
            var prevSeen = Set<Int32>()
            for i in r where prevSeen.insert(variantTokens[i]).inserted { df[Int(variantTokens[i])] += 1 }
        }
        var anchorOf = [Int32](repeating: 0, count: variantAlias.count)
        var anchorCount = [Int32](repeating: 0, count: tokenBytes.count + 1)
        for v in 0..<variantAlias.count {
            var best: Int32 = -1
            for i in Int(variantOffsets[v])..<Int(variantOffsets[v + 1]) where variantEssential[i] == NameIndex.required {
                let t = variantTokens[i]
                // Rarest first; among equally rare, the longest (more selective, and typo-tolerant).
                if best < 0 || df[Int(t)] < df[Int(best)]
                    || (df[Int(t)] == df[Int(best)] && tokenBytes[Int(t)].count > tokenBytes[Int(best)].count) {
                    best = t
                }
            }
            anchorOf[v] = best
            anchorCount[Int(best) + 1] += 1
        }
        for i in 0..<tokenBytes.count { anchorCount[i + 1] += anchorCount[i] }
        var anchorVariants = [Int32](repeating: 0, count: variantAlias.count)
        var fill = anchorCount
        for v in 0..<variantAlias.count {
            let t = Int(anchorOf[v])
            anchorVariants[Int(fill[t])] = Int32(v)
            fill[t] += 1
        }

        // Deletion neighbourhoods of tokens long enough to carry a typo.
        var keys = [UInt64](), keyTokens = [Int32](), scratch = [UInt64]()
        for (t, bytes) in tokenBytes.enumerated() where bytes.count >= configuration.minTypoTokenLength {
            deletionKeys(bytes, into: &scratch)
            keys.append(contentsOf: scratch)
            keyTokens.append(contentsOf: repeatElement(Int32(t), count: scratch.count))
        }
        self.deletions = DeletionTable(keys: keys, values: keyTokens)
        self.exactTokens = DeletionTable(keys: tokenBytes.map { selfKey($0) }, values: tokenBytes.indices.map { Int32($0) })
        keys.removeAll()
        keyTokens.removeAll()
        for (r, bytes) in rawTokenBytes.enumerated() {
            deletionKeys(bytes, into: &scratch)
            keys.append(contentsOf: scratch)
            keyTokens.append(contentsOf: repeatElement(Int32(r), count: scratch.count))
        }
        self.rawDeletions = DeletionTable(keys: keys, values: keyTokens)
        self.rawTokenBytes = rawTokenBytes
        self.rawTokenFolded = rawTokenFolded
        self.variantForms = variantForms
        self.variantShortLength = variantShortLength

        self.vocabulary = vocabulary
        self.tokenBytes = tokenBytes
        self.variantAlias = variantAlias
        self.variantFlags = variantFlags
        self.variantOffsets = variantOffsets
        self.variantTokens = variantTokens
        self.variantEssential = variantEssential
        self.anchorOffsets = anchorCount
        self.anchorVariants = anchorVariants
        let padded = tokenBytes.map { [0x20] + $0 + [0x20] }
        self.tokenAutomaton = try? AhoCorasick(patterns: padded, configuration: .init(kind: .dfa))
    }

    /// Arabic name particles (folded): part of a name, never enough to identify one.
    static let particles: Set<[UInt8]> = Set(["AL", "EL", "ABU", "ABOU", "BIN", "BEN", "IBN", "BINT", "UMM", "OULD", "ABD", "ABDUL", "ABDEL"]
        .map { Normalizer.fold(Array($0.utf8)) })

    /// Whether a person-name token can be a required name: not an initial, a particle or a patronymic.
    static func isName(_ t: [UInt8]) -> Bool { t.count > 1 && !particles.contains(t) && !isPatronymic(t) }

    /// Russian/Ukrainian patronymics and Turkic "son of/daughter of" forms (folded spelling).
    static func isPatronymic(_ t: [UInt8]) -> Bool {
        for suffix in ["VICH", "VNA", "ICHNA", "OGLU", "OGLI", "KIZI"] where t.count > suffix.utf8.count + 2 {
            if t.suffix(suffix.utf8.count).elementsEqual(suffix.utf8) { return true }
        }
        return false
    }

    /// Distinctive tokens of a name, folded and as written (normalized), and the families of its legal forms.
    static func distinctiveScan(_ text: String, _ punct: Normalizer.Punctuation, _ matcher: LegalForms.Matcher)
        -> (folded: [[UInt8]], raw: [[UInt8]], forms: UInt64) {
        let raw = Normalizer.normalizedBytes(text, punctuation: punct).split(separator: 0x20).map { Array($0) }
        let folded = raw.map { Normalizer.fold($0) }
        var scanned = folded
        for i in scanned.indices where raw[i].count >= 5 {
            if let f = matcher.correctedFormToken(raw[i][...], folded: folded[i]) { scanned[i] = f }
        }
        let scan = matcher.scan(scanned) { matcher.rawStopWords.contains(raw[$0]) }
        return (scan.kept.map { folded[$0] }, scan.kept.map { raw[$0] }, scan.allForms)
    }

    /// Folded distinctive tokens of a name.
    static func distinctive(_ text: String, _ punct: Normalizer.Punctuation, _ matcher: LegalForms.Matcher) -> [[UInt8]] {
        let folded = Normalizer.normalizedBytes(text, punctuation: punct).split(separator: 0x20).map { Normalizer.fold($0) }
        return matcher.keep(folded).map { folded[$0] }
    }

    // MARK: - Search

    /// Every alias found in a field, best first, at most one result per entry (its best alias).
    ///
    /// `lines` are the lines of one field as written. They are matched joined with a space and, if
    /// `joinLinesWithoutSpace`, also with the line breaks that split a known word rejoined (see
    /// `nameTextVariants`); each of those with punctuation as separators and with in-word punctuation
    /// removed.
    public func search(lines: [String]) -> [NameMatch] {
        var workspace = SearchWorkspace()
        return search(lines: lines, workspace: &workspace)
    }

    /// Working memory of `search`: one per thread, passed to every search it makes (of any index), so
    /// that the buffers of one search are reused by the next instead of allocated again.
    public struct SearchWorkspace {
        var scratch = SearchScratch()
        public init() {}
    }

    /// `search(lines:)` with the caller's working memory.
    public func search(lines: [String], workspace: inout SearchWorkspace) -> [NameMatch] {
        // No text, no name (an agent given by BIC alone has no lines): nothing to normalize or prepare.
        if lines.allSatisfy(\.isEmpty) { return [] }
        var best = [Int: NameMatch]()
        for text in nameTextVariants(lines) {
            searchNormalized(text.bytes, lineOf: text.lineOf, scratch: &workspace.scratch) { m in
                if let old = best[m.entry], old.score > m.score || (old.score == m.score && old.aliasIndex <= m.aliasIndex) { return }
                best[m.entry] = m
            }
        }
        return best.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.entry < $1.entry }
    }

    /// A field's text as matched: normalized bytes and, for each normalized token, the line it came from.
    struct TextVariant: Equatable {
        var bytes: [UInt8]
        var lineOf: [Int32]
    }

    /// The distinct normalized texts a field is matched as.
    ///
    /// MT wraps names at 35 characters, often mid-word, and free-format party fields put the address
    /// right after the name, so neither "all lines joined with a space" nor "all joined without one"
    /// is right when a name is split mid-word and followed by more lines. Each line break between two
    /// letters or digits is decided on its own: it is rejoined when the word it would make (the last
    /// token of one line and the first of the next) is a token of some alias or of a legal form, exactly
    /// or within one typo; otherwise it stays a space. The field is matched as all-space and, if some
    /// break was rejoined, as that rejoined text. Lines joined without a space count as one line.
    func nameTextVariants(_ lines: [String]) -> [TextVariant] {
        var joinAfter = [Bool](repeating: false, count: max(0, lines.count - 1))
        // Each line normalized once: for the join decisions and for the all-space text.
        let lineParts = lines.map { Normalizer.normalizedBytesReportingJoins($0, punctuation: .separate) }
        var ambiguous = [Int]()
        if configuration.joinLinesWithoutSpace && lines.count > 1 {
            // Left to right, so that a line that is one word joined to the previous line carries the
            // joined word into the next decision (`SARUR, MU` / `HAMMAD` / `UL. DLUGA 43`: MUHAMMAD, then
            // MUHAMMADUL is no word, so the address stays apart).
            var normalized = lineParts.map(\.0)
            var scratch = [UInt8](), keys = [UInt64](), word = [UInt8]()
            for i in 0..<(lines.count - 1) {
                let left = normalized[i], right = normalized[i + 1]
                guard NameIndex.endsInWord(lines[i]), NameIndex.startsInWord(lines[i + 1]), !left.isEmpty, !right.isEmpty else { continue }
                let l = left.lastIndex(of: 0x20).map { left[($0 + 1)...] } ?? left[...]
                let r = right.firstIndex(of: 0x20).map { right[..<$0] } ?? right[...]
                word.removeAll(keepingCapacity: true)
                word.append(contentsOf: l)
                word.append(contentsOf: r)
                // A word within one typo of an alias token also counts, but only when neither piece is a
                // known token itself: with ~17,000 alias tokens, `HOLDING` + `UL` is one edit from some token.
                let leftKnown = l.withUnsafeBufferPointer { isKnownToken($0, fuzzy: false, scratch: &scratch, keys: &keys) }
                let rightKnown = r.withUnsafeBufferPointer { isKnownToken($0, fuzzy: false, scratch: &scratch, keys: &keys) }
                if word.withUnsafeBufferPointer({ isKnownToken($0, fuzzy: false, scratch: &scratch, keys: &keys) }) {
                    joinAfter[i] = true
                    if leftKnown || rightKnown { ambiguous.append(i) }   // `GON` + `UL. ...` is `GONUL`: try both
                } else if !leftKnown && !rightKnown
                    && word.withUnsafeBufferPointer({ isKnownToken($0, fuzzy: true, scratch: &scratch, keys: &keys) }) {
                    joinAfter[i] = true
                }
                if joinAfter[i] && r.count == right.count { normalized[i + 1] = word }   // the next line was that word's end
            }
        }
        var out = [TextVariant]()
        func add(_ segments: [String], normalized known: [([UInt8], Bool)]? = nil) {
            var modes: [Normalizer.Punctuation] = [.separate]
            let parts = known ?? segments.map { Normalizer.normalizedBytesReportingJoins($0, punctuation: .separate) }
            if parts.contains(where: \.1) { modes.append(.join) }
            for mode in modes {
                var v = TextVariant(bytes: [], lineOf: [])
                for (k, seg) in segments.enumerated() {
                    let bytes = mode == .separate ? parts[k].0 : Normalizer.normalizedBytes(seg, punctuation: .join)
                    if bytes.isEmpty { continue }
                    if !v.bytes.isEmpty { v.bytes.append(0x20) }
                    v.bytes.append(contentsOf: bytes)
                    var tokens = 1
                    for b in bytes where b == 0x20 { tokens += 1 }
                    v.lineOf.append(contentsOf: repeatElement(Int32(k), count: tokens))
                }
                if !out.contains(v) { out.append(v) }
            }
        }
        func segments(_ join: [Bool]) -> [String] {
            var segments = [lines[0]]
            for i in 1..<lines.count {
                if join[i - 1] { segments[segments.count - 1] += lines[i] } else { segments.append(lines[i]) }
            }
            return segments
        }
        add(lines, normalized: lineParts)
        if joinAfter.contains(true) {
            add(segments(joinAfter))
            // Where both pieces are words too, also the text with just that break kept (at most a few).
            for i in ambiguous.prefix(4) {
                var join = joinAfter
                join[i] = false
                if join.contains(true) { add(segments(join)) }
            }
        }
        return out
    }

    /// Whether an ASCII byte is a letter or digit (what `isAlphabetic || numericType != nil` says of ASCII).
    @inline(__always) static func asciiWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
    }

    static func endsInWord(_ line: String) -> Bool {
        if let b = line.utf8.last, b < 0x80 { return asciiWordByte(b) }
        guard let u = line.unicodeScalars.last else { return false }
        return u.properties.isAlphabetic || u.properties.numericType != nil
    }

    static func startsInWord(_ line: String) -> Bool {
        if let b = line.utf8.first, b < 0x80 { return asciiWordByte(b) }
        guard let u = line.unicodeScalars.first else { return false }
        return u.properties.isAlphabetic || u.properties.numericType != nil
    }

    /// Whether a normalized token is a token of some alias or of a legal form, exactly or (if `fuzzy`)
    /// within one typo.
    func isKnownToken(_ raw: [UInt8], fuzzy: Bool) -> Bool {
        var scratch = [UInt8](), keys = [UInt64]()
        return raw.withUnsafeBufferPointer { isKnownToken($0, fuzzy: fuzzy, scratch: &scratch, keys: &keys) }
    }

    /// `isKnownToken` on a buffer, folding into `scratch` and hashing into `keys` (reused between calls).
    func isKnownToken(_ raw: UnsafeBufferPointer<UInt8>, fuzzy: Bool, scratch: inout [UInt8], keys: inout [UInt64]) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        Normalizer.foldAppend(raw, to: &scratch)
        let minTypo = configuration.minTypoTokenLength
        return scratch.withUnsafeBufferPointer { folded in
            if isVocabularyToken(folded) || LegalForms.matcher.isFormToken(folded) { return true }
            guard fuzzy, raw.count >= minTypo - 1, !raw.contains(where: { $0 < 0x41 }) else { return false }
            var found = false
            deletionKeys(folded, into: &keys)
            for key in keys where !found {
                deletions.forEach(key) { id in
                    if !found && tokenBytes[Int(id)].withUnsafeBufferPointer({ $0.count >= minTypo && Similarity.withinOneEdit($0, folded) }) {
                        found = true
                    }
                }
            }
            deletionKeys(raw, into: &keys)
            for key in keys where !found {
                rawDeletions.forEach(key) { r in
                    if !found && rawTokenBytes[Int(r)].withUnsafeBufferPointer({ Similarity.withinOneEdit($0, raw) }) { found = true }
                }
            }
            return found
        }
    }

    /// `vocabulary[folded] != nil`, through `exactTokens` (one multiply-add per byte instead of SipHash).
    func isVocabularyToken(_ folded: [UInt8]) -> Bool {
        folded.withUnsafeBufferPointer { isVocabularyToken($0) }
    }

    func isVocabularyToken(_ f: UnsafeBufferPointer<UInt8>) -> Bool {
        var found = false
        exactTokens.forEach(selfKey(f)) { id in
            if !found && tokenBytes[Int(id)].withUnsafeBufferPointer({ NameIndex.equal($0, f) }) { found = true }
        }
        return found
    }

    /// Convenience for a one-line field.
    public func search(_ text: String) -> [NameMatch] { search(lines: [text]) }

    /// The distinct normalized texts a field is matched as.
    static func textVariants(_ lines: [String], joinWithoutSpace: Bool) -> [[UInt8]] {
        var raws = [lines.count == 1 ? lines[0] : lines.joined(separator: " ")]
        if joinWithoutSpace && lines.count > 1 { raws.append(lines.joined()) }
        var out = [[UInt8]]()
        for raw in raws {
            let (separated, inWordPunctuation) = Normalizer.normalizedBytesReportingJoins(raw, punctuation: .separate)
            if !out.contains(separated) { out.append(separated) }
            // Only text with punctuation between two letters or digits differs when joined.
            if inWordPunctuation {
                let joined = Normalizer.normalizedBytes(raw, punctuation: .join)
                if !out.contains(joined) { out.append(joined) }
            }
        }
        return out
    }

    /// The space-separated tokens of normalized text (a hand loop: `split` costs twice as much here).
    static func tokenSlices(_ normalized: [UInt8]) -> [ArraySlice<UInt8>] {
        var out = [ArraySlice<UInt8>]()
        out.reserveCapacity(normalized.count / 4 + 1)
        var start = 0
        let n = normalized.count
        normalized.withUnsafeBufferPointer { buf in
            for i in 0..<n where buf[i] == 0x20 {
                if i > start { out.append(normalized[start..<i]) }
                start = i + 1
            }
        }
        if start < n { out.append(normalized[start..<n]) }
        return out
    }

    /// One text, prepared for matching: kept (distinctive) tokens, folded, and their display form.
    ///
    /// Flat: the normalized bytes with one range per token, and the folded kept tokens in one buffer laid
    /// out as the automaton searches them (" T1 T2 ... Tn "), with one record per kept token. No array per token.
    struct PreparedText {
        struct Kept {
            var foldedStart: Int32 = 0          // padded[foldedStart..<foldedEnd]: the token folded
            var foldedEnd: Int32 = 0
            var original: Int32                 // index of the display token
            var formsBefore: UInt64             // families of the legal forms directly before it
            var formsAfter: UInt64 = 0          // ...and directly after it
        }
        let normalized: [UInt8]
        /// All normalized tokens: token i is normalized[display[2i]..<display[2i + 1]].
        var display: [Int32] = []
        /// Kept tokens, folded, each preceded and followed by a space: " T1 T2 ... Tn ".
        var padded: [UInt8] = []
        var kept: [Kept] = []
        /// Whether the first kept token is the only kept token of the first line that has one (no other can be).
        var firstAlone = false
        var count: Int { kept.count }

        @inline(__always) func displayRange(_ i: Int) -> Range<Int> { Int(display[2 * i])..<Int(display[2 * i + 1]) }
        @inline(__always) func foldedRange(_ k: Int) -> Range<Int> { Int(kept[k].foldedStart)..<Int(kept[k].foldedEnd) }
        @inline(__always) func original(_ k: Int) -> Int { Int(kept[k].original) }
        @inline(__always) func alone(_ k: Int) -> Bool { k == 0 && firstAlone }

        /// The arrays a `PreparedText` is built in, kept between texts so that their storage is reused.
        struct Buffers {
            var display = [Int32]()
            var folded = [UInt8]()
            var scanned = [Int32]()
            var kept = [Kept]()
            var padded = [UInt8]()
        }

        init(_ normalized: [UInt8], lineOf: [Int32]?, matcher: LegalForms.Matcher) {
            var buffers = Buffers()
            self.init(normalized, lineOf: lineOf, matcher: matcher, reusing: &buffers)
        }

        /// Builds in `buffers`' storage (taken over; `recycle` gives it back).
        init(_ normalized: [UInt8], lineOf: [Int32]?, matcher: LegalForms.Matcher, reusing buffers: inout Buffers) {
            self.normalized = normalized
            let len = normalized.count
            // Taken out of `buffers` so that each is uniquely referenced and grows in place.
            var display = buffers.display, folded = buffers.folded, scanned = buffers.scanned
            var kept = buffers.kept, padded = buffers.padded
            buffers = Buffers()
            display.removeAll(keepingCapacity: true)
            folded.removeAll(keepingCapacity: true)
            scanned.removeAll(keepingCapacity: true)
            kept.removeAll(keepingCapacity: true)
            padded.removeAll(keepingCapacity: true)
            // Token ranges (a hand loop over the bytes), every token folded into one buffer, and the ranges
            // scanned for legal forms (of the folded token, or of a legal-form word corrected from one typo,
            // `LIMITED LIABILITY CMPANY`, as in aliases, appended after the folded tokens).
            display.reserveCapacity(len / 2 + 2)
            folded.reserveCapacity(2 * len + 16)
            scanned.reserveCapacity(len / 2 + 2)
            normalized.withUnsafeBufferPointer { buf in
                var start = 0
                for i in 0...len where i == len || buf[i] == 0x20 {
                    if i > start {
                        display.append(Int32(start))
                        display.append(Int32(i))
                        scanned.append(Int32(folded.count))
                        Normalizer.foldAppend(UnsafeBufferPointer(rebasing: buf[start..<i]), to: &folded)
                        scanned.append(Int32(folded.count))
                    }
                    start = i + 1
                }
            }
            let tokenCount = display.count / 2
            var scannedOwn: [Int32]? = nil
            for i in 0..<tokenCount where display[2 * i + 1] - display[2 * i] >= 5 {
                let corrected = normalized.withUnsafeBufferPointer { nb in
                    folded.withUnsafeBufferPointer { fb in
                        matcher.correctedFormToken(UnsafeBufferPointer(rebasing: nb[Int(display[2 * i])..<Int(display[2 * i + 1])]),
                                                   foldedBuffer: UnsafeBufferPointer(rebasing: fb[Int(scanned[2 * i])..<Int(scanned[2 * i + 1])]))
                    }
                }
                if let c = corrected {
                    // The token's own folded form stays where it is (at its fold offset, recomputed below).
                    if scannedOwn == nil { scannedOwn = scanned }
                    scanned[2 * i] = Int32(folded.count)
                    folded.append(contentsOf: c)
                    scanned[2 * i + 1] = Int32(folded.count)
                }
            }
            kept.reserveCapacity(tokenCount)
            folded.withUnsafeBufferPointer { fb in
                normalized.withUnsafeBufferPointer { nb in
                    matcher.scan(count: tokenCount, token: { UnsafeBufferPointer(rebasing: fb[Int(scanned[2 * $0])..<Int(scanned[2 * $0 + 1])]) },
                                 isStopAsWritten: { matcher.rawStopWords.contains(Array(nb[Int(display[2 * $0])..<Int(display[2 * $0 + 1])])) },
                                 keep: { kept.append(Kept(original: Int32($0), formsBefore: $1)) },
                                 formAfter: { kept[kept.count - 1].formsAfter |= $0 })
                }
            }
            // The kept tokens' folded forms (not the corrected ones), laid out for the automaton.
            let own = scannedOwn ?? scanned
            padded.reserveCapacity(folded.count + kept.count + 1)
            padded.append(0x20)
            for k in kept.indices {
                let i = Int(kept[k].original)
                kept[k].foldedStart = Int32(padded.count)
                padded.append(contentsOf: folded[Int(own[2 * i])..<Int(own[2 * i + 1])])
                kept[k].foldedEnd = Int32(padded.count)
                padded.append(0x20)
            }
            // Only the first line with a distinctive token holds a name that can stand alone.
            let n = kept.count
            if n > 0 {
                if let lineOf, lineOf.count == tokenCount {
                    firstAlone = n == 1 || lineOf[Int(kept[1].original)] != lineOf[Int(kept[0].original)]
                } else {
                    firstAlone = n == 1
                }
            }
            self.display = display
            self.padded = padded
            self.kept = kept
            buffers.folded = folded
            buffers.scanned = scanned
        }

        /// Gives the storage back to `buffers` (this text is empty afterwards).
        mutating func recycle(into buffers: inout Buffers) {
            buffers.display = display
            buffers.kept = kept
            buffers.padded = padded
            display = []
            kept = []
            padded = []
        }
        func text(_ from: Int, _ to: Int) -> String {
            var out = [UInt8]()
            for i in original(from)...original(to) {
                if !out.isEmpty { out.append(0x20) }
                out.append(contentsOf: normalized[displayRange(i)])
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// Similarity of an alias token and a text token known to be one edit apart: Jaro-Winkler, but at
    /// least 1 - 1/length. Jaro-Winkler alone punishes an early edit in a long word with repeated letters
    /// far more than one edit deserves (`IFTERNATIONAL` for `INTERNATIONAL` scores 0.85).
    static func typoSimilarity(_ alias: [UInt8], _ text: [UInt8]) -> Double {
        max(Similarity.jaroWinkler(alias, text), 1 - 1 / Double(max(alias.count, 1)))
    }

    /// `typoSimilarity` on buffers (the same arithmetic; no allocation up to 64 bytes).
    static func typoSimilarity(_ alias: UnsafeBufferPointer<UInt8>, _ text: UnsafeBufferPointer<UInt8>) -> Double {
        let jw = alias.count <= 64 && text.count <= 64 ? Similarity.jaroWinkler64(alias, text)
            : Similarity.jaroWinkler(Array(alias), Array(text))
        return max(jw, 1 - 1 / Double(max(alias.count, 1)))
    }

    @inline(__always) static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }

    /// Whether `text` is `name` with one more character at its start or end.
    static func isExtension<C: Collection<UInt8>>(_ text: C, of name: [UInt8]) -> Bool {
        text.count == name.count + 1 && (text.dropFirst().elementsEqual(name) || text.dropLast().elementsEqual(name))
    }

    /// Alias token `token` found at kept text position `pos` with similarity `sim`.
    struct TokenHit { var pos: Int32; var token: Int32; var sim: Double }

    func searchNormalized(_ normalized: [UInt8], lineOf: [Int32]? = nil, _ report: (NameMatch) -> Void) {
        var scratch = SearchScratch()
        searchNormalized(normalized, lineOf: lineOf, scratch: &scratch, report)
    }

    /// Working arrays of `searchNormalized`, reused across the texts of one field.
    struct SearchScratch {
        var hits = [TokenHit]()
        var keys = [UInt64]()
        var byPos = [Int32]()
        var candidates = [Int32]()
        var prepared = PreparedText.Buffers()
    }

    func searchNormalized(_ normalized: [UInt8], lineOf: [Int32]?, scratch: inout SearchScratch, _ report: (NameMatch) -> Void) {
        var buffers = scratch.prepared
        scratch.prepared = PreparedText.Buffers()
        var prepared = PreparedText(normalized, lineOf: lineOf, matcher: LegalForms.matcher, reusing: &buffers)
        let n = prepared.count
        if n == 0 {
            prepared.recycle(into: &buffers)
            scratch.prepared = buffers
            return
        }
        var hits = scratch.hits
        var keys = scratch.keys
        var byPos = scratch.byPos
        var candidates = scratch.candidates
        scratch = SearchScratch()   // unique references: the arrays below grow in place
        hits.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        byPos.removeAll(keepingCapacity: true)
        candidates.removeAll(keepingCapacity: true)
        defer {
            prepared.recycle(into: &buffers)
            scratch = SearchScratch(hits: hits, keys: keys, byPos: byPos, candidates: candidates, prepared: buffers)
        }

        // Exact whole-token hits from the automaton over the padded folded text.
        if let automaton = tokenAutomaton {
            prepared.padded.withUnsafeBytes { raw in
                automaton.forEachOverlappingMatch(in: raw) { m in
                    var lo = 0, hi = n - 1
                    while lo < hi {
                        let mid = (lo + hi + 1) / 2
                        // A token's leading space is at foldedStart - 1.
                        if Int(prepared.kept[mid].foldedStart) - 1 <= m.start { lo = mid } else { hi = mid - 1 }
                    }
                    hits.append(TokenHit(pos: Int32(lo), token: Int32(m.pattern.rawValue), sim: 1))
                }
            }
        } else {
            for i in 0..<n {
                if let id = vocabulary[Array(prepared.padded[prepared.foldedRange(i)])] {
                    hits.append(TokenHit(pos: Int32(i), token: id, sim: 1))
                }
            }
        }

        // One-typo hits from the deletion neighbourhood.
        let minTypo = configuration.minTypoTokenLength
        if !deletions.isEmpty {
            let exactCount = hits.count
            // Tokens with digits (account numbers, postcodes, amounts) are never typo'd names.
            for i in 0..<n {
                let tRange = prepared.foldedRange(i)
                let t = prepared.padded[tRange]
                guard t.count <= 64 && !t.contains(where: { $0 < 0x41 }) else { continue }
                let pos = Int32(i)
                let fuzzyStart = hits.count
                // Vocabulary keys have at least minTypo - 1 bytes: a token of minTypo - 1 letters can meet one only
                // with its own key (its deletions are shorter), a shorter token not at all.
                if t.count >= minTypo { deletionKeys(t, into: &keys) } else if t.count == minTypo - 1 {
                    keys.removeAll(keepingCapacity: true)
                    keys.append(selfKey(t))
                } else { keys.removeAll(keepingCapacity: true) }
                prepared.padded.withUnsafeBufferPointer { pb in
                    let tb = UnsafeBufferPointer(rebasing: pb[tRange])
                    for key in keys {
                        deletions.forEach(key) { id in
                            if hits[fuzzyStart...].contains(where: { $0.token == id }) { return }
                            if hits[..<exactCount].contains(where: { $0.pos == pos && $0.token == id }) { return }
                            tokenBytes[Int(id)].withUnsafeBufferPointer { a in
                                if a.count < minTypo { return }
                                if !NameIndex.equal(a, tb) && Similarity.withinOneEdit(a, tb) {
                                    hits.append(TokenHit(pos: pos, token: id, sim: NameIndex.typoSimilarity(a, tb)))
                                }
                            }
                        }
                    }
                }
                // The same on the unfolded form (folding can make one typo two).
                let rawRange = prepared.displayRange(prepared.original(i))
                if rawRange.count < minTypo - 1 || rawRange.count > 64 || rawDeletions.isEmpty { continue }
                if rawRange.count >= minTypo { deletionKeys(prepared.normalized[rawRange], into: &keys) } else {
                    keys.removeAll(keepingCapacity: true)
                    keys.append(selfKey(prepared.normalized[rawRange]))
                }
                prepared.normalized.withUnsafeBufferPointer { nb in
                    let w = UnsafeBufferPointer(rebasing: nb[rawRange])
                    for key in keys {
                        rawDeletions.forEach(key) { r in
                            let id = rawTokenFolded[Int(r)]
                            if hits[..<exactCount].contains(where: { $0.pos == pos && $0.token == id }) { return }
                            rawTokenBytes[Int(r)].withUnsafeBufferPointer { a in
                                guard !NameIndex.equal(a, w) && Similarity.withinOneEdit(a, w) else { return }
                                // Found on both forms: the better similarity (`STJPHEN` is closer to `STEPHEN`
                                // than `STIFEN` to `STEFEN`).
                                let sim = NameIndex.typoSimilarity(a, w)
                                if let k = hits[fuzzyStart...].firstIndex(where: { $0.token == id }) {
                                    hits[k].sim = max(hits[k].sim, sim)
                                } else {
                                    hits.append(TokenHit(pos: pos, token: id, sim: sim))
                                }
                            }
                        }
                    }
                }
            }
        }
        if hits.isEmpty { return }
        // Group hits by text position so verification looks at one position's hits only.
        hits.sort { $0.pos < $1.pos }
        byPos.append(contentsOf: repeatElement(0, count: n + 1))
        for h in hits { byPos[Int(h.pos) + 1] += 1 }
        for i in 0..<n { byPos[i + 1] += byPos[i] }

        // Candidates: variants anchored on a token seen in the text.
        for th in hits {
            let lo = Int(anchorOffsets[Int(th.token)]), hi = Int(anchorOffsets[Int(th.token) + 1])
            if lo < hi { candidates.append(contentsOf: anchorVariants[lo..<hi]) }
        }
        if candidates.isEmpty { return }
        candidates.sort()
        var previous: Int32 = -1
        for v in candidates where v != previous {
            previous = v
            if let (score, from, to) = verify(Int(v), hits, byPos, prepared), score >= configuration.threshold {
                let ai = Int(variantAlias[Int(v)])
                report(NameMatch(aliasIndex: ai, entry: aliasEntry[ai], score: score, matchedText: prepared.text(from, to)))
            }
        }
    }

    /// Scores variant `v` against the text's token hits: (score, first kept token, last kept token).
    /// `hits` are sorted by position; those at position p are hits[byPos[p]..<byPos[p+1]].
    func verify(_ v: Int, _ hits: [TokenHit], _ byPos: [Int32], _ prepared: PreparedText) -> (Double, Int, Int)? {
        let n = prepared.count
        let lo = Int(variantOffsets[v]), hi = Int(variantOffsets[v + 1])
        let count = hi - lo
        let flags = variantFlags[v]
        let fuzzy = flags & NameIndex.flagFuzzy != 0

        @inline(__always) func sim(_ aliasTok: Int, at pos: Int) -> Double? {
            guard pos < n else { return nil }
            let t = variantTokens[aliasTok]
            for k in Int(byPos[pos])..<Int(byPos[pos + 1]) where hits[k].token == t {
                if hits[k].sim < 1 && !fuzzy { return nil }
                return hits[k].sim
            }
            return nil
        }
        @inline(__always) func weight(_ aliasTok: Int) -> Double { Double(tokenBytes[Int(variantTokens[aliasTok])].count) }

        let isPerson = flags & NameIndex.flagPerson != 0 && flags & NameIndex.flagWeak == 0
        if count == 1 && flags & (NameIndex.flagBare | NameIndex.flagAnchored) != 0 {
            // A single distinctive token: alone (whole token; an a.k.a. only as its line's whole
            // distinctive text), or anchored by a legal form of the alias' family directly before or
            // after it (legal forms and punctuation between them are fine, other words are not).
            let t = variantTokens[lo]
            let forms = variantForms[v]
            let shortLength = Int(variantShortLength[v])
            var best: (Double, Int, Int)? = nil
            for h in hits where h.token == t {
                let p = Int(h.pos)
                // A typo is never the name plus a letter at either end: that is the name inside a longer
                // word (`TPROISTOK OOO` is not `PROISTOK OOO`).
                if h.sim < 1 && NameIndex.isExtension(prepared.padded[prepared.foldedRange(p)], of: tokenBytes[Int(t)]) { continue }
                let around = prepared.kept[p].formsBefore | prepared.kept[p].formsAfter
                // As the whole name: alone on the first line, with no legal form of another family than the
                // alias' own (`NOWAK AB` is not `NOVAK OOO`); a short acronym also at its written length.
                let whole = prepared.alone(p) && (around == 0 || forms == 0 || around & forms != 0)
                    && (shortLength == 0
                        || prepared.displayRange(prepared.original(p)).count == shortLength)
                let bare = flags & NameIndex.flagBare != 0 && (h.sim == 1 || fuzzy)
                    && (flags & NameIndex.flagWholeOnly == 0 || whole)
                let anchored = flags & NameIndex.flagAnchored != 0 && (h.sim == 1 || flags & NameIndex.flagAnchorFuzzy != 0)
                    && around & forms != 0
                if (bare || anchored) && (best == nil || h.sim > best!.0) { best = (h.sim, p, p) }
            }
            return best
        }
        if !isPerson {
            // Entities and weak aliases: the tokens in order, on consecutive kept text tokens.
            guard count <= n else { return nil }
            var best: (Double, Int, Int)? = nil
            let first = variantTokens[lo]
            // Only positions where the first token is found can start the name.
            for h in hits where h.token == first && Int(h.pos) + count <= n {
                let start = Int(h.pos)
                var num = 0.0, den = 0.0
                var ok = true
                for j in 0..<count {
                    guard let s = sim(lo + j, at: start + j) else { ok = false; break }
                    num += weight(lo + j) * s
                    den += weight(lo + j)
                }
                if ok, den > 0 {
                    let score = num / den
                    if best == nil || score > best!.0 { best = (score, start, start + count - 1) }
                }
            }
            return best
        }

        // Persons: tokens in any order, each on a distinct text token, within a window; middle
        // names may be missing (penalized). A valid match spans at most `count + maxExtra` tokens
        // and starts at one of its matched tokens, so it is enough to try the windows that start at
        // a position where one of the alias tokens was found, each with a tiny exhaustive search.
        let maxExtra = configuration.maxExtraTokens
        let penalty = configuration.missingTokenPenalty
        let maxPenalized = configuration.maxPenalizedMissingTokens
        let width = count + maxExtra
        var starts = [Int]()
        for h in hits where (h.sim == 1 || fuzzy) && variantTokens[lo..<hi].contains(h.token) {
            if starts.last != Int(h.pos) { starts.append(Int(h.pos)) }   // hits are sorted by position
        }
        var best: (Double, Int, Int)? = nil
        let hasGroup = variantEssential[lo..<hi].contains(NameIndex.group)
        var options = [[(Int, Double)]](repeating: [], count: count)
        var used = [Bool](repeating: false, count: width)
        windows: for start in starts {
            let end = min(n, start + width)
            for j in 0..<count {
                options[j].removeAll(keepingCapacity: true)
                for p in start..<end { if let sv = sim(lo + j, at: p) { options[j].append((p, sv)) } }
                if options[j].isEmpty && variantEssential[lo + j] == NameIndex.required { continue windows }
            }
            // `group`: -2 no group token matched yet, -1 the group's name token matched, p >= 0 only the
            // leading particle matched, at text position p.
            func search(_ j: Int, _ num: Double, _ den: Double, _ matched: Int, _ missing: Int, _ minP: Int, _ maxP: Int,
                        _ group: Int) {
                if j == count {
                    guard matched >= 2, den > 0, minP == start, maxP - minP + 1 <= matched + maxExtra else { return }
                    if hasGroup {
                        if group == -2 { return }
                        // A particle stands for the given names only if no other word follows it
                        // (`ABD AL-LIBI`, not `AL-MASRI ABU HAFS` for `AL-MASRI, Abu Dujana`).
                        if group >= 0 {
                            let q = group + 1
                            if q < n && !(q >= start && q < start + width && used[q - start]) { return }
                        }
                    }
                    let score = num / den - penalty * Double(min(missing, maxPenalized))
                    if best == nil || score > best!.0 { best = (score, minP, maxP) }
                    return
                }
                let role = variantEssential[lo + j]
                for (p, sv) in options[j] where !used[p - start] {
                    used[p - start] = true
                    let g = role != NameIndex.group ? group : (group == -2 ? p : -1)
                    search(j + 1, num + weight(lo + j) * sv, den + weight(lo + j), matched + 1, missing, min(minP, p), max(maxP, p), g)
                    used[p - start] = false
                }
                if role != NameIndex.required {
                    search(j + 1, num, den, matched, missing + 1, minP, maxP, group)
                }
            }
            search(0, 0, 0, 0, 0, Int.max, Int.min, -2)
        }
        return best
    }
}

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
