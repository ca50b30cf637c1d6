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
/// - A compound form is matched by a run of at most `maxCompoundTokens` whole normalized tokens joined; the
///   run's longest token is a substring of the form of at least a `maxCompoundTokens`-th of its length. The
///   text side keys every normalized token as written, the index side every such substring of every form.
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

    /// Adds the keys of every text the name search can make of `lines` (one field) to `keys`.
    public static func textKeys(lines: [String], into keys: inout Set<Int32>, configuration: MatchConfiguration = .default) {
        if lines.allSatisfy(\.isEmpty) { return }
        var scratch = [UInt64]()
        func addTokens(_ text: String) {
            for mode in Normalizer.Punctuation.allCases {
                let bytes = Normalizer.normalizedBytes(text, punctuation: mode)
                for token in bytes.split(separator: 0x20) { addToken(token, &keys, &scratch, configuration) }
            }
        }
        for line in lines { addTokens(line) }
        guard configuration.joinLinesWithoutSpace, lines.count > 1 else { return }
        // Every run of lines whose breaks are all between word characters: the segments a join can make.
        for i in 0..<(lines.count - 1) {
            var joined = lines[i]
            var j = i
            while j + 1 < lines.count, endsInWord(lines[j]), startsInWord(lines[j + 1]), !lines[j].isEmpty, !lines[j + 1].isEmpty {
                joined += lines[j + 1]
                j += 1
                addTokens(joined)
            }
        }
    }

    /// One normalized token's keys: itself as written (exact and compound pieces), folded, and the deletion
    /// neighbourhoods of both forms when the token is long enough to carry a typo.
    private static func addToken(_ raw: ArraySlice<UInt8>, _ keys: inout Set<Int32>, _ scratch: inout [UInt64],
                                 _ configuration: MatchConfiguration) {
        let minTypo = configuration.minTypoTokenLength
        keys.insert(storedKey(bytes: raw))
        let folded = Normalizer.fold(raw)
        keys.insert(storedKey(bytes: folded))
        if folded.count >= minTypo && folded.count <= 64 && !folded.contains(where: { $0 < 0x41 }) {
            deletionKeys(folded, into: &scratch)
            for k in scratch { keys.insert(storedKey(k)) }
        }
        if raw.count >= minTypo && raw.count <= 64 {
            deletionKeys(raw, into: &scratch)
            for k in scratch { keys.insert(storedKey(k)) }
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
            guard let best = required.max(by: { tokenBytes[Int(variantTokens[$0])].count < tokenBytes[Int(variantTokens[$1])].count }) else {
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
        let pieces = max(1, configuration.maxCompoundTokens)
        for form in compoundForms.bytes {
            let shortest = max(1, (form.count + pieces - 1) / pieces)
            for start in 0..<form.count where start + shortest <= form.count {
                for end in (start + shortest)...form.count {
                    keys.insert(Self.storedKey(bytes: form[start..<end]))
                }
            }
        }
    }
}
