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
/// - A compound form is matched by a run of whole normalized tokens joined: a single token equal to the form, or
///   a run whose first two tokens joined are a prefix of the form. The text side keys every normalized token as
///   written and every two neighbouring tokens joined (`pairKey`), the index side each form and its prefixes.
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
        // Breaks a variant may rejoin: between word characters of two non-empty lines.
        let joinable = (0..<max(0, lines.count - 1)).map { i in
            configuration.joinLinesWithoutSpace && !lines[i].isEmpty && !lines[i + 1].isEmpty && endsInWord(lines[i]) && startsInWord(lines[i + 1])
        }
        for mode in Normalizer.Punctuation.allCases {
            // segments[s][k]: the tokens of lines s...s+k joined without a space (k = 0: line s alone), every
            // segment a variant can be made of. `.join` differs from `.separate` only where punctuation sits
            // between two word characters (the matcher's own rule for making that variant).
            var segments = [[[[UInt8]]]](repeating: [], count: lines.count)
            for s in lines.indices {
                var text = lines[s], e = s
                while true {
                    let (separate, joins) = Normalizer.normalizedBytesReportingJoins(text, punctuation: .separate)
                    let bytes = mode == .separate ? separate : joins ? Normalizer.normalizedBytes(text, punctuation: .join) : []
                    let tokens = bytes.split(separator: 0x20).map { Array($0) }
                    for t in tokens { addToken(t[...], &keys, &scratch, configuration) }
                    for (a, b) in zip(tokens, tokens.dropFirst()) { keys.insert(pairKey(a, b)) }
                    segments[s].append(mode == .separate || joins ? tokens : bytesTokens(separate))
                    guard e + 1 < lines.count, joinable[e] else { break }
                    e += 1
                    text += lines[e]
                }
            }
            // Two tokens side by side across a break: a segment's last and the first of a segment that can follow
            // it (one that starts right after it, or after lines that are empty once normalized).
            for s in lines.indices {
                for (k, tokens) in segments[s].enumerated() {
                    guard let last = tokens.last else { continue }
                    var next = s + k + 1
                    while next < lines.count {
                        for following in segments[next] { if let first = following.first { keys.insert(pairKey(last, first)) } }
                        guard segments[next][0].isEmpty else { break }
                        next += 1
                    }
                }
            }
        }
    }

    static func bytesTokens(_ bytes: [UInt8]) -> [[UInt8]] { bytes.split(separator: 0x20).map { Array($0) } }

    /// The key of two normalized tokens side by side, joined (the first two tokens of a compound run).
    static func pairKey(_ a: [UInt8], _ b: [UInt8]) -> Int32 { storedKey(bytes: [0x03] + a + b) }

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
        if raw.count >= minTypo && raw.count <= 64 && !raw.elementsEqual(folded) {
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
            guard let best = required.max(by: { tokenBytes.length(Int(variantTokens[$0])) < tokenBytes.length(Int(variantTokens[$1])) }) else {
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
        // A compound form is matched by a run of whole text tokens joined: one token equal to the form, or two or
        // more whose first two, joined, are a prefix of it (at least two bytes long).
        for form in compoundForms.bytes {
            keys.insert(Self.storedKey(bytes: form))
            for m in 2...max(2, form.count) where m <= form.count { keys.insert(Self.storedKey(bytes: [0x03] + form[0..<m])) }
        }
    }
}
