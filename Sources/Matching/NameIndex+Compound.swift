/// Compound names: entity names written joined or split (`RB HOLDING` / `RBHOLDING`, `BELVNESHPROMSERVICE` /
/// `BELVNESH PROM SERVICE`). A run of whole text tokens matches a variant when its space-free form is one of the
/// variant's compound forms (built in `NameIndex.init`). See DESIGN.md §3, "Compound names".
extension NameIndex {
    /// The compound forms of entity variants: the distinctive tokens joined as written, and the whole normalized
    /// name joined; `table` maps each form's `selfKey` to its record, `bytes[r]` is the form and `variants[r]` its
    /// variant. A final class: the index is copied into every screener.
    final class CompoundForms: Sendable {
        let table: DeletionTable
        let bytes: [[UInt8]]
        let variants: [Int32]
        let maxLength: Int
        /// P^k (the polynomial hash's base) for k = 0 ... maxLength + 1: a run's hash from prefix hashes.
        let powers: [UInt64]
        /// A bit per hash of a form's first 1 to 4 bytes (`startBit`): a run can only be a form if its first
        /// token's first bytes start one. Most text tokens start no form, and this 8 KB set answers from cache
        /// before the up to `maxCompoundTokens` probes of the (much larger) table that each run start costs.
        let starts: [UInt64]

        init(bytes: [[UInt8]], variants: [Int32]) {
            table = DeletionTable(keys: bytes.map { selfKey($0) }, values: bytes.indices.map { Int32($0) })
            var starts = [UInt64](repeating: 0, count: 1 << (CompoundForms.startBits - 6))
            for form in bytes {
                for k in 1...min(4, form.count) {
                    let b = CompoundForms.startBit(form[0..<k])
                    starts[b >> 6] |= 1 << UInt64(b & 63)
                }
            }
            self.starts = starts
            self.bytes = bytes
            self.variants = variants
            maxLength = bytes.reduce(0) { max($0, $1.count) }
            var powers: [UInt64] = [1]
            for _ in 0...maxLength { powers.append(powers[powers.count - 1] &* 0x100_0000_01B3) }
            self.powers = powers
        }

        static let startBits = 16

        /// The bit of a form's (or a token's) first 1 to 4 bytes in `starts`.
        @inline(__always) static func startBit<C: Collection<UInt8>>(_ head: C) -> Int {
            var x: UInt64 = UInt64(head.count)
            for b in head { x = x << 8 | UInt64(b) }
            x = (x ^ (x >> 29)) &* 0xBF58_476D_1CE4_E5B9
            return Int(truncatingIfNeeded: x >> UInt64(64 - startBits))
        }

        /// Whether some form starts with the first (up to 4) bytes of `token`.
        @inline(__always) func mayStart(_ token: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
            let b = CompoundForms.startBit(token.prefix(4))
            return starts.withUnsafeBufferPointer { $0[b >> 6] & (1 << UInt64(b & 63)) != 0 }
        }
    }

    /// Reports every variant whose compound form is a run of 1 to `maxCompoundTokens` normalized tokens of `prepared`.
    ///
    /// Runs are over all normalized tokens (a piece of a split word may look like a legal form or a stop word:
    /// `CUBAFRUT AS`, `MEGATRA DE`), joined as written, and looked up once each with O(1) work (prefix hashes
    /// over the text). A run starts and ends at whole tokens, so a compound is never a fragment of a longer word.
    func searchCompounds(_ prepared: PreparedText, lineOf: [Int32]?, prefix: inout [UInt64], _ report: (NameMatch) -> Void) {
        let m = prepared.display.count / 2
        let forms = compoundForms
        if prepared.count == 0 || forms.table.isEmpty { return }
        let P: UInt64 = 0x100_0000_01B3
        // prefix[2k], prefix[2k + 1]: hash and length of tokens 0..<k joined.
        prefix.removeAll(keepingCapacity: true)
        prefix.reserveCapacity(2 * (m + 1))
        var h: UInt64 = 0
        prefix.append(0)
        prefix.append(0)
        prepared.normalized.withUnsafeBufferPointer { nb in
            for k in 0..<m {
                let r = prepared.displayRange(k)
                for i in r { h = h &* P &+ (UInt64(nb[i]) &+ 1) }
                prefix.append(h)
                prefix.append(UInt64(prepared.display[2 * k + 1]))   // the end offset stands in for the length
            }
        }
        let minLength = configuration.minCompoundLength, maxLength = forms.maxLength
        let maxTokens = configuration.maxCompoundTokens
        // Without line joins (`joinLinesWithoutSpace` off), a run does not cross a line break either.
        let lines = configuration.joinLinesWithoutSpace ? nil : lineOf.flatMap { $0.count == m ? $0 : nil }
        prefix.withUnsafeBufferPointer { p in
            prepared.normalized.withUnsafeBufferPointer { nb in
                for i in 0..<m {
                    let start = Int(prepared.display[2 * i])
                    guard forms.mayStart(nb[prepared.displayRange(i)]) else { continue }
                    for j in i..<min(m, i + maxTokens) {
                        if let lines, lines[j] != lines[i] { break }
                        // Joined length: the span's bytes minus the spaces between its tokens.
                        let length = Int(prepared.display[2 * j + 1]) - start - (j - i)
                        if length > maxLength { break }
                        if length < minLength { continue }
                        let key = mixKey(p[2 * (j + 1)] &- p[2 * i] &* forms.powers[length], length)
                        forms.table.forEach(key) { r in
                            let v = Int(forms.variants[Int(r)])
                            guard runEquals(prepared, i, j, forms.bytes[Int(r)]),
                                  let (from, to) = compoundRunMatches(v, i, j, prepared) else { return }
                            let ai = Int(variantAlias[v])
                            report(NameMatch(aliasIndex: ai, entry: aliasEntry[ai], score: 1, matchedText: prepared.displayText(from, to)))
                        }
                    }
                }
            }
        }
    }

    /// Whether normalized tokens i...j, joined, are `bytes`.
    func runEquals(_ prepared: PreparedText, _ i: Int, _ j: Int, _ bytes: [UInt8]) -> Bool {
        var at = 0
        for k in i...j {
            let r = prepared.displayRange(k)
            guard at + r.count <= bytes.count, prepared.normalized[r].elementsEqual(bytes[at..<(at + r.count)]) else { return false }
            at += r.count
        }
        return at == bytes.count
    }

    /// Whether variant `v` may match as the compound run of normalized tokens i...j; the run if so.
    ///
    /// A multi-token entity name matches anywhere (its tokens joined, all of them, exactly, as its tokens apart
    /// would). A single-token name written split (two or more tokens) keeps the rules of a single token: alone
    /// anywhere (a primary name), as the first line's whole distinctive text (a.k.a.s), or next to a legal form
    /// of its family (directly before the run's first token or after its last).
    func compoundRunMatches(_ v: Int, _ i: Int, _ j: Int, _ prepared: PreparedText) -> (Int, Int)? {
        let count = Int(variantOffsets[v + 1] - variantOffsets[v])
        if count >= 2 {
            // A vessel's or aircraft's name written as one word is a one-token name there, and keeps the craft
            // rule of one-token names: the whole first line, or its context (`MV`, `IMO …`, `AIRCRAFT`) beside it.
            let craft = variantCraft[v]
            guard i == j, craft != 0 else { return (i, j) }
            guard let k = (0..<prepared.count).first(where: { prepared.original($0) == i }) else { return nil }
            let whole = k == 0 && prepared.firstLineCount == 1
            return whole || NameIndex.hasCraftContext(prepared, k, craft) ? (i, j) : nil
        }
        guard j > i, variantShortLength[v] == 0 else { return nil }
        // The kept tokens inside the run (pieces that look like legal forms or stop words are not kept).
        var first = -1, last = -1
        for k in 0..<prepared.count {
            let o = prepared.original(k)
            if o > j { break }
            if o >= i {
                if first < 0 { first = k }
                last = k
            }
        }
        guard first >= 0 else { return nil }
        let flags = variantFlags[v], forms = variantForms[v]
        // A legal form counts only outside the run: not when the run starts or ends with a removed piece.
        let before = prepared.original(first) == i ? prepared.kept[first].formsBefore : 0
        let after = prepared.original(last) == j ? prepared.kept[last].formsAfter : 0
        let around = before | after
        let whole = first == 0 && last + 1 == prepared.firstLineCount && (around == 0 || forms == 0 || around & forms != 0)
        let bare = flags & NameIndex.flagBare != 0 && (flags & NameIndex.flagWholeOnly == 0 || whole)
            && (flags & NameIndex.flagGenericWhole == 0 || (whole && around & forms != 0))
        let anchored = flags & NameIndex.flagAnchored != 0 && around & forms != 0
        return bare || anchored ? (i, j) : nil
    }
}
