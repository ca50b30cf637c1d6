/// Text preparation: which normalized texts a field is matched as (line breaks rejoined or not), and each
/// text's distinctive tokens, folded and laid out for the automaton (`PreparedText`).
extension NameIndex {
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
        var scratch = JoinScratch()
        return nameTextVariants(lines, scratch: &scratch)
    }

    /// Working buffers of the line-join decisions, kept in the search workspace between fields.
    struct JoinScratch {
        var lineEnds = [Int]()
        var folded = [UInt8]()
        var keys = [UInt64]()
        var word = [UInt8]()
        var carried = [UInt8]()
        var joinAfter = [Bool]()
        /// The variants of the last field (`writeNameTextVariants`): their arrays are cleared and written again
        /// for the next field instead of being allocated per field.
        var variants = [TextVariant]()
        /// The current index's remembered answers (off unless `search(lines:workspace:)` put that index's here).
        var known = KnownTokenMemo(capacity: 0)

        static func exchange(_ s: inout JoinScratch, _ lineEnds: inout [Int], _ folded: inout [UInt8], _ keys: inout [UInt64],
                             _ word: inout [UInt8], _ carried: inout [UInt8], _ joinAfter: inout [Bool]) {
            swap(&lineEnds, &s.lineEnds)
            swap(&folded, &s.folded)
            swap(&keys, &s.keys)
            swap(&word, &s.word)
            swap(&carried, &s.carried)
            swap(&joinAfter, &s.joinAfter)
        }
    }

    /// `nameTextVariants(lines)` with the caller's working buffers.
    func nameTextVariants(_ lines: [String], scratch: inout JoinScratch) -> [TextVariant] {
        var out = [TextVariant]()
        let count = writeNameTextVariants(lines, scratch: &scratch, into: &out)
        return Array(out.prefix(count))
    }

    /// Writes the variants of `nameTextVariants(lines)` into `out[0..<count]` and returns `count`. The all-space text,
    /// first, is written into `out[0]`'s arrays (their storage kept from the earlier field); the other variants, rare,
    /// replace the elements they land on. Elements past `count` are stale. The all-space text is written directly (each
    /// line normalized into it), and the join decisions read its lines in place.
    func writeNameTextVariants(_ lines: [String], scratch: inout JoinScratch, into out: inout [TextVariant]) -> Int {
        // Swapped out of `scratch` so that each is uniquely referenced and grows in place, and back at the end.
        // (By a static function: a local one capturing them would make every closure's access to them checked
        // for exclusivity at run time.)
        var lineEnds = [Int](), folded = [UInt8](), keys = [UInt64](), word = [UInt8](), carried = [UInt8](), joinAfter = [Bool]()
        var known = KnownTokenMemo(capacity: 0)
        JoinScratch.exchange(&scratch, &lineEnds, &folded, &keys, &word, &carried, &joinAfter)
        swap(&known, &scratch.known)
        defer {
            JoinScratch.exchange(&scratch, &lineEnds, &folded, &keys, &word, &carried, &joinAfter)
            swap(&known, &scratch.known)
        }

        lineEnds.removeAll(keepingCapacity: true)

        // The all-space text: line k is first.bytes[lineStart(k)..<lineEnds[k]] (empty lines take no space).
        // Out of `out[0]` while it is written (so that it is uniquely referenced), back in at the end.
        var first = TextVariant(bytes: [], lineOf: [])
        if out.isEmpty { out.append(first) }
        swap(&first, &out[0])
        first.bytes.removeAll(keepingCapacity: true)
        first.lineOf.removeAll(keepingCapacity: true)
        // Room for the usual case (normalizing rarely lengthens text), so that the arrays do not grow step by step.
        var written = lines.count
        for line in lines { written += line.utf8.count }
        first.bytes.reserveCapacity(written)
        first.lineOf.reserveCapacity(written / 2 + 1)
        var inWordPunctuation = false
        for (k, line) in lines.enumerated() {
            let before = first.bytes.count
            if Normalizer.appendNormalizedSeparate(line, to: &first.bytes) { inWordPunctuation = true }
            lineEnds.append(first.bytes.count)
            if first.bytes.count == before { continue }
            var tokens = 1
            for b in first.bytes[(before == 0 ? 0 : before + 1)...] where b == 0x20 { tokens += 1 }
            first.lineOf.append(contentsOf: repeatElement(Int32(k), count: tokens))
        }
        func line(_ k: Int) -> ArraySlice<UInt8> {
            let previous = k == 0 ? 0 : lineEnds[k - 1], end = lineEnds[k]
            return end == previous ? first.bytes[end..<end] : first.bytes[(previous == 0 ? 0 : previous + 1)..<end]
        }

        joinAfter.removeAll(keepingCapacity: true)
        joinAfter.append(contentsOf: repeatElement(false, count: max(0, lines.count - 1)))
        var ambiguous = [Int]()
        if configuration.joinLinesWithoutSpace && lines.count > 1 {
            // Left to right, so that a line that is one word joined to the previous line carries the
            // joined word into the next decision (`SARUR, MU` / `HAMMAD` / `UL. DLUGA 43`: MUHAMMAD, then
            // MUHAMMADUL is no word, so the address stays apart).
            var leftIsCarried = false
            for i in 0..<(lines.count - 1) {
                let fromCarried = leftIsCarried
                leftIsCarried = false
                let left = fromCarried ? carried[...] : line(i), right = line(i + 1)
                guard NameIndex.endsInWord(lines[i]), NameIndex.startsInWord(lines[i + 1]), !left.isEmpty, !right.isEmpty else { continue }
                let l = left.lastIndex(of: 0x20).map { left[($0 + 1)...] } ?? left
                let r = right.firstIndex(of: 0x20).map { right[..<$0] } ?? right
                word.removeAll(keepingCapacity: true)
                word.append(contentsOf: l)
                word.append(contentsOf: r)
                // A word within one typo of an alias token also counts, but only when neither piece is a
                // known token itself: with ~17,000 alias tokens, `HOLDING` + `UL` is one edit from some token.
                let leftKnown = l.withUnsafeBufferPointer { isKnownToken($0, fuzzy: false, scratch: &folded, keys: &keys, memo: &known) }
                let rightKnown = r.withUnsafeBufferPointer { isKnownToken($0, fuzzy: false, scratch: &folded, keys: &keys, memo: &known) }
                // One lookup of the word: exactly, and within one typo only when neither piece is known. A word
                // known exactly while a piece is known too is ambiguous: `GON` + `UL. ...` is `GONUL`: try both.
                let pieceKnown = leftKnown || rightKnown
                if word.withUnsafeBufferPointer({ isKnownToken($0, fuzzy: !pieceKnown, scratch: &folded, keys: &keys, memo: &known) }) {
                    joinAfter[i] = true
                    if pieceKnown { ambiguous.append(i) }
                }
                if joinAfter[i] && r.count == right.count {   // the next line was that word's end
                    swap(&carried, &word)
                    leftIsCarried = true
                }
            }
        }
        swap(&first, &out[0])
        var count = 1
        func add(_ segments: [String], modes: [Normalizer.Punctuation]) {
            for mode in modes {
                var v = TextVariant(bytes: [], lineOf: [])
                for (k, seg) in segments.enumerated() {
                    let bytes = Normalizer.normalizedBytes(seg, punctuation: mode)
                    if bytes.isEmpty { continue }
                    if !v.bytes.isEmpty { v.bytes.append(0x20) }
                    v.bytes.append(contentsOf: bytes)
                    var tokens = 1
                    for b in bytes where b == 0x20 { tokens += 1 }
                    v.lineOf.append(contentsOf: repeatElement(Int32(k), count: tokens))
                }
                if out[..<count].contains(v) { continue }
                if count < out.count { out[count] = v } else { out.append(v) }
                count += 1
            }
        }
        func add(_ segments: [String]) {
            let joins = segments.contains { Normalizer.normalizedBytesReportingJoins($0, punctuation: .separate).1 }
            add(segments, modes: joins ? [.separate, .join] : [.separate])
        }
        func segments(_ join: [Bool]) -> [String] {
            var segments = [lines[0]]
            for i in 1..<lines.count {
                if join[i - 1] { segments[segments.count - 1] += lines[i] } else { segments.append(lines[i]) }
            }
            return segments
        }
        if inWordPunctuation { add(lines, modes: [.join]) }
        if joinAfter.contains(true) {
            add(segments(joinAfter))
            // Where both pieces are words too, also the text with just that break kept (at most a few).
            for i in ambiguous.prefix(4) {
                var join = joinAfter
                join[i] = false
                if join.contains(true) { add(segments(join)) }
            }
        }
        return count
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

    /// `isKnownToken` on a buffer, answered from `memo` when it remembers the word (and remembered there otherwise).
    func isKnownToken(_ raw: UnsafeBufferPointer<UInt8>, fuzzy: Bool, scratch: inout [UInt8], keys: inout [UInt64],
                      memo: inout KnownTokenMemo) -> Bool {
        if let answer = memo.lookup(raw, fuzzy: fuzzy) { return answer }
        let answer = isKnownToken(raw, fuzzy: fuzzy, scratch: &scratch, keys: &keys)
        memo.remember(answer)
        return answer
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
                    if !found && tokenBytes.withToken(id, { $0.count >= minTypo && Similarity.withinOneEdit($0, folded) }) {
                        found = true
                    }
                }
            }
            deletionKeys(raw, into: &keys)
            for key in keys where !found {
                rawDeletions.forEach(key) { r in
                    if !found && rawTokenBytes.withToken(r, { Similarity.withinOneEdit($0, raw) }) { found = true }
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
            if !found && tokenBytes.withToken(id, { NameIndex.equal($0, f) }) { found = true }
        }
        return found
    }

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
        /// How many kept tokens the first line that has one holds (all of them without line information).
        var firstLineCount = 0
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
            // Swapped out of `buffers` so that each is uniquely referenced and grows in place.
            var display = [Int32](), folded = [UInt8](), scanned = [Int32](), kept = [Kept](), padded = [UInt8]()
            swap(&display, &buffers.display)
            swap(&folded, &buffers.folded)
            swap(&scanned, &buffers.scanned)
            swap(&kept, &buffers.kept)
            swap(&padded, &buffers.padded)
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
                                 isStopAsWritten: { matcher.isRawStopWord(UnsafeBufferPointer(rebasing: nb[Int(display[2 * $0])..<Int(display[2 * $0 + 1])])) },
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
                    let first = lineOf[Int(kept[0].original)]
                    firstLineCount = 1
                    while firstLineCount < n && lineOf[Int(kept[firstLineCount].original)] == first { firstLineCount += 1 }
                } else {
                    firstAlone = n == 1
                    firstLineCount = n
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
        /// Normalized tokens from...to (display indices), as text.
        func displayText(_ from: Int, _ to: Int) -> String {
            String(decoding: normalized[Int(display[2 * from])..<Int(display[2 * to + 1])], as: UTF8.self)
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
}
