/// Legal forms of companies, stop words and generic words, as used by name matching.
///
/// Legal forms are recognized on folded tokens (see `Normalizer.fold`), so every transliteration of
/// OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU meets in one form. Name matching removes them from
/// both the alias and the searched text: a name then matches whichever legal form is written, in
/// front or at the back, and a legal form on its own can never be a hit.
public enum LegalForms {
    /// Canonical code and the ways it is written (normalized, before folding).
    public static let table: [(canonical: String, variants: [String])] = [
        ("LLC", [
            "LLC", "L L C", "OOO", "O O O", "LIMITED LIABILITY COMPANY", "LIMITED LIABILITY CO",
            "OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU", "OBSHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU",
            "TOV", "TOVARYSTVO Z OBMEZHENOYU VIDPOVIDALNISTYU", "TOO", "ODO", "FZ LLC", "FZLLC", "SRL", "SARL",
            "SOCIETE A RESPONSABILITE LIMITEE", "SOCIEDAD LIMITADA", "SL", "DOO", "OOD", "EOOD", "SRO", "SPOLKA Z OO", "SP Z O O",
        ]),
        ("JSC", [
            "JSC", "J S C", "AO", "A O", "ZAO", "Z A O", "OAO", "O A O", "PAO", "P A O", "NAO", "PJSC", "P J S C",
            "OJSC", "O J S C", "CJSC", "C J S C", "JOINT STOCK COMPANY", "JOINT STOCK CO", "JOINTSTOCK COMPANY",
            "PUBLIC JOINT STOCK COMPANY", "OPEN JOINT STOCK COMPANY", "CLOSED JOINT STOCK COMPANY",
            "NON PUBLIC JOINT STOCK COMPANY", "PUBLIC JOINT STOCK CO", "OPEN JOINT STOCK CO", "CLOSED JOINT STOCK CO",
            "JOINT STOCK COMMERCIAL", "AKTSIONERNOE OBSHCHESTVO", "AKTSIONERNOYE OBSHCHESTVO",
            "PUBLICHNOE AKTSIONERNOE OBSHCHESTVO", "OTKRYTOE AKTSIONERNOE OBSHCHESTVO",
            "ZAKRYTOE AKTSIONERNOE OBSHCHESTVO", "NEPUBLICHNOE AKTSIONERNOE OBSHCHESTVO",
            "PAT", "PRAT", "AT", "AD", "EAD", "AB", "AS", "ASA", "SA", "S A", "SAS", "SPA", "S P A", "AG", "NV", "PLC", "PUBLIC LIMITED COMPANY",
            "SOCIETE ANONYME", "SOCIEDAD ANONIMA", "SOCIETA PER AZIONI", "AKTIENGESELLSCHAFT", "AKCIONARNO DRUSTVO",
            "OY", "OYJ", "ZRT", "NYRT", "KFT", "SE",
        ]),
        ("GMBH", ["GMBH", "G M B H", "MBH", "GESELLSCHAFT MIT BESCHRANKTER HAFTUNG", "GESELLSCHAFT MBH", "KG", "GMBH CO KG", "BV", "B V"]),
        ("LTD", [
            "LTD", "L T D", "LIMITED", "CO LTD", "COMPANY LIMITED", "PRIVATE LIMITED", "PRIVATE LIMITED COMPANY",
            "PTE", "PTE LTD", "PVT", "PVT LTD", "PTY", "PTY LTD", "SDN BHD", "BHD", "SENDIRIAN BERHAD",
            "LLP", "LP", "LIMITED LIABILITY PARTNERSHIP", "LIMITED PARTNERSHIP",
        ]),
        ("INC", ["INC", "INCORPORATED", "CORP", "CORPORATION", "CO", "COMPANY", "FZE", "FZCO", "FZC", "FREE ZONE ESTABLISHMENT"]),
        ("STATE", [
            "FGUP", "GUP", "MUP", "FEDERALNOE GOSUDARSTVENNOE UNITARNOE PREDPRIYATIE", "FEDERAL STATE UNITARY ENTERPRISE",
            "STATE UNITARY ENTERPRISE", "GOSUDARSTVENNAYA KORPORATSIYA", "STATE CORPORATION", "ANO",
        ]),
    ]

    /// Families of legal forms for *anchored* matching (see `NameIndex`): a short name such as
    /// `KOTI CORP` or `JSC VAD` is found only next to a legal form of the same family. A family is
    /// narrower than a canonical code where the code lumps together forms of different countries
    /// (`SA` and `AG` are not the Russian joint-stock company); a form not listed here is in the family
    /// named by its canonical code. The Russian and Ukrainian joint-stock forms (JSC, AO, ZAO, OAO, PAO,
    /// PJSC, OJSC, CJSC, spelled out or transliterated) are one family: companies move between them
    /// and payment text writes them loosely.
    public static let familyOverrides: [(family: String, variants: [String])] = [
        ("SARL", ["SRL", "SARL", "SOCIETE A RESPONSABILITE LIMITEE"]),
        ("SL", ["SL", "SOCIEDAD LIMITADA"]),
        ("DOO", ["DOO", "OOD", "EOOD"]),
        ("SRO", ["SRO"]),
        ("SPZOO", ["SPOLKA Z OO", "SP Z O O"]),
        ("AD", ["AD", "EAD", "AKCIONARNO DRUSTVO"]),
        ("AB", ["AB"]),
        ("AS", ["AS", "ASA"]),
        ("SA", ["SA", "S A", "SOCIETE ANONYME", "SOCIEDAD ANONIMA"]),
        ("SAS", ["SAS"]),
        ("SPA", ["SPA", "S P A", "SOCIETA PER AZIONI"]),
        ("AG", ["AG", "AKTIENGESELLSCHAFT"]),
        ("NV", ["NV"]),
        ("PLC", ["PLC", "PUBLIC LIMITED COMPANY"]),
        ("OY", ["OY", "OYJ"]),
        ("ZRT", ["ZRT", "NYRT"]),
        ("KFT", ["KFT"]),
        ("SE", ["SE"]),
        ("KG", ["KG"]),
        ("BV", ["BV", "B V"]),
        ("BHD", ["SDN BHD", "BHD", "SENDIRIAN BERHAD"]),
        ("LP", ["LLP", "LP", "LIMITED LIABILITY PARTNERSHIP", "LIMITED PARTNERSHIP"]),
        ("CO", ["CO", "COMPANY"]),
        ("FZE", ["FZE", "FZCO", "FZC", "FREE ZONE ESTABLISHMENT"]),
    ]

    /// Words that never distinguish a name: removed from aliases and text like legal forms.
    public static let stopWords: [String] = [
        "OF", "THE", "AND", "FOR", "DE", "DU", "DES", "DEL", "DELLA", "LA", "LE", "LES", "VON", "VAN", "DER", "DEN", "ET", "UND",
    ]

    /// Words too common to identify anything on their own: a single-token alias made of one of these
    /// is not indexed (it still counts as a token of a longer alias, which then needs all its tokens).
    public static let genericWords: [String] = [
        "BANK", "BANKA", "BANCO", "BANQUE", "TRADING", "TRADE", "TRADERS", "GROUP", "HOLDING", "HOLDINGS", "INTERNATIONAL",
        "INDUSTRIES", "INDUSTRIAL", "INDUSTRY", "INVEST", "INVESTMENT", "INVESTMENTS", "CAPITAL", "FINANCE", "FINANCIAL",
        "SERVICE", "SERVICES", "ENERGY", "OIL", "GAS", "SHIPPING", "SHIP", "LOGISTICS", "EXPORT", "IMPORT", "TECHNOLOGY",
        "TECHNOLOGIES", "SYSTEMS", "SOLUTIONS", "ENGINEERING", "CONSTRUCTION", "MANAGEMENT", "PARTNERS", "ENTERPRISE",
        "ENTERPRISES", "GLOBAL", "GENERAL", "UNITED", "NATIONAL", "CENTRAL", "COMMERCIAL", "FACTORY", "PLANT", "ZAVOD",
        "MARINE", "MARITIME", "NAVIGATION", "AVIATION", "AIRLINES", "TRANSPORT", "ELECTRONICS", "ELECTRIC", "METAL",
        "STEEL", "CHEMICAL", "MINING", "DEVELOPMENT", "RESOURCES", "PETROLEUM", "INSURANCE", "FUND", "FOUNDATION",
        "INSTITUTE", "UNIVERSITY", "MINISTRY", "STATE", "FEDERAL", "CITY", "REPUBLIC", "CENTER", "CENTRE", "OFFICE",
        "BRANCH", "EXCHANGE", "MONEY", "PAYMENT", "PAYMENTS", "CREDIT", "SECURITIES", "LEASING", "CONSULTING", "SUPPLY",
        "PRODUCTS", "EQUIPMENT", "MACHINERY", "DEFENSE", "DEFENCE", "SECURITY", "RESEARCH", "PRODUCTION", "ASSOCIATION",
        "UNION", "AGENCY", "COMMITTEE", "COUNCIL", "NETWORK", "TRUST", "GOLD", "DIAMOND", "STREET", "ROAD", "AVENUE",
        "MOSCOW", "MOSKVA", "RUSSIA", "ROSSIYA", "ROSSII", "RUSSIAN", "FEDERATION", "FEDERATSIYA", "CHINA", "HONG", "KONG",
        "DUBAI", "EMIRATES", "IRAN", "SYRIA", "KOREA", "TURKEY", "ISTANBUL", "BELARUS", "MINSK", "LONDON", "CYPRUS",
        "LIMASSOL", "NICOSIA", "ARMENIA", "GEORGIA", "KAZAKHSTAN", "UZBEKISTAN", "SERBIA", "PETERSBURG", "SAINT",
        "ASIA", "EUROPE", "AFRICA", "MIDDLE", "EAST", "WEST", "NORTH", "SOUTH", "NEW", "STAR", "OCEAN", "SEA",
    ]

    /// Replaces every legal form in `text` by its canonical code, e.g.
    /// `OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU ROMASHKA` -> `LLC ROMASHKA`. Other tokens are
    /// returned normalized (not folded).
    public static func canonicalize(_ text: String) -> String {
        let tokens = Normalizer.tokens(text)
        let folded = tokens.map { Normalizer.fold(Array($0.utf8)) }
        var out = [String]()
        var i = 0
        while i < tokens.count {
            if let (len, code) = matcher.legalForm(folded, at: i) {
                out.append(matcher.codes[code])
                i += len
            } else {
                out.append(tokens[i])
                i += 1
            }
        }
        return out.joined(separator: " ")
    }

    /// The distinctive tokens of `text`: normalized, without legal forms and stop words.
    public static func distinctiveTokens(_ text: String) -> [String] {
        let tokens = Normalizer.tokens(text)
        let folded = tokens.map { Normalizer.fold(Array($0.utf8)) }
        return matcher.keep(folded).map { tokens[$0] }
    }

    /// True if `text` consists of legal forms and stop words only (or nothing).
    public static func isOnlyLegalForm(_ text: String) -> Bool { distinctiveTokens(text).isEmpty }

    static let matcher = Matcher()

    /// Greedy longest-phrase recognizer over folded tokens.
    ///
    /// A final class of constants (Sendable: every stored property is an immutable `let` of a Sendable type):
    /// the search path hands it around per text, and a struct of nine collections cost nine retains and
    /// releases per copy.
    final class Matcher: Sendable {
        struct Entry: Sendable {
            /// Legal forms starting with this token, longest first: (folded tokens, code index, family index).
            var phrases: [([[UInt8]], Int, Int)] = []
            var isStop = false
        }
        /// One lookup per token answers both "does a legal form start here" and "is it a stop word".
        let entries: [[UInt8]: Entry]
        /// The same, as parallel arrays looked up by `selfKey` through `entryTable` (buffers, no hashing of arrays).
        let entryKeys: [[UInt8]]
        let entryList: [Entry]
        let entryTable: DeletionTable
        /// Prefilter: bit (first letter - 'A') of `mayBeEntry[length]` is set if some entry has that
        /// length and first letter. Most name tokens fail it and skip the dictionary's hashing.
        let mayBeEntry: [UInt32]
        let generic: Set<[UInt8]>
        let codes: [String]
        /// Family names (`families[i]` is bit i of a family mask).
        let families: [String]
        /// Stop words as written (normalized, not folded).
        let rawStopWords: Set<[UInt8]>
        /// The same, as a list: text preparation asks of a token buffer without making an array of it.
        let rawStopWordList: [[UInt8]]

        /// `rawStopWords.contains(Array(t))` without an array or a hash (the list is short).
        func isRawStopWord(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
            rawStopWordList.contains { $0.count == t.count && $0.elementsEqual(t) }
        }
        /// Every folded token that occurs in some legal form or is a stop word.
        let formTokens: Set<[UInt8]>
        /// The same, looked up by `selfKey` through `formTokenTable` (`isFormToken`, on buffers).
        let formTokenKeys: [[UInt8]]
        let formTokenTable: DeletionTable

        /// `formTokens.contains(t)` without hashing an array.
        func isFormToken(_ t: UnsafeBufferPointer<UInt8>) -> Bool {
            var found = false
            formTokenTable.forEach(selfKey(t)) { k in
                if !found && formTokenKeys[Int(k)].withUnsafeBufferPointer({ NameIndex.equal($0, t) }) { found = true }
            }
            return found
        }
        /// Legal-form words of at least 6 characters as written (normalized, not folded): a one-character
        /// typo in them is still recognized in text.
        let longFormTokens: [[UInt8]]
        /// The same, folded.
        let longFormFolded: [[UInt8]]

        /// The folded legal-form token that the normalized text token `raw` (folded: `folded`) is one typo
        /// away from (`COMPAY`, `LIABILTIY`, `CORPORUTION`, `LIITED`), if `raw` has at least 5 characters,
        /// letters only, and is neither a form token nor `known`. Compared unfolded (folding can turn one
        /// edit into two: `LIITED` folds to `LITED`) and folded. Name matching applies it to aliases and
        /// text alike: the lists themselves write `LIMTED`, `COMANY`, `OBSCHCHESTVO`.
        func correctedFormToken(_ raw: ArraySlice<UInt8>, folded: [UInt8], known: ([UInt8]) -> Bool = { _ in false }) -> [UInt8]? {
            guard raw.count >= 5, !raw.contains(where: { $0 < 0x41 }) else { return nil }
            // Candidates from the deletion neighbourhoods of the form words (complete for one edit: two strings
            // within one substitution, insertion, deletion or adjacent transposition share a deletion key), then
            // the first in list order that really is within one edit, as a scan of the lists in order would find.
            let rawFound = raw.withUnsafeBufferPointer { Matcher.firstWithinOneEdit($0, longFormTokens, longFormDeletions, longFormEnds) }
            let foldedFound = rawFound != nil ? nil
                : folded.withUnsafeBufferPointer { Matcher.firstWithinOneEdit($0, longFormFolded, longFormFoldedDeletions, longFormFoldedEnds) }
            guard rawFound != nil || foldedFound != nil, !formTokens.contains(folded), !known(folded) else { return nil }
            if let rawFound { return Normalizer.fold(longFormTokens[rawFound]) }
            // Folded too: `OBCSHESTVO` is two edits from `OBSHCHESTVO` but one from its folded `OBSCHESTVO`.
            return longFormFolded[foldedFound!]
        }

        /// `correctedFormToken` on buffers (no array unless a form word is within one edit).
        func correctedFormToken(_ raw: UnsafeBufferPointer<UInt8>, foldedBuffer folded: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
            // A form token itself first (a hash probe): text writes them far more often than typos of them, and each
            // is within one edit of itself.
            guard raw.count >= 5, !raw.contains(where: { $0 < 0x41 }), !isFormToken(folded) else { return nil }
            let rawFound = Matcher.firstWithinOneEdit(raw, longFormTokens, longFormDeletions, longFormEnds)
            let foldedFound = rawFound != nil ? nil : Matcher.firstWithinOneEdit(folded, longFormFolded, longFormFoldedDeletions, longFormFoldedEnds)
            guard rawFound != nil || foldedFound != nil else { return nil }
            if let rawFound { return Normalizer.fold(longFormTokens[rawFound]) }
            return longFormFolded[foldedFound!]
        }

        /// Index of the first of `words` within one edit of `r`, looked up through `table` (deletion keys of `words`)
        /// unless `ends` (of `words`) rules every word out first.
        static func firstWithinOneEdit(_ r: UnsafeBufferPointer<UInt8>, _ words: [[UInt8]], _ table: DeletionTable,
                                       _ ends: WordEnds) -> Int? {
            guard ends.mayBeWithinOneEdit(r) else { return nil }
            var best = Int.max
            forEachDeletionKey(r) { key in
                table.forEach(key) { i in
                    let k = Int(i)
                    if k < best && words[k].withUnsafeBufferPointer({ Similarity.withinOneEdit($0, r) }) { best = k }
                }
            }
            return best == Int.max ? nil : best
        }

        /// Deletion keys of `longFormTokens` / `longFormFolded` (value: index in that array).
        let longFormDeletions: DeletionTable
        let longFormFoldedDeletions: DeletionTable
        /// Their two first and two last bytes by length: most text tokens are ruled out by these before any deletion key.
        let longFormEnds: WordEnds
        let longFormFoldedEnds: WordEnds

        /// The first two and last two bytes of a list of words, by length: a cheap test that no word of the list is
        /// within one edit of a text token. One substitution, insertion, deletion or adjacent transposition at one of
        /// the first two positions leaves the last two bytes of a token of five or more where they were; elsewhere it
        /// leaves the first two. It changes the length by at most one. So a token of five bytes or more that shares
        /// neither its first two nor its last two bytes with a word of a neighbouring length is within one edit of none.
        struct WordEnds {
            /// One bit per (length, first or last two bytes), by a multiplicative hash: a clear bit proves no word has
            /// those ends; a set bit may be another key's (then the deletion keys decide, as without this test).
            private var bits = [UInt64](repeating: 0, count: 1 << 10)
            /// Words shorter than two bytes have no two ends: with one, every token passes.
            private var hasShort = false

            @inline(__always) private static func bit(_ length: Int, _ b0: UInt8, _ b1: UInt8, last: Bool) -> Int {
                let key = UInt32(last ? 1 : 0) << 30 | UInt32(truncatingIfNeeded: length & 0x3FFF) << 16 | UInt32(b0) << 8 | UInt32(b1)
                return Int((key &* 0x9E37_79B1) >> 16)
            }

            init(_ words: [[UInt8]]) {
                for w in words {
                    guard w.count >= 2 else { hasShort = true; continue }
                    for k in [Self.bit(w.count, w[0], w[1], last: false), Self.bit(w.count, w[w.count - 2], w[w.count - 1], last: true)] {
                        bits[k >> 6] |= 1 << UInt64(k & 63)
                    }
                }
            }

            /// False only when no word can be within one edit of `r`.
            func mayBeWithinOneEdit(_ r: UnsafeBufferPointer<UInt8>) -> Bool {
                let n = r.count
                if hasShort || n < 5 { return true }
                for length in (n - 1)...(n + 1) {
                    let f = Self.bit(length, r[0], r[1], last: false), l = Self.bit(length, r[n - 2], r[n - 1], last: true)
                    if bits[f >> 6] & (1 << UInt64(f & 63)) != 0 || bits[l >> 6] & (1 << UInt64(l & 63)) != 0 { return true }
                }
                return false
            }
        }

        static func deletionTable(_ words: [[UInt8]]) -> DeletionTable {
            var keys = [UInt64](), values = [Int32](), scratch = [UInt64]()
            for (i, w) in words.enumerated() {
                deletionKeys(w, into: &scratch)
                keys += scratch
                values += repeatElement(Int32(i), count: scratch.count)
            }
            return DeletionTable(keys: keys, values: values)
        }

        init() {
            var entries = [[UInt8]: Entry]()
            var codes = [String]()
            var families = [String]()
            var familyOf = [String: Int]()
            for (family, variants) in LegalForms.familyOverrides {
                families.append(family)
                for v in variants { familyOf[v] = families.count - 1 }
            }
            var formTokens = Set<[UInt8]>()
            for (code, variants) in LegalForms.table {
                codes.append(code)
                for v in variants {
                    let toks = Normalizer.normalizedBytes(v).split(separator: 0x20).map { Normalizer.fold($0) }
                    guard let first = toks.first else { continue }
                    formTokens.formUnion(toks)
                    let family: Int
                    if let f = familyOf[v] { family = f } else if let f = families.firstIndex(of: code) { family = f } else {
                        families.append(code)
                        family = families.count - 1
                    }
                    entries[first, default: Entry()].phrases.append((toks, codes.count - 1, family))
                }
            }
            precondition(families.count <= 64, "legal-form families must fit a 64-bit mask")
            self.families = families
            for w in LegalForms.stopWords { formTokens.insert(Normalizer.fold(Array(w.utf8))) }
            self.rawStopWords = Set(LegalForms.stopWords.map { Array($0.utf8) })
            self.rawStopWordList = LegalForms.stopWords.map { Array($0.utf8) }
            self.formTokens = formTokens
            let formTokenKeys = Array(formTokens)
            self.formTokenKeys = formTokenKeys
            self.formTokenTable = DeletionTable(keys: formTokenKeys.map { selfKey($0) }, values: formTokenKeys.indices.map { Int32($0) })
            var rawForms = Set<[UInt8]>()
            for (_, variants) in LegalForms.table {
                for v in variants { for t in Normalizer.normalizedBytes(v).split(separator: 0x20) where t.count >= 6 { rawForms.insert(Array(t)) } }
            }
            self.longFormTokens = rawForms.sorted { $0.lexicographicallyPrecedes($1) }
            self.longFormFolded = Set(rawForms.map { Normalizer.fold($0) }).sorted { $0.lexicographicallyPrecedes($1) }
            self.longFormDeletions = Matcher.deletionTable(longFormTokens)
            self.longFormFoldedDeletions = Matcher.deletionTable(longFormFolded)
            self.longFormEnds = WordEnds(longFormTokens)
            self.longFormFoldedEnds = WordEnds(longFormFolded)
            for k in entries.keys { entries[k]!.phrases.sort { $0.0.count > $1.0.count } }
            for w in LegalForms.stopWords { entries[Normalizer.fold(Array(w.utf8)), default: Entry()].isStop = true }
            self.entries = entries
            let entryKeys = Array(entries.keys)
            self.entryKeys = entryKeys
            self.entryList = entryKeys.map { entries[$0]! }
            self.entryTable = DeletionTable(keys: entryKeys.map { selfKey($0) }, values: entryKeys.indices.map { Int32($0) })
            var may = [UInt32](repeating: 0, count: 33)
            for k in entries.keys where k.count <= 32 && k[0] >= 0x41 && k[0] <= 0x5A { may[k.count] |= 1 << UInt32(k[0] - 0x41) }
            for k in entries.keys where k.count > 32 || k[0] < 0x41 || k[0] > 0x5A { may[min(k.count, 32)] = UInt32.max }
            self.mayBeEntry = may
            self.codes = codes
            generic = Set(LegalForms.genericWords.map { Normalizer.fold(Array($0.utf8)) })
        }

        /// The legal form starting at token `i`, as (token count, code index).
        func legalForm(_ tokens: [[UInt8]], at i: Int) -> (Int, Int)? {
            guard let e = lookup(tokens[i]) else { return nil }
            return longest(e, tokens, i)
        }

        @inline(__always) private func longest(_ e: Entry, _ tokens: [[UInt8]], _ i: Int) -> (Int, Int)? {
            if let (len, code, _) = longestWithFamily(e, tokens, i) { return (len, code) }
            return nil
        }

        @inline(__always) private func longestWithFamily(_ e: Entry, _ tokens: [[UInt8]], _ i: Int) -> (Int, Int, Int)? {
            for (p, code, family) in e.phrases where i + p.count <= tokens.count {
                var ok = true
                for j in 1..<p.count where tokens[i + j] != p[j] { ok = false; break }
                if ok { return (p.count, code, family) }
            }
            return nil
        }

        /// `keep`, plus the legal forms around each kept token.
        struct Scan {
            /// Indices of the kept (distinctive) tokens.
            var kept: [Int] = []
            /// Family mask of the run of legal forms directly before / after kept token k (no other
            /// token in between; punctuation is already gone).
            var formsBefore: [UInt64] = []
            var formsAfter: [UInt64] = []
            /// Families of every legal form in the text.
            var allForms: UInt64 = 0
        }

        ///
        /// `isStopAsWritten(i)`, if given, decides whether token i, whose folded form is a stop word, is one
        /// as written: folding makes `LEE` `LE` and `WON` `VON`, which are family and given names.
        func scan(_ tokens: [[UInt8]], isStopAsWritten: ((Int) -> Bool)? = nil) -> Scan {
            var out = Scan()
            out.kept.reserveCapacity(tokens.count)
            var run: UInt64 = 0          // families of the legal-form run since the last other token
            var afterOf = -1             // kept token that the current legal-form run directly follows
            var i = 0
            while i < tokens.count {
                if let e = lookup(tokens[i]) {
                    if let (len, _, family) = longestWithFamily(e, tokens, i) {
                        let bit: UInt64 = 1 << UInt64(family)
                        run |= bit
                        out.allForms |= bit
                        if afterOf >= 0 { out.formsAfter[afterOf] |= bit }
                        i += len
                        continue
                    }
                    if e.isStop && isStopAsWritten?(i) != false { run = 0; afterOf = -1; i += 1; continue }
                }
                out.kept.append(i)
                out.formsBefore.append(run)
                out.formsAfter.append(0)
                afterOf = out.kept.count - 1
                run = 0
                i += 1
            }
            return out
        }

        /// `scan` over tokens given as buffers (token i is `token(i)`, i < `count`): the flat text preparation
        /// of name search, with no array per token. The same rules as `scan`, reported through closures:
        /// `keep(i, formsBefore)` for each kept token in order, `formAfter(family bit)` for each legal form
        /// directly after the last kept token (no stop word in between).
        @inline(__always)
        func scan(count: Int, token: (Int) -> UnsafeBufferPointer<UInt8>, isStopAsWritten: (Int) -> Bool,
                  keep: (Int, UInt64) -> Void, formAfter: (UInt64) -> Void) {
            var run: UInt64 = 0
            var after = false
            var i = 0
            tokens: while i < count {
                if let e = lookup(token(i)) {
                    for (p, _, family) in e.phrases where i + p.count <= count {
                        var ok = true
                        for j in 1..<p.count where !token(i + j).elementsEqual(p[j]) { ok = false; break }
                        if !ok { continue }
                        let bit: UInt64 = 1 << UInt64(family)
                        run |= bit
                        if after { formAfter(bit) }
                        i += p.count
                        continue tokens
                    }
                    if e.isStop && isStopAsWritten(i) { run = 0; after = false; i += 1; continue }
                }
                keep(i, run)
                after = true
                run = 0
                i += 1
            }
        }

        /// `lookup` on a buffer: through `entryTable` (selfKey), without hashing an array.
        @inline(__always) func lookup(_ t: UnsafeBufferPointer<UInt8>) -> Entry? {
            guard let f = t.first else { return nil }
            let m = mayBeEntry[min(t.count, 32)]
            if m != UInt32.max && (f < 0x41 || f > 0x5A || m & (1 << UInt32(f &- 0x41)) == 0) { return nil }
            var found = -1
            entryTable.forEach(selfKey(t)) { k in
                if found < 0 && entryKeys[Int(k)].elementsEqual(t) { found = Int(k) }
            }
            return found < 0 ? nil : entryList[found]
        }

        /// Indices of the tokens that are neither part of a legal form nor stop words.
        @inline(__always) func lookup(_ t: [UInt8]) -> Entry? {
            guard let f = t.first else { return nil }
            let m = mayBeEntry[min(t.count, 32)]
            if m != UInt32.max && (f < 0x41 || f > 0x5A || m & (1 << UInt32(f &- 0x41)) == 0) { return nil }
            return entries[t]
        }

        func keep(_ tokens: [[UInt8]]) -> [Int] {
            var out = [Int]()
            out.reserveCapacity(tokens.count)
            var i = 0
            while i < tokens.count {
                guard let e = lookup(tokens[i]) else { out.append(i); i += 1; continue }
                if let (len, _) = longest(e, tokens, i) { i += len; continue }
                if !e.isStop { out.append(i) }
                i += 1
            }
            return out
        }
    }
}
