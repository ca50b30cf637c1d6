/// Search: a field's lines in, the aliases found in them out. Candidates come from exact and one-typo
/// token hits; `verify` (NameIndex+Verify.swift) decides each.
extension NameIndex {
    /// Every alias found in a field, best first, at most one result per entry (its best alias).
    ///
    /// `lines` are the lines of one field as written. They are matched joined with a space and, if
    /// `joinLinesWithoutSpace`, also with the line breaks that split a known word rejoined (see
    /// `nameTextVariants`); each of those with punctuation as separators and with in-word punctuation
    /// removed.
    public func search(lines: [String]) -> [NameMatch] {
        var workspace = SearchWorkspace(remembersTypos: false)
        return search(lines: lines, workspace: &workspace)
    }

    /// Working memory of `search`: one per thread, passed to every search it makes (of any index), so
    /// that the buffers of one search are reused by the next instead of allocated again.
    public struct SearchWorkspace {
        var scratch = SearchScratch()
        var joins = JoinScratch()
        /// The remembered one-typo hits (`TypoMemo`) of the indexes searched lately, by `NameIndex.identity`, the
        /// most recently searched last; at most `maxIndexes` (a screener has two; a rescreen may alternate more).
        /// With each, the remembered answers of its line-join lookups (`KnownTokenMemo`).
        var typos: [(index: UInt64, memo: TypoMemo, known: KnownTokenMemo)] = []
        static let maxIndexes = 4
        /// Whether searches remember typo hits: for a workspace kept from payment to payment; one made for a
        /// single search would pay for building the memory and hardly use it.
        let remembersTypos: Bool
        public init(remembersTypos: Bool = true) { self.remembersTypos = remembersTypos }

        /// Tokens remembered for all indexes, and lookups answered from memory (for tests and figures).
        public var rememberedTokens: Int { typos.reduce(0) { $0 + $1.memo.count } + scratch.typos.count }
        public var answeredLookups: Int { typos.reduce(0) { $0 + $1.memo.answered } + scratch.typos.answered }
        /// Words whose line-join lookups are remembered for all indexes, and lookups answered from memory.
        public var rememberedWords: Int { typos.reduce(0) { $0 + $1.known.count } + joins.known.count }
        public var answeredWordLookups: Int { typos.reduce(0) { $0 + $1.known.answered } + joins.known.answered }

        /// Moves index `identity`'s memory into `scratch` (a new one if it has none), its entry now the most
        /// recently used; beyond `maxIndexes` the least recently used is dropped (those of replaced lists go first).
        /// The memory is swapped, not copied: `keepTypos` swaps it back into the same entry.
        mutating func takeTypos(of identity: UInt64) {
            if let i = typos.firstIndex(where: { $0.index == identity }) {
                if i != typos.count - 1 { typos.append(typos.remove(at: i)) }
            } else {
                if typos.count >= Self.maxIndexes { typos.removeFirst() }
                typos.append((identity, TypoMemo(), KnownTokenMemo()))
            }
            swap(&scratch.typos, &typos[typos.count - 1].memo)
            swap(&joins.known, &typos[typos.count - 1].known)
        }

        /// Puts index `identity`'s memory back into its entry (the last: `takeTypos` made it so).
        mutating func keepTypos(of identity: UInt64) {
            precondition(typos.last?.index == identity, "keepTypos without takeTypos of the same index")
            swap(&scratch.typos, &typos[typos.count - 1].memo)
            swap(&joins.known, &typos[typos.count - 1].known)
        }
    }

    /// `search(lines:)` with the caller's working memory.
    public func search(lines: [String], workspace: inout SearchWorkspace) -> [NameMatch] {
        // No text, no name (an agent given by BIC alone has no lines): nothing to normalize or prepare.
        if lines.allSatisfy(\.isEmpty) { return [] }
        var best = [Int: NameMatch]()
        if workspace.remembersTypos { workspace.takeTypos(of: identity) }
        defer { if workspace.remembersTypos { workspace.keepTypos(of: identity) } }
        // The variants' arrays are kept in the workspace from field to field (swapped out while in use).
        var variants = [TextVariant]()
        swap(&variants, &workspace.joins.variants)
        defer { swap(&variants, &workspace.joins.variants) }
        let count = writeNameTextVariants(lines, scratch: &workspace.joins, into: &variants)
        for k in 0..<count {
            searchNormalized(variants[k].bytes, lineOf: variants[k].lineOf, scratch: &workspace.scratch) { m in
                if let old = best[m.entry], old.score > m.score || (old.score == m.score && old.aliasIndex <= m.aliasIndex) { return }
                best[m.entry] = m
            }
        }
        return best.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.entry < $1.entry }
    }

    /// Convenience for a one-line field.
    public func search(_ text: String) -> [NameMatch] { search(lines: [text]) }

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
        var hitTokens = [Int32]()
        var prepared = PreparedText.Buffers()
        var compoundPrefix = [UInt64]()
        /// The ids one token's keys found in a deletion table.
        var found = [Int32]()
        /// Their spans in the token buffer (`FlatTokens.oneEditSpans`).
        var spans = [Int32]()
        /// The text position of each of `found` (exact lookups).
        var foundPos = [Int32]()
        /// One-typo hits of tokens seen before (off unless `search(lines:workspace:)` put this index's there).
        var typos = TypoMemo(capacity: 0)

        static func exchange(_ s: inout SearchScratch, _ hits: inout [TokenHit], _ keys: inout [UInt64], _ byPos: inout [Int32],
                             _ candidates: inout [Int32], _ hitTokens: inout [Int32], _ compoundPrefix: inout [UInt64],
                             _ found: inout [Int32], _ spans: inout [Int32], _ foundPos: inout [Int32], _ typos: inout TypoMemo) {
            swap(&hits, &s.hits)
            swap(&keys, &s.keys)
            swap(&byPos, &s.byPos)
            swap(&candidates, &s.candidates)
            swap(&hitTokens, &s.hitTokens)
            swap(&compoundPrefix, &s.compoundPrefix)
            swap(&found, &s.found)
            swap(&spans, &s.spans)
            swap(&foundPos, &s.foundPos)
            swap(&typos, &s.typos)
        }
    }

    func searchNormalized(_ normalized: [UInt8], lineOf: [Int32]?, scratch: inout SearchScratch, _ report: (NameMatch) -> Void) {
        // Each working array is swapped out of `scratch` (so that it is uniquely referenced and grows in place) and
        // swapped back at the end: a swap moves it, where a copy and a fresh `SearchScratch` cost a retain and a
        // release of every field per text.
        var buffers = PreparedText.Buffers()
        swap(&buffers, &scratch.prepared)
        var prepared = PreparedText(normalized, lineOf: lineOf, matcher: LegalForms.matcher, reusing: &buffers)
        let n = prepared.count
        if n == 0 {
            prepared.recycle(into: &buffers)
            swap(&buffers, &scratch.prepared)
            return
        }
        var hits = [TokenHit](), keys = [UInt64](), byPos = [Int32](), candidates = [Int32](), hitTokens = [Int32]()
        var compoundPrefix = [UInt64](), found = [Int32](), spans = [Int32](), foundPos = [Int32]()
        var typos = TypoMemo(capacity: 0)
        // Swapped with `scratch`'s: out here, back at the end. (By a static function: a local one capturing them
        // would make every closure's access to them checked for exclusivity at run time.)
        SearchScratch.exchange(&scratch, &hits, &keys, &byPos, &candidates, &hitTokens, &compoundPrefix, &found, &spans, &foundPos, &typos)
        hits.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        byPos.removeAll(keepingCapacity: true)
        candidates.removeAll(keepingCapacity: true)
        defer {
            prepared.recycle(into: &buffers)
            swap(&buffers, &scratch.prepared)
            SearchScratch.exchange(&scratch, &hits, &keys, &byPos, &candidates, &hitTokens, &compoundPrefix, &found, &spans, &foundPos, &typos)
        }

        // Exact whole-token hits: the automaton of the padded vocabulary over the padded folded text (every
        // match of " TOKEN " is one whole text token) while the vocabulary is small enough for its dense table;
        // otherwise each kept token looked up in the vocabulary's key table, confirmed byte for byte: the same
        // hits in the same order, with memory that grows with the vocabulary's size alone.
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
            // All the text's tokens at once (`DeletionTable.forEachBatch`, `FlatTokens.oneEditSpans`): in a large
            // vocabulary each lookup is a few cache misses, which then overlap.
            prepared.padded.withUnsafeBufferPointer { pb in
                keys.removeAll(keepingCapacity: true)
                for i in 0..<n { keys.append(selfKey(pb[prepared.foldedRange(i)])) }
                found.removeAll(keepingCapacity: true)
                foundPos.removeAll(keepingCapacity: true)
                exactTokens.forEachBatch(keys) { i, id in
                    found.append(id)
                    foundPos.append(Int32(i))
                }
                tokenBytes.oneEditSpans(found, near: UnsafeBufferPointer(start: nil, count: 0), into: &spans)
                tokenBytes.withReader { vocabulary in
                    for (k, id) in found.enumerated() {
                        let i = Int(foundPos[k])
                        let t = UnsafeBufferPointer(rebasing: pb[prepared.foldedRange(i)])
                        if NameIndex.equal(vocabulary.span(spans[2 * k], spans[2 * k + 1]), t) {
                            hits.append(TokenHit(pos: Int32(i), token: id, sim: 1))
                        }
                    }
                }
            }
        }

        // One-typo hits from the deletion neighbourhood.
        let minTypo = configuration.minTypoTokenLength
        if !deletions.isEmpty {
            tokenBytes.withReader { vocabulary in
                rawTokenBytes.withReader { rawVocabulary in
                    let exactCount = hits.count
                    // The exact hits are in position order: those of position i are hits[exactLo..<exactHi].
                    var exactLo = 0, exactHi = 0
                    // Tokens with digits (account numbers, postcodes, amounts) are never typo'd names.
                    for i in 0..<n {
                        let tRange = prepared.foldedRange(i)
                        let t = prepared.padded[tRange]
                        guard t.count <= 64 && !t.contains(where: { $0 < 0x41 }) else { continue }
                        let pos = Int32(i)
                        while exactLo < exactCount && hits[exactLo].pos < pos { exactLo += 1 }
                        exactHi = max(exactHi, exactLo)
                        while exactHi < exactCount && hits[exactHi].pos == pos { exactHi += 1 }
                        let exact = exactLo..<exactHi
                        let fuzzyStart = hits.count
                        let rawRange = prepared.displayRange(prepared.original(i))
                        // Seen before: its hits as found then (`TypoMemo`).
                        let known = prepared.padded.withUnsafeBufferPointer { pb in
                            prepared.normalized.withUnsafeBufferPointer { nb in
                                typos.lookup(folded: UnsafeBufferPointer(rebasing: pb[tRange]), raw: UnsafeBufferPointer(rebasing: nb[rawRange]))
                            }
                        }
                        if let known {
                            for k in known {
                                let h = typos.hit(k)
                                hits.append(TokenHit(pos: pos, token: h.token, sim: h.sim))
                            }
                            continue
                        }
                        defer { typos.remember(hits[fuzzyStart...]) }
                        prepared.padded.withUnsafeBufferPointer { pb in
                            let tb = UnsafeBufferPointer(rebasing: pb[tRange])
                            forEachOneEdit(of: tb, in: deletions, vocabulary: vocabulary, tokenBytes,
                                           keys: &keys, found: &found, spans: &spans) { id, a in
                                if hits[fuzzyStart...].contains(where: { $0.token == id }) { return }
                                if hits[exact].contains(where: { $0.token == id }) { return }
                                if a.count < minTypo { return }
                                guard let sim = NameIndex.oneEditSimilarity(a, tb) else { return }
                                hits.append(TokenHit(pos: pos, token: id, sim: sim))
                            }
                        }
                        // The same on the unfolded form (folding can make one typo two).
                        if rawRange.count > 64 || rawDeletions.isEmpty { continue }
                        prepared.normalized.withUnsafeBufferPointer { nb in
                            let w = UnsafeBufferPointer(rebasing: nb[rawRange])
                            forEachOneEdit(of: w, in: rawDeletions, vocabulary: rawVocabulary, rawTokenBytes,
                                           keys: &keys, found: &found, spans: &spans) { r, a in
                                let id = rawTokenFolded[Int(r)]
                                if hits[exact].contains(where: { $0.token == id }) { return }
                                guard let sim = NameIndex.oneEditSimilarity(a, w) else { return }
                                // Found on both forms: the better similarity (`STJPHEN` is closer to `STEPHEN`
                                // than `STIFEN` to `STEFEN`).
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
        // Names written joined or split (they need no token hit: `RBHOLDING` is no alias token), searched last so
        // that a name also found token by token is reported as that (ties keep the first report).
        defer { searchCompounds(prepared, lineOf: lineOf, prefix: &compoundPrefix, report) }
        if hits.isEmpty { return }
        // Group hits by text position so verification looks at one position's hits only.
        hits.sort { $0.pos < $1.pos }
        byPos.append(contentsOf: repeatElement(0, count: n + 1))
        for h in hits { byPos[Int(h.pos) + 1] += 1 }
        for i in 0..<n { byPos[i + 1] += byPos[i] }

        // Candidates: variants anchored on a token seen in the text, whose second anchor and other required tokens
        // were seen too (verification needs a hit on each required token; `NameIndex+Postings.swift`).
        hitTokens.removeAll(keepingCapacity: true)
        for h in hits { hitTokens.append(h.token) }
        hitTokens.sort()
        var distinct = 0
        for k in hitTokens.indices where k == 0 || hitTokens[k] != hitTokens[distinct - 1] {
            hitTokens[distinct] = hitTokens[k]
            distinct += 1
        }
        hitTokens.removeSubrange(distinct...)
        candidateVariants(hitTokens: hitTokens, into: &candidates)
        for v in candidates {
            if let (score, from, to) = verify(Int(v), hits, byPos, prepared), score >= configuration.threshold {
                let ai = Int(variantAlias[Int(v)])
                report(NameMatch(aliasIndex: ai, entry: aliasEntry[ai], score: score, matchedText: prepared.text(from, to)))
            }
        }
    }

    /// The strings of `vocabulary` (`reader` reads it) that `table` finds for a text token `t`, one edit from it
    /// or closer, handed to `body(id, bytes)` in the order of the table's lookups (an id may come more than once).
    /// The keys looked up are `t`'s deletion neighbourhood; for a token one byte shorter than `minTypoTokenLength`
    /// only its own key (the vocabulary's shortest keys have that length), and none for a shorter one. `keys`,
    /// `found` and `spans` are the caller's buffers.
    @inline(__always)
    func forEachOneEdit(of t: UnsafeBufferPointer<UInt8>, in table: DeletionTable, vocabulary reader: FlatTokens.Reader,
                        _ vocabulary: FlatTokens, keys: inout [UInt64], found: inout [Int32], spans: inout [Int32],
                        _ body: (Int32, UnsafeBufferPointer<UInt8>) -> Void) {
        let minTypo = configuration.minTypoTokenLength
        if t.count < minTypo - 1 { return }
        if t.count >= minTypo { deletionKeys(t, into: &keys) } else {
            keys.removeAll(keepingCapacity: true)
            keys.append(selfKey(t))
        }
        found.removeAll(keepingCapacity: true)
        table.collect(keys, into: &found)
        vocabulary.oneEditSpans(found, near: t, into: &spans)
        for (k, id) in found.enumerated() where spans[2 * k] >= 0 {
            body(id, reader.span(spans[2 * k], spans[2 * k + 1]))
        }
    }

    /// `typoSimilarity` of `alias` and `text` when they are exactly one edit apart, else nil.
    @inline(__always)
    static func oneEditSimilarity(_ alias: UnsafeBufferPointer<UInt8>, _ text: UnsafeBufferPointer<UInt8>) -> Double? {
        !equal(alias, text) && Similarity.withinOneEdit(alias, text) ? typoSimilarity(alias, text) : nil
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

    /// Byte equality, eight bytes at a time (`elementsEqual` goes byte by byte through an iterator).
    @inline(__always) static func equal(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = a.count
        guard n == b.count else { return false }
        guard n > 0, let pa = a.baseAddress, let pb = b.baseAddress else { return true }
        let ra = UnsafeRawPointer(pa), rb = UnsafeRawPointer(pb)
        var i = 0
        while i + 8 <= n {
            if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < n {
            if pa[i] != pb[i] { return false }
            i += 1
        }
        return true
    }
}
