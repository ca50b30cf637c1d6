/// A small suffix-stripping stemmer for end-use keywords and the text they are searched in (English, Turkish,
/// Russian in Latin transliteration), so that `ПОДШИПНИКОВ` meets `ПОДШИПНИКИ`, `RULMANLARI` meets `RULMAN` and
/// `CNC MACHINE` meets `CNC MACHINES`.
///
/// It works on normalized tokens (`Normalizer.normalize`: upper-case ASCII, Cyrillic transliterated), before
/// folding, and the caller folds the stem (`Normalizer.fold`). Not on folded tokens: folding rewrites across the
/// end of a stem (`COMPONENT`+`S` folds to `COMPONENCS`, `TS`→`C`; `KART`+`SI` to `KARCI`), so the stems of a word
/// and of its inflection would not meet. Russian endings are written once in BGN/PCGN style and expanded to the
/// other transliterations payment text uses (`Y` as `Y`, `I` or `J`; `KH` as `KH`, `X` or `H`).
///
/// Rules (the same on keywords and on text, so an inflected text token and the keyword meet on one stem):
/// - a token with a digit is never stemmed (codes, quantities, references);
/// - the longest suffix of the language's table whose removal leaves at least `minStemLength` letters is removed,
///   then again on what is left (Turkish stacks suffixes: `DEVRE+LER+IN`), at most `maxSteps` times;
/// - a stem whose folded form would be shorter than `minStemLength` (`RATSII` → `RATS` folds to `RAC`) is not
///   taken: the last step that keeps four folded letters is (`Stemmer.stemLength(_:language:folded:)`);
/// - the stem is a prefix of the token.
///
/// Known limits: no lexicon, so a word whose last letter and an ending together look like another ending is cut
/// differently from the bare word (Turkish `GORUS`+`U` reads as `GORU`+`SU`; Russian stems that end in `EM`, `OV`
/// lose them: `MIKROSKHEM` → `MIKROSKH`, on both sides alike); stem changes inside a word are not undone
/// (`STANOK`/`STANKI`, English `-IES` against `-Y` after folding `IE`→`E`).
public struct Stemmer: Sendable {
    /// The languages that have a table; keywords of any other language match as written.
    public enum Language: String, Sendable, CaseIterable {
        case en, tr, ru
    }

    /// No stem is shorter than this, written or folded: a 3-letter stem makes unrelated words meet.
    public static let minStemLength = 4
    public static let maxSteps = 4

    /// The suffix tables, as data.
    public static let tables: [Language: [String]] = [
        // English: plural and the final silent E, so MACHINE / MACHINES meet (MACHIN), PROCESSORS / PROCESSOR,
        // AMPLIFIER / AMPLIFIERS. Nothing else: -ING, -ED, -ER make different goods words (BEARING, MILLING).
        .en: ["S", "E"],
        // Turkish as SWIFT text writes it (ASCII: Ç→C, Ş→S, Ğ→G, ı/İ→I, Ö→O, Ü→U): plural, accusative and
        // possessive, genitive, dative, locative, ablative, with the buffer consonants s and y. Stacked suffixes
        // are peeled one at a time: RULMANLARI → RULMANLAR → RULMAN; DEVRELERIN → DEVRELER → DEVRE → DEVR;
        // KARTLARINDAN → … → KART. Not listed, because they cut a stem's own last letter more often than they
        // find an ending: the n-buffer forms (-NIN, -NDA, -NA: RULMAN+IN would read RULMA+NIN) and the
        // instrumental -LA/-LE (MODUL+E would read MODU+LE).
        .tr: ["LAR", "LER", "I", "U", "SI", "SU", "IN", "UN", "A", "E", "YA", "YE",
              "DA", "DE", "TA", "TE", "DAN", "DEN", "TAN", "TEN"],
        // Russian noun and adjective case endings of both numbers, BGN/PCGN-style (ПОДШИПНИКОВ → PODSHIPNIKOV,
        // ПОДШИПНИКАМИ → PODSHIPNIKAMI, МИКРОСХЕМ, КАРТ ПАМЯТИ, СТАНКОВ С ЧПУ).
        .ru: ["A", "Y", "I", "E", "U", "O", "YA", "YU",
              "OV", "EV", "EY", "OY", "OM", "EM", "AM", "YAM", "AMI", "YAMI", "AKH", "YAKH",
              "IY", "IE", "IYA", "IYU", "II", "IEY", "IEM",
              "YE", "YKH", "IKH", "YM", "IM", "YMI", "IMI",
              "OGO", "EGO", "OMU", "EMU", "AYA", "YAYA", "OE", "OYE", "EE", "YY", "UYU", "YUYU", "OYU", "EYU"],
    ]

    /// A table's entries with their other transliterations (Russian: `Y` → `Y, I, J`; `KH` → `KH, X, H`).
    public static func expanded(_ language: Language) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        for s in tables[language] ?? [] {
            var forms = [""]
            var rest = Substring(s)
            while let c = rest.first {
                let options: [String]
                if language == .ru && rest.hasPrefix("KH") {
                    options = ["KH", "X", "H"]; rest = rest.dropFirst(2)
                } else if language == .ru && c == "Y" {
                    options = ["Y", "I", "J"]; rest = rest.dropFirst()
                } else {
                    options = [String(c)]; rest = rest.dropFirst()
                }
                forms = forms.flatMap { f in options.map { f + $0 } }
            }
            for f in forms where seen.insert(f).inserted { out.append(f) }
        }
        return out
    }

    /// Suffixes by language and last byte (index `language * 256 + byte`), longest first.
    let byLastByte: [[[UInt8]]]

    public static let shared = Stemmer()

    init() {
        var rows = [[[UInt8]]]()
        for lang in Language.allCases {
            var byLast = [[[UInt8]]](repeating: [], count: 256)
            for s in Self.expanded(lang) {
                let bytes = Array(s.utf8)
                byLast[Int(bytes.last!)].append(bytes)
            }
            for i in byLast.indices { byLast[i].sort { $0.count > $1.count } }
            rows.append(contentsOf: byLast)
        }
        byLastByte = rows
    }

    /// The stem length of a normalized token (its stem is `token[..<n]`) after at most `steps` removals, and the
    /// number of removals made.
    @inline(__always)
    public func stemLength(_ token: UnsafeBufferPointer<UInt8>, language: Language, steps maxSteps: Int = Stemmer.maxSteps) -> (length: Int, steps: Int) {
        var n = token.count
        guard n > Self.minStemLength else { return (n, 0) }
        for b in token where b < 0x41 { return (n, 0) }   // a digit: never stemmed
        let base = language == .en ? 0 : language == .tr ? 256 : 512
        var steps = 0
        outer: while steps < maxSteps, n > Self.minStemLength {
            for s in byLastByte[base + Int(token[n - 1])] where n - s.count >= Self.minStemLength {
                var k = 1
                while k < s.count, token[n - 1 - k] == s[s.count - 1 - k] { k += 1 }
                if k == s.count { n -= s.count; steps += 1; continue outer }
            }
            break
        }
        return (n, steps)
    }

    /// The folded stem of a normalized token, appended to `out` (and its folded length returned): the stem of
    /// `stemLength`, or of fewer steps if folding would leave fewer than `minStemLength` letters.
    @discardableResult
    public func appendFoldedStem(_ token: UnsafeBufferPointer<UInt8>, language: Language, to out: inout [UInt8]) -> Int {
        appendFoldedStem(token, language: language, stem: stemLength(token, language: language), to: &out)
    }

    /// `appendFoldedStem` with the token's `stemLength` already known.
    @discardableResult
    func appendFoldedStem(_ token: UnsafeBufferPointer<UInt8>, language: Language, stem: (length: Int, steps: Int),
                          to out: inout [UInt8]) -> Int {
        var (n, steps) = stem
        let base = out.count
        while true {
            Normalizer.foldAppend(UnsafeBufferPointer(rebasing: token[..<n]), to: &out)
            if out.count - base >= Self.minStemLength || steps == 0 { return out.count - base }
            out.removeLast(out.count - base)
            steps -= 1
            n = stemLength(token, language: language, steps: steps).length
        }
    }

    /// The folded stem of a normalized token.
    public func foldedStem<C: Collection<UInt8>>(_ token: C, language: Language) -> [UInt8] {
        var out: [UInt8] = []
        Array(token).withUnsafeBufferPointer { _ = appendFoldedStem($0, language: language, to: &out) }
        return out
    }

    /// The folded stem of a word (normalized first; for tests and tools).
    public func stem(word: String, language: Language) -> String {
        String(decoding: foldedStem(Normalizer.normalizedBytes(word), language: language), as: UTF8.self)
    }
}
