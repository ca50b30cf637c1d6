/// Verification: whether a candidate variant really matches the text's token hits, and with what score.
extension NameIndex {
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
                // Payment vocabulary is never a typo of a name (`INVOICE`, `PAYMENT`).
                if hits[k].sim < 1 && NameTables.isPaymentVocabulary(prepared.written(pos)) { return nil }
                return hits[k].sim
            }
            return nil
        }
        @inline(__always) func weight(_ aliasTok: Int) -> Double { Double(tokenBytes.length(Int(variantTokens[aliasTok]))) }

        let isPerson = flags & NameIndex.flagPerson != 0 && flags & NameIndex.flagWeak == 0
        if count == 1 && flags & (NameIndex.flagBare | NameIndex.flagAnchored) != 0 {
            // A single distinctive token: alone (whole token; an a.k.a. only as its line's whole
            // distinctive text), or anchored by a legal form of the alias' family directly before or
            // after it (legal forms and punctuation between them are fine, other words are not).
            let t = variantTokens[lo]
            let forms = variantForms[v]
            let shortLength = Int(variantShortLength[v])
            let writtenKey = variantWrittenKey[v]
            let craft = variantCraft[v]
            var best: (Double, Int, Int)? = nil
            for h in hits where h.token == t {
                let p = Int(h.pos)
                // A common given name or a payment word reaches a one-token name only as written, not through
                // folding or a typo (`PAVEL` is not the vessel `PAWELL`, `IBAN` not the aircraft `YI-BAN`).
                let written = prepared.written(p)
                if selfKey(written) != writtenKey {
                    if NameTables.isPaymentVocabulary(written) { continue }
                    if NameTables.isGivenName(written) && !NameTables.givenNameKeys.contains(writtenKey) { continue }
                }
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
                    && (flags & NameIndex.flagWholeOnly == 0 || whole || (craft != 0 && NameIndex.hasCraftContext(prepared, p, craft)))
                    && (flags & NameIndex.flagGenericWhole == 0 || (whole && h.sim == 1 && around & forms != 0))
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
        let hasGroup = variantEssential[lo..<hi].contains(NameIndex.group)
        // Scratch for the windows on the stack (no allocation per candidate: this runs for every candidate
        // variant of every field): the options of alias token j are opt[j * width ..< j * width + optCount[j]]
        // (a window has `width` positions, so at most that many options per token).
        return withUnsafeTemporaryAllocation(of: (Int, Double).self, capacity: count * width) { opt in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { optCount in
                withUnsafeTemporaryAllocation(of: Bool.self, capacity: width) { used in
                    _ = used.initialize(from: repeatElement(false, count: width))
                    var best: (Double, Int, Int)? = nil
                    var lastStart = -1
                    windows: for h in hits where (h.sim == 1 || fuzzy) && variantTokens[lo..<hi].contains(h.token) {
                        let start = Int(h.pos)
                        if start == lastStart { continue }   // hits are sorted by position
                        lastStart = start
                        let end = min(n, start + width)
                        for j in 0..<count {
                            optCount[j] = 0
                            for p in start..<end {
                                if let sv = sim(lo + j, at: p) {
                                    opt[j * width + optCount[j]] = (p, sv)
                                    optCount[j] += 1
                                }
                            }
                            if optCount[j] == 0 && variantEssential[lo + j] == NameIndex.required { continue windows }
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
                            for k in 0..<optCount[j] {
                                let (p, sv) = opt[j * width + k]
                                if used[p - start] { continue }
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
        }
    }

    /// Whether the text has words of a vessel (`craft` 1) or an aircraft (2) directly before or after kept token
    /// `p` (`MV GLADIATOR`, `M/V PASSAT`, `GLADIATOR (IMO 7621011)`, `AIRCRAFT YI-BAN`).
    static func hasCraftContext(_ prepared: PreparedText, _ p: Int, _ craft: UInt8) -> Bool {
        let o = prepared.original(p)
        let tokens = prepared.display.count / 2
        func token(_ i: Int) -> ArraySlice<UInt8> { prepared.normalized[prepared.displayRange(i)] }
        func matches(_ phrase: [[UInt8]], from i: Int) -> Bool {
            guard i >= 0, i + phrase.count <= tokens else { return false }
            return phrase.indices.allSatisfy { token(i + $0).elementsEqual(phrase[$0]) }
        }
        for phrase in craft == Craft.vessel.rawValue ? vesselContext : aircraftContext {
            if matches(phrase, from: o - phrase.count) || matches(phrase, from: o + 1) { return true }
        }
        // `IMO 7621011 GLADIATOR`: the vessel's number between the word and the name.
        if craft == Craft.vessel.rawValue && o >= 2 && token(o - 2).elementsEqual("IMO".utf8)
            && token(o - 1).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return true }
        return false
    }
    static let vesselContext = NameTables.vesselContext.map { $0.map { Array($0.utf8) } }
    static let aircraftContext = NameTables.aircraftContext.map { $0.map { Array($0.utf8) } }

    /// Whether `text` is `name` with one more character at its start or end.
    static func isExtension<C: Collection<UInt8>, N: Collection<UInt8>>(_ text: C, of name: N) -> Bool {
        text.count == name.count + 1 && (text.dropFirst().elementsEqual(name) || text.dropLast().elementsEqual(name))
    }
}

extension NameIndex.PreparedText {
    /// Kept token `k` as written (normalized, not folded).
    @inline(__always) func written(_ k: Int) -> ArraySlice<UInt8> { normalized[displayRange(original(k))] }
}
