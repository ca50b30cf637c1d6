import Synchronization

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
    /// Compound names: an entity name also matches written joined or split (`RB HOLDING` / `RBHOLDING`,
    /// `BELVNESHPROMSERVICE` / `BELVNESH PROM SERVICE`): a run of whole text tokens whose space-free form
    /// is an alias' distinctive tokens joined, exactly, if that joined form has at least this many characters.
    public var minCompoundLength: Int = 8
    /// At most this many text tokens are joined into one compound.
    public var maxCompoundTokens: Int = 4
    /// The whole-token Aho-Corasick automaton over the vocabulary is built while its dense table fits in
    /// this many bytes (the SDN and the usual lists: about 20 MB). A larger vocabulary (lists of
    /// OpenSanctions size) looks each text token up in the vocabulary's key table instead: the same hits
    /// in the same order, with memory that grows with the vocabulary alone. 0: never build it.
    public var tokenAutomatonMaxBytes: Int = 64 << 20

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

// The last `NameIndex.identity` given out.
private let nameIndexSerial = Atomic<UInt64>(0)

/// Fuzzy multi-name search: built once from every alias of every list entry, queried per field.
///
/// Candidates come from the vocabulary of alias tokens, each text token looked up whole in a key table
/// (exact) and by deletion-neighbourhood keys (one typo); every candidate alias is then
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
        /// What the entry is when that is not a person or an entity: a one-token vessel or aircraft name fires
        /// only as the whole name or next to words of its kind (`MV`, `VESSEL`, `IMO`; `AIRCRAFT`, `MSN`).
        public var craft: Craft
        public init(entry: Int, name: String, isPerson: Bool, weak: Bool, primary: Bool = true, craft: Craft = .none) {
            self.entry = entry
            self.name = name
            self.isPerson = isPerson
            self.weak = weak
            self.primary = primary
            self.craft = craft
        }
    }

    /// The kind of a vessel or aircraft entry, whose one-token names need their context (`NameTables`).
    public enum Craft: UInt8, Sendable, Equatable {
        case none = 0, vessel = 1, aircraft = 2
    }

    public let configuration: MatchConfiguration
    /// A number no other index built by this process has: what a search workspace's remembered results
    /// (`TypoMemo`) are keyed by, so results of one index (or list version) are never used for another.
    let identity: UInt64

    /// Vocabulary of folded alias tokens, by token id (one flat buffer; `exactTokens` finds a token's id).
    let tokenBytes: FlatTokens
    /// Whole-token automaton over " TOKEN " for every vocabulary token; nil when its table would exceed
    /// `configuration.tokenAutomatonMaxBytes` (then `exactTokens` finds the same hits).
    let tokenAutomaton: AhoCorasick?
    /// Deletion-neighbourhood keys -> vocabulary tokens, an open-addressing hash table.
    let deletions: DeletionTable
    /// Whole-token keys (`selfKey`) -> vocabulary tokens: the exact candidates of a text, and vocabulary lookups
    /// without hashing `[UInt8]`.
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
    /// Per single-token variant: `selfKey` of its token as written (normalized, not folded), else 0. A text
    /// token that is a common given name or payment vocabulary meets it only written the same.
    let variantWrittenKey: [UInt64]
    /// Per single-token variant: `Craft.rawValue` of a vessel or aircraft alias (its context words), else 0.
    let variantCraft: [UInt8]
    /// Alias tokens as written (normalized, not folded) of at least `minTypoTokenLength` characters, and
    /// the vocabulary token each folds to: typos are also looked up on this unfolded form, because folding
    /// can turn one edit into two (`INTERRADE`→`INTERADE` against `INTERTRADE`, `INDUTSRY`→`INDUCRI`).
    let rawTokenBytes: FlatTokens
    let rawTokenFolded: [Int32]
    let rawDeletions: DeletionTable
    /// Anchor postings: vocabulary token -> variants whose rarest required token it is, each list sorted by the
    /// variant's second anchor (`anchorSecond`), then by variant.
    let anchorOffsets: [Int32]
    let anchorVariants: [Int32]
    /// Per posting (parallel to `anchorVariants`): the variant's second rarest distinct required token, or -1 when
    /// it has no other required token. The postings of one anchor with second anchor `u` are one run, so a long
    /// list under a common anchor is read only for the second anchors the text hit (`NameIndex+Postings.swift`).
    let anchorSecond: [Int32]
    /// Compound forms of entity variants (`NameIndex+Compound.swift`), behind one reference so that copying
    /// the index stays cheap.
    let compoundForms: CompoundForms

    let aliasEntry: [Int]
    public let aliasCount: Int
    /// Number of aliases that were not indexed (empty after removing legal forms, too short, generic).
    public let skippedAliasCount: Int
    public var indexedVariantCount: Int { variantAlias.count }
    /// Approximate heap bytes held by the index (automaton, hash table, postings, vocabulary).
    public var memoryUsage: Int {
        (tokenAutomaton?.memoryUsage ?? 0) + deletions.slots.count * 8 + exactTokens.slots.count * 8 + exactTokens.filter.count * 8
            + tokenBytes.memoryUsage
            + (variantAlias.count + variantOffsets.count + variantTokens.count + anchorOffsets.count + anchorVariants.count
                + anchorSecond.count) * 4
            + variantFlags.count + variantEssential.count + aliasEntry.count * 8
            + variantForms.count * 18 + compoundForms.table.slots.count * 8 + compoundForms.table.filter.count * 8
            + compoundForms.bytes.reduce(0) { $0 + $1.count + 36 } + rawDeletions.slots.count * 8 + (deletions.filter.count + rawDeletions.filter.count) * 8 + rawTokenBytes.memoryUsage
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
    static let flagGenericWhole: UInt8 = 128 // a generic word with a legal form: whole name, with a form of its family, exact

    static let required: UInt8 = 1, optional: UInt8 = 0, group: UInt8 = 2

    public init(aliases: [Alias], configuration: MatchConfiguration = .default) {
        self.configuration = configuration
        self.identity = nameIndexSerial.wrappingAdd(1, ordering: .relaxed).newValue
        aliasCount = aliases.count
        aliasEntry = aliases.map(\.entry)
        let matcher = LegalForms.matcher

        var vocabulary = TokenInterner()
        var variantAlias = [Int32](), variantFlags = [UInt8](), variantOffsets: [Int32] = [0]
        var variantTokens = [Int32](), variantEssential = [UInt8](), variantForms = [UInt64](), variantShortLength = [UInt8]()
        var variantWrittenKey = [UInt64](), variantCraft = [UInt8]()
        var rawIndex = TokenInterner(), rawTokenFolded = [Int32]()
        var compoundBytes = [[UInt8]](), compoundVariant = [Int32]()
        var compoundSeen = Set<[UInt8]>()   // per alias
        var skipped = 0

        for (ai, alias) in aliases.enumerated() {
            // Both punctuation modes at once: most names read the same in both and are scanned once.
            let scanned = NameIndex.scanNames(alias, matcher)
            var seen = [[Int32]]()
            compoundSeen.removeAll(keepingCapacity: true)
            for pi in scanned.indices {
                let name = scanned[pi]
                let toks = name.folded, raw = name.raw, forms = name.forms
                let familyCount = name.familyCount   // number of leading tokens that are the family name (-1: no comma)
                if toks.isEmpty { continue }
                let ids = toks.map { vocabulary.intern($0) }
                for (r, id) in zip(raw, ids) where r.count >= configuration.minTypoTokenLength
                    && rawIndex.intern(r) == Int32(rawTokenFolded.count) {   // new: the next id
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
                var writtenKey: UInt64 = 0
                // Weak a.k.a.s keep the whole-name rule alone; a craft's multi-token name keeps it when written as
                // one word (the compound search).
                let craft: UInt8 = alias.weak ? 0 : alias.craft.rawValue
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
                    // A generic word with a legal form (`OOO GAS`, `LIMITED LIABILITY COMPANY TRADING`) is too
                    // common to match beside a form anywhere (`PARS OIL AND GAS LLC`), but a party whose whole
                    // name is that word with a form of its family is that company: exact, as the whole name only.
                    let genericWhole = generic && !alias.isPerson && !alias.weak && forms != 0 && !number
                    if !bare && !anchored && !genericWhole { continue }
                    if genericWhole { flags |= NameIndex.flagBare | NameIndex.flagWholeOnly | NameIndex.flagGenericWhole }
                    if bare {
                        flags |= NameIndex.flagBare
                        if !alias.weak && t.count >= configuration.minFuzzySingleTokenLength { flags |= NameIndex.flagFuzzy }
                        if !alias.primary || !long { flags |= NameIndex.flagWholeOnly }
                        // A vessel's or aircraft's name alone is also an ordinary word (`GLADIATOR`, `PASSAT`):
                        // it needs the whole name or its context. So does an entity named like a person
                        // (`CONRAD` in `CONRAD VOGEL`).
                        if alias.craft != .none || NameTables.isGivenName(raw[0]) { flags |= NameIndex.flagWholeOnly }
                    }
                    writtenKey = selfKey(raw[0])
                    if anchored {
                        flags |= NameIndex.flagAnchored
                        if !alias.weak { flags |= NameIndex.flagAnchorFuzzy }
                    }
                    anchorForms = forms
                    shortLength = long ? 0 : UInt8(raw[0].count)
                } else if !alias.weak {
                    flags |= NameIndex.flagFuzzy
                }
                if !alias.isPerson && !alias.weak {
                    // Compound forms: the distinctive tokens joined as written, and the whole name joined (its
                    // legal forms and stop words too: `COMMERCIALBANK OF SYRIA` is a run of three tokens).
                    let joined = Array(raw.joined())
                    for f in [joined, name.whole] where f.count >= configuration.minCompoundLength && !compoundSeen.contains(f) {
                        compoundSeen.insert(f)
                        compoundBytes.append(f)
                        compoundVariant.append(Int32(variantAlias.count))
                    }
                }
                variantAlias.append(Int32(ai))
                variantFlags.append(flags)
                variantForms.append(anchorForms)
                variantShortLength.append(shortLength)
                variantWrittenKey.append(writtenKey)
                variantCraft.append(craft)
                variantTokens.append(contentsOf: ids)
                variantEssential.append(contentsOf: essential)
                variantOffsets.append(Int32(variantTokens.count))
            }
            if variantAlias.last != Int32(ai) { skipped += 1 }
        }
        skippedAliasCount = skipped
        let (tokenBytes, tokenKeys) = vocabulary.finish()
        let rawTokenBytes = rawIndex.finish().tokens

        let postings = NameIndex.anchorPostings(variantOffsets: variantOffsets, variantTokens: variantTokens,
                                                variantEssential: variantEssential,
                                                tokenLengths: (0..<tokenBytes.count).map { Int32(tokenBytes.length($0)) })
        self.deletions = NameIndex.deletionTable(tokenBytes, minLength: configuration.minTypoTokenLength)
        self.exactTokens = DeletionTable(keys: tokenKeys, values: tokenKeys.indices.map { Int32($0) })
        self.rawDeletions = NameIndex.deletionTable(rawTokenBytes, minLength: 0)
        self.compoundForms = CompoundForms(bytes: compoundBytes, variants: compoundVariant)
        // Built only within its budget: past it, construction stops at the first state over the limit.
        let budget = configuration.tokenAutomatonMaxBytes
        self.tokenAutomaton = budget <= 0 ? nil
            : try? AhoCorasick(patterns: (0..<tokenBytes.count).map { [0x20] + tokenBytes[$0] + [0x20] }, configuration: .init(kind: .dfa, maxTableBytes: budget))
        self.rawTokenBytes = rawTokenBytes
        self.rawTokenFolded = rawTokenFolded
        self.variantForms = variantForms
        self.variantShortLength = variantShortLength
        self.variantWrittenKey = variantWrittenKey
        self.variantCraft = variantCraft

        self.tokenBytes = tokenBytes
        self.variantAlias = variantAlias
        self.variantFlags = variantFlags
        self.variantOffsets = variantOffsets
        self.variantTokens = variantTokens
        self.variantEssential = variantEssential
        self.anchorOffsets = postings.offsets
        self.anchorVariants = postings.variants
        self.anchorSecond = postings.second
    }

    /// Deletion-neighbourhood keys of the tokens of at least `minLength` bytes -> the token's index.
    static func deletionTable(_ tokens: FlatTokens, minLength: Int) -> DeletionTable {
        var keys = [UInt64](), values = [Int32]()
        tokens.withReader { r in
            for t in 0..<Int32(tokens.count) {
                let bytes = r[t]
                guard bytes.count >= minLength else { continue }
                forEachDeletionKey(bytes) { k in
                    keys.append(k)
                    values.append(t)
                }
            }
        }
        return DeletionTable(keys: keys, values: values)
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

    /// What indexing needs of one alias in one punctuation mode, computed from the alias alone: its distinctive
    /// tokens folded and as written, the families of its legal forms (not for a person written `FAMILY, Given`),
    /// the number of family-name tokens of such a person (else -1), and, for a strong entity alias, its whole
    /// normalized name without spaces (a compound form).
    struct ScannedName: Sendable {
        var folded: [[UInt8]]
        var raw: [[UInt8]]
        var forms: UInt64
        var familyCount: Int
        var whole: [UInt8]
    }

    /// The alias scanned in each punctuation mode (`Normalizer.Punctuation.allCases` order). A name with no
    /// punctuation between two letters or digits normalizes the same in both modes, so it is scanned once and
    /// returned once (most names: the scan is most of the time an index takes to build).
    static func scanNames(_ alias: Alias, _ matcher: LegalForms.Matcher) -> [ScannedName] {
        // Person names written "FAMILY, GIVEN MIDDLE": the comma marks the family name.
        let commaParts = alias.isPerson ? alias.name.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: true) : []
        let pieces = commaParts.count == 2 ? commaParts.map(String.init) : [alias.name]
        let separated = pieces.map { Normalizer.normalizedBytesReportingJoins($0, punctuation: .separate) }
        let joins = separated.contains { $0.1 }
        // Without such punctuation the second mode would read the same: the name is scanned, and indexed, once.
        return Normalizer.Punctuation.allCases.prefix(joins ? Normalizer.Punctuation.allCases.count : 1).map { punct in
            let bytes = punct == .separate ? separated.map(\.0) : pieces.map { Normalizer.normalizedBytes($0, punctuation: punct) }
            var name: ScannedName
            if bytes.count == 2 {
                let fam = NameIndex.distinctiveScan(normalized: bytes[0], matcher)
                let given = NameIndex.distinctiveScan(normalized: bytes[1], matcher)
                name = ScannedName(folded: fam.folded + given.folded, raw: fam.raw + given.raw, forms: 0,
                                   familyCount: fam.folded.count, whole: [])
            } else {
                let d = NameIndex.distinctiveScan(normalized: bytes[0], matcher)
                name = ScannedName(folded: d.folded, raw: d.raw, forms: d.forms, familyCount: -1, whole: [])
                if !alias.isPerson && !alias.weak && !name.folded.isEmpty { name.whole = bytes[0].filter { $0 != 0x20 } }
            }
            return name
        }
    }

    /// Distinctive tokens of a name, folded and as written (normalized), and the families of its legal forms.
    static func distinctiveScan(_ text: String, _ punct: Normalizer.Punctuation, _ matcher: LegalForms.Matcher)
        -> (folded: [[UInt8]], raw: [[UInt8]], forms: UInt64) {
        distinctiveScan(normalized: Normalizer.normalizedBytes(text, punctuation: punct), matcher)
    }

    /// `distinctiveScan` of a name already normalized.
    static func distinctiveScan(normalized: [UInt8], _ matcher: LegalForms.Matcher)
        -> (folded: [[UInt8]], raw: [[UInt8]], forms: UInt64) {
        let raw = normalized.split(separator: 0x20).map { Array($0) }
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
}
