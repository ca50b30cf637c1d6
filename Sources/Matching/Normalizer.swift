import Foundation  // NFKD for non-ASCII text only; ASCII input never reaches Foundation.

/// The one text normalization shared by patterns and searched text, so both sides meet in one form.
///
/// `normalize` gives upper-case ASCII tokens `[A-Z0-9]+` joined by single spaces: Unicode
/// compatibility decomposition (NFKD, which subsumes NFKC's folding of ligatures, full-width forms
/// and the like), upper-casing, diacritics removed, Cyrillic and Greek transliterated to Latin,
/// every run of punctuation or white space turned into one separator. It is idempotent.
///
/// Transliteration is one fixed scheme (close to BGN/PCGN). Tolerance to the other schemes
/// (ICAO, the SWIFT Russian table, German and French habits) comes from `fold`, which reduces a
/// token to a skeleton in which the common variants coincide (KH/H, TS/C, YU/IU/JU, YA/IA/JA,
/// Y/J/I, SHCH/SCH, E/YE, X/KS, W/V, doubled letters). Matching compares folded tokens; the
/// readable normalized form is what is shown to people.
public enum Normalizer {
    /// How punctuation inside a word is treated.
    public enum Punctuation: Sendable, CaseIterable {
        /// Every punctuation run is a separator: `ALFA-BANK` -> `ALFA BANK`, `J.S.C.` -> `J S C`.
        case separate
        /// Punctuation directly between two letters or digits is removed: `ALFA-BANK` -> `ALFABANK`,
        /// `J.S.C.` -> `JSC`, `O'BRIEN` -> `OBRIEN`. Elsewhere it is a separator.
        case join
    }

    /// Canonical readable form: upper-case ASCII tokens joined by single spaces (punctuation separates).
    public static func normalize(_ text: String) -> String {
        String(decoding: normalizedBytes(text, punctuation: .separate), as: UTF8.self)
    }

    public static func normalize(_ text: String, punctuation: Punctuation) -> String {
        String(decoding: normalizedBytes(text, punctuation: punctuation), as: UTF8.self)
    }

    /// The tokens of `normalize(text)`.
    public static func tokens(_ text: String) -> [String] {
        normalizedBytes(text, punctuation: .separate).split(separator: 0x20).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The matching form: `normalize` followed by `fold` on every token.
    public static func matchForm(_ text: String, punctuation: Punctuation = .separate) -> String {
        let bytes = normalizedBytes(text, punctuation: punctuation)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        for tok in bytes.split(separator: 0x20) {
            if !out.isEmpty { out.append(0x20) }
            out.append(contentsOf: fold(tok))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Folds one normalized token (`[A-Z0-9]+`) to its variant-tolerant skeleton. Idempotent.
    public static func fold(_ token: String) -> String {
        String(decoding: fold(Array(token.utf8)), as: UTF8.self)
    }

    // MARK: - Byte-level implementation

    /// Normalized text as ASCII bytes.
    public static func normalizedBytes(_ text: String, punctuation: Punctuation = .separate) -> [UInt8] {
        normalizedBytesReportingJoins(text, punctuation: punctuation).0
    }

    /// Normalized bytes, and whether some punctuation sat directly between two letters or digits
    /// (that is, whether `.join` would give a different result).
    static func normalizedBytesReportingJoins(_ text: String, punctuation: Punctuation) -> ([UInt8], Bool) {
        if let fast = text.utf8.withContiguousStorageIfAvailable({ asciiFastPath($0, join: punctuation == .join) }), let done = fast {
            return done
        }
        var out = Emitter(join: punctuation == .join)
        out.bytes.reserveCapacity(text.utf8.count)
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            for b in text.utf8 { out.ascii(b) }
            return (out.bytes, out.inWordPunctuation)
        }
        // Upper-case first (ß -> SS, Turkish ı -> I), then compatibility-decompose so that accents
        // become separate combining marks and compatibility characters become plain ones.
        let decomposed = text.uppercased().decomposedStringWithCompatibilityMapping
        var scalars = decomposed.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let u = pending {
            pending = scalars.next()
            let v = u.value
            if v < 0x80 { out.ascii(UInt8(v)); continue }
            // Й and Ў decompose to И/У + breve; keep the distinction Й -> Y.
            if (v == 0x0418 || v == 0x0438), let nx = pending, nx.value == 0x0306 {
                out.letters("Y")
                pending = scalars.next()
                continue
            }
            if let t = cyrillic(v) { out.letters(t); continue }
            if let t = greek(v) { out.letters(t); continue }
            if let t = otherLatin(v) { out.letters(t); continue }
            let props = u.properties
            switch props.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark, .format:
                continue  // diacritics and invisible format characters vanish without separating
            case .decimalNumber:
                if let d = props.numericValue, d >= 0, d <= 9 { out.alnum(UInt8(0x30 + Int(d))) } else { out.separator() }
            default:
                if props.isWhitespace { out.separator() } else if props.isAlphabetic || props.numericType != nil {
                    out.separator()  // a letter of a script we do not transliterate: a token boundary
                } else {
                    out.punctuation()
                }
            }
        }
        return (out.bytes, out.inWordPunctuation)
    }

    /// The same rules as `Emitter` for pure-ASCII input, in one tight loop over the bytes; nil if
    /// the input is not ASCII. Output never outgrows input: a separator is only written in place of
    /// at least one consumed separator or punctuation byte.
    static func asciiFastPath(_ input: UnsafeBufferPointer<UInt8>, join: Bool) -> ([UInt8], Bool)? {
        var inWordPunctuation: Bool? = false
        let out = [UInt8](unsafeUninitializedCapacity: input.count) { buf, count in
            inWordPunctuation = asciiNormalize(input, join: join, into: buf, count: &count)
        }
        return inWordPunctuation.map { (out, $0) }
    }

    /// The loop of `asciiFastPath`, writing into `buf` (at least `input.count` bytes): whether some punctuation
    /// sat between two letters or digits, or nil (and `count` 0) if the input is not ASCII.
    @inline(__always)
    static func asciiNormalize(_ input: UnsafeBufferPointer<UInt8>, join: Bool, into buf: UnsafeMutableBufferPointer<UInt8>,
                               count: inout Int) -> Bool? {
        var inWordPunctuation = false
        var w = 0
        var pendingSpace = false, pendingPunct = false
        for b in input {
            var c = b
            switch b {
            case 0x30...0x39, 0x41...0x5A: break
            case 0x61...0x7A: c = b &- 0x20
            case 0x09...0x0D, 0x20: pendingSpace = true; continue
            case 0x80...0xFF: count = 0; return nil
            default:
                if b < 0x20 || b == 0x7F { pendingSpace = true } else { pendingPunct = true }
                continue
            }
            if w > 0 {
                if pendingPunct && !pendingSpace { inWordPunctuation = true }
                if pendingSpace || (pendingPunct && !join) { buf[w] = 0x20; w &+= 1 }
            }
            pendingSpace = false
            pendingPunct = false
            buf[w] = c
            w &+= 1
        }
        count = w
        return inWordPunctuation
    }

    /// `normalizedBytesReportingJoins(text, punctuation: .separate)` appended to `out`, preceded by a space if
    /// both `out` and the text's normalized bytes are non-empty; returns whether `.join` would differ. ASCII text
    /// is written in place (no array of its own).
    static func appendNormalizedSeparate(_ text: String, to out: inout [UInt8]) -> Bool {
        let fast = text.utf8.withContiguousStorageIfAvailable { input -> Bool? in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(input.count, 1)) { buf -> Bool? in
                var count = 0
                guard let joins = asciiNormalize(input, join: false, into: buf, count: &count) else { return nil }
                if count > 0 {
                    if !out.isEmpty { out.append(0x20) }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<count]))
                }
                return joins
            }
        }
        if let fast, let joins = fast { return joins }
        let (bytes, joins) = normalizedBytesReportingJoins(text, punctuation: .separate)
        if !bytes.isEmpty {
            if !out.isEmpty { out.append(0x20) }
            out.append(contentsOf: bytes)
        }
        return joins
    }

    struct Emitter {
        var bytes: [UInt8] = []
        let join: Bool
        var pendingSpace = false
        var pendingPunct = false
        var inWordPunctuation = false
        init(join: Bool) { self.join = join }

        @inline(__always) mutating func alnum(_ b: UInt8) {
            if pendingPunct && !pendingSpace && !bytes.isEmpty { inWordPunctuation = true }
            if !bytes.isEmpty && (pendingSpace || (pendingPunct && !join)) { bytes.append(0x20) }
            pendingSpace = false
            pendingPunct = false
            bytes.append(b)
        }
        @inline(__always) mutating func separator() { pendingSpace = true }
        @inline(__always) mutating func punctuation() { pendingPunct = true }
        @inline(__always) mutating func ascii(_ b: UInt8) {
            switch b {
            case 0x30...0x39, 0x41...0x5A: alnum(b)
            case 0x61...0x7A: alnum(b &- 0x20)
            case 0x09...0x0D, 0x20: separator()
            default:
                if b < 0x20 || b == 0x7F { separator() } else { punctuation() }
            }
        }
        mutating func letters(_ s: StaticString) {
            if s.utf8CodeUnitCount == 0 { return }
            s.withUTF8Buffer { for b in $0 { alnum(b) } }
        }
    }

    /// Cyrillic (upper case after `uppercased()`; lower case kept for safety). nil if not Cyrillic.
    static func cyrillic(_ v: UInt32) -> StaticString? {
        guard v >= 0x0400 && v <= 0x04FF else { return nil }
        var u = v
        if u >= 0x0430 && u <= 0x044F { u -= 0x20 }          // а..я -> А..Я
        if u >= 0x0450 && u <= 0x045F { u -= 0x50 }          // ѐ..џ -> Ѐ..Џ
        if u >= 0x0460 && u <= 0x04FF && u & 1 == 1 { u -= 1 } // pairs: lower = upper + 1
        switch u {
        case 0x0410: return "A"
        case 0x0411: return "B"
        case 0x0412: return "V"
        case 0x0413: return "G"
        case 0x0414: return "D"
        case 0x0415, 0x0400, 0x0401: return "E"
        case 0x0416: return "ZH"
        case 0x0417: return "Z"
        case 0x0418, 0x040D: return "I"
        case 0x0419: return "Y"
        case 0x041A: return "K"
        case 0x041B: return "L"
        case 0x041C: return "M"
        case 0x041D: return "N"
        case 0x041E: return "O"
        case 0x041F: return "P"
        case 0x0420: return "R"
        case 0x0421: return "S"
        case 0x0422: return "T"
        case 0x0423, 0x040E: return "U"
        case 0x0424: return "F"
        case 0x0425: return "KH"
        case 0x0426: return "TS"
        case 0x0427: return "CH"
        case 0x0428: return "SH"
        case 0x0429: return "SHCH"
        case 0x042A, 0x042C: return ""   // hard and soft signs vanish
        case 0x042B: return "Y"
        case 0x042D: return "E"
        case 0x042E: return "YU"
        case 0x042F: return "YA"
        case 0x0404: return "YE"   // Ukrainian Є
        case 0x0406: return "I"    // Ukrainian/Belarusian/Kazakh І
        case 0x0407: return "YI"   // Ї
        case 0x0402: return "DJ"
        case 0x0403: return "GJ"
        case 0x0405: return "DZ"
        case 0x0408: return "J"
        case 0x0409: return "LJ"
        case 0x040A: return "NJ"
        case 0x040B: return "C"
        case 0x040C: return "KJ"
        case 0x040F: return "DZ"
        case 0x0490, 0x0492: return "G"  // Ґ, Ғ
        case 0x049A: return "K"   // Қ
        case 0x04A2: return "N"   // Ң
        case 0x04AE, 0x04B0: return "U"  // Ү, Ұ
        case 0x04BA: return "H"   // Һ
        case 0x04D8: return "A"   // Ә
        case 0x04E8: return "O"   // Ө
        case 0x0496: return "ZH"
        case 0x04B2: return "KH"
        case 0x04B6: return "CH"
        case 0x04E2: return "I"
        case 0x04EE: return "U"
        default: return ""        // other Cyrillic: vanish rather than split a word
        }
    }

    /// Greek, modern (ELOT 743-like). Accents were removed by the decomposition.
    static func greek(_ v: UInt32) -> StaticString? {
        guard v >= 0x0370 && v <= 0x03FF else { return nil }
        var u = v
        if u >= 0x03B1 && u <= 0x03C9 { u -= 0x20 }
        switch u {
        case 0x0391: return "A"
        case 0x0392: return "V"
        case 0x0393: return "G"
        case 0x0394: return "D"
        case 0x0395: return "E"
        case 0x0396: return "Z"
        case 0x0397: return "I"
        case 0x0398: return "TH"
        case 0x0399: return "I"
        case 0x039A: return "K"
        case 0x039B: return "L"
        case 0x039C: return "M"
        case 0x039D: return "N"
        case 0x039E: return "X"
        case 0x039F: return "O"
        case 0x03A0: return "P"
        case 0x03A1: return "R"
        case 0x03A3, 0x03A2: return "S"   // includes final sigma (0x03C2 - 0x20)
        case 0x03A4: return "T"
        case 0x03A5: return "Y"
        case 0x03A6: return "F"
        case 0x03A7: return "CH"
        case 0x03A8: return "PS"
        case 0x03A9: return "O"
        default: return nil
        }
    }

    /// Latin letters that carry no canonical decomposition.
    static func otherLatin(_ v: UInt32) -> StaticString? {
        switch v {
        case 0x00C6, 0x00E6: return "AE"
        case 0x00D8, 0x00F8: return "O"
        case 0x0152, 0x0153: return "OE"
        case 0x00D0, 0x00F0, 0x0110, 0x0111: return "D"
        case 0x00DE, 0x00FE: return "TH"
        case 0x0141, 0x0142: return "L"
        case 0x0126, 0x0127: return "H"
        case 0x0131: return "I"
        case 0x014A, 0x014B: return "N"
        case 0x0166, 0x0167: return "T"
        case 0x018F, 0x0259: return "E"   // Azerbaijani schwa
        case 0x1E9E, 0x00DF: return "SS"
        case 0x0138: return "K"
        case 0x2019, 0x02BC, 0x02B9: return ""  // typographic apostrophe, modifier letters: vanish
        default: return nil
        }
    }

    /// Variant-tolerant skeleton of one token. Rules, applied until nothing changes:
    /// X->KS, W->V, Q->K, J->I, Y->I; SHCH->SCH, TSCH->CH, TCH->CH, KH->H, TS->C, TZ->C, PH->F;
    /// doubled letters collapsed; IE->E. Digits are left alone (and never collapsed).
    /// Then a romanisation of a name of `NameTables.equivalenceGroups` (`MOHAMMED`, `HOSSEIN`, `PETR`) becomes
    /// its group's canonical form (`MUHAMAD`, `HUSEIN`, `PIOTR`, folded).
    public static func fold(_ token: some Collection<UInt8>) -> [UInt8] {
        let s = foldLetters(token)
        return s.withUnsafeBufferPointer { NameTables.equivalences.canonical($0) } ?? s
    }

    /// The letter rules of `fold` without the name equivalences (`NameTables.equivalenceGroups`), which are
    /// keyed on this form.
    static func foldLetters(_ token: some Collection<UInt8>) -> [UInt8] {
        var s = [UInt8](unsafeUninitializedCapacity: 2 * token.count) { buf, count in
            var w = 0
            for b in token {
                switch b {
                case 0x58: buf[w] = 0x4B; buf[w + 1] = 0x53; w += 2   // X -> KS
                case 0x57: buf[w] = 0x56; w += 1                      // W -> V
                case 0x51: buf[w] = 0x4B; w += 1                      // Q -> K
                case 0x4A, 0x59: buf[w] = 0x49; w += 1                // J, Y -> I
                default: buf[w] = b; w += 1
                }
            }
            count = w
        }
        while foldPass(&s) {}
        return s
    }

    /// `fold(token)` appended to `out` (no intermediate array): the flat text preparation of name search.
    static func foldAppend(_ token: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        let base = out.count
        // Most tokens have none of the letters the first rules replace: those are copied whole (one append
        // instead of one per byte, a tenth of the name search's folding).
        // Those tokens also skip the length-reducing pass when nothing in them can start one of its rules
        // (`mayShorten`): then the pass would copy every byte to where it is.
        var replaced = false
        var shortens = false
        var previous: UInt8 = 0
        for b in token {
            let d = b &- 0x40
            if d < 64 && (Self.replacedLetters >> UInt64(d)) & 1 != 0 { replaced = true; break }
            if !shortens && Self.mayShorten(previous, b) { shortens = true }
            previous = b
        }
        if !replaced {
            out.append(contentsOf: token)
        } else {
            for b in token {
                switch b {
                case 0x58: out.append(0x4B); out.append(0x53)   // X -> KS
                case 0x57: out.append(0x56)                     // W -> V
                case 0x51: out.append(0x4B)                     // Q -> K
                case 0x4A, 0x59: out.append(0x49)               // J, Y -> I
                default: out.append(b)
                }
            }
        }
        var end = out.count
        while replaced || shortens {
            let w = out.withUnsafeMutableBufferPointer { foldPass(UnsafeMutableBufferPointer(rebasing: $0[base..<end])) }
            if w == end - base { break }
            out.removeLast(end - base - w)
            end = base + w
        }
        // A romanisation of a name in `NameTables.equivalenceGroups` becomes the group's canonical form.
        if let c = out.withUnsafeBufferPointer({ NameTables.equivalences.canonical(UnsafeBufferPointer(rebasing: $0[base..<end])) }) {
            out.removeLast(end - base)
            out.append(contentsOf: c)
        }
    }

    /// Whether `foldPass` could change text where byte `b` follows byte `previous`: every rule but the doubled
    /// letter ends in H (SHCH, TSCH, TCH, KH, PH) or starts with TS, TZ or IE, so text in which no byte is an H,
    /// no two neighbours are TS, TZ, IE or the same letter, is left as it is.
    @inline(__always) static func mayShorten(_ previous: UInt8, _ b: UInt8) -> Bool {
        let H: UInt8 = 0x48, T: UInt8 = 0x54, I: UInt8 = 0x49
        return b == H || (previous == b && b &- 0x41 < 26)
            || (previous == T && (b == 0x53 || b == 0x5A)) || (previous == I && b == 0x45)
    }

    /// X, W, Q, J and Y, as bits `b - 0x40`: the letters `foldAppend`'s first rules replace.
    static let replacedLetters: UInt64 = 1 << 0x18 | 1 << 0x17 | 1 << 0x11 | 1 << 0x0A | 1 << 0x19

    /// One in-place pass of the length-reducing rules; true if any rule applied (the array shrank).
    /// Every rule writes no more bytes than it reads, so the write index never passes the read index.
    private static func foldPass(_ s: inout [UInt8]) -> Bool {
        let n = s.count
        let w = s.withUnsafeMutableBufferPointer { foldPass($0) }
        if w == n { return false }
        s.removeLast(n - w)
        return true
    }

    /// `foldPass` on a buffer: returns the new length (the buffer's length if no rule applied).
    private static func foldPass(_ buf: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let A: UInt8 = 0x41
        let C = A + 2, E = A + 4, F = A + 5, H = A + 7, I = A + 8, K = A + 10, P = A + 15, S = A + 18, T = A + 19, Z = A + 25
        let n = buf.count
        do {
            var i = 0, w = 0
            @inline(__always) func at(_ j: Int) -> UInt8 { j < n ? buf[j] : 0 }
            while i < n {
                let b = buf[i]
                if b == S && at(i + 1) == H && at(i + 2) == C && at(i + 3) == H {
                    buf[w] = S; buf[w + 1] = C; buf[w + 2] = H; w += 3; i += 4; continue
                }
                if b == T && at(i + 1) == S && at(i + 2) == C && at(i + 3) == H { buf[w] = C; buf[w + 1] = H; w += 2; i += 4; continue }
                if b == T && at(i + 1) == C && at(i + 2) == H { buf[w] = C; buf[w + 1] = H; w += 2; i += 3; continue }
                if b == K && at(i + 1) == H { buf[w] = H; w += 1; i += 2; continue }
                if b == T && (at(i + 1) == S || at(i + 1) == Z) { buf[w] = C; w += 1; i += 2; continue }
                if b == P && at(i + 1) == H { buf[w] = F; w += 1; i += 2; continue }
                if b == I && at(i + 1) == E { buf[w] = E; w += 1; i += 2; continue }
                if b >= A && b <= Z && w > 0 && buf[w - 1] == b { i += 1; continue }  // doubled letter
                buf[w] = b
                w += 1
                i += 1
            }
            return w
        }
    }
}
