import Matching
import Watchlists

/// Every screened identifier of the loaded sanctions lists, by normalised value, and the two ways a
/// payment is searched for them: a party's structured identifiers (exact, whatever their kind) and free
/// text (an identifier with check digits must pass them; one without must stand next to a label or be
/// distinctive on its own), so a stray digit run, an account number or a reference never fires.
struct IdentifierIndex: Sendable {
    struct Ref: Sendable {
        /// Index into the screener's entries.
        var entry: Int
        var kind: IdentifierKind
        /// The list's own wording of the type ("Tax ID No.", "Legal Entity Number").
        var listType: String
        /// What a hit calls the identifier's type: the kind, or the list's wording for `other`.
        var typeName: String { kind == .other ? listType : kind.rawValue }
    }

    struct Match {
        var ref: Ref
        /// The identifier as the payment wrote it.
        var written: String
    }

    private var byValue: [String: [Ref]] = [:]
    /// Lengths of the normalised values in the index: a token of another length is not looked up.
    private var lengths = LengthSet()
    /// Hashes (`hash(_:)`) of the normalised values in the index: a token whose hash is not here is not looked up.
    private var hashes = Set<UInt64>()

    /// What each type text seen so far says (`IdentifierKind.TypeWords`): a list has a few dozen type texts.
    private var typeWords: [String: IdentifierKind.TypeWords] = [:]

    /// Whether any digital currency address is indexed (only then is an account looked up).
    private var hasDigitalCurrency = false

    var isEmpty: Bool { byValue.isEmpty }
    var count: Int { byValue.values.reduce(0) { $0 + $1.count } }

    /// Adds the screened identifiers of entry `entry`. Values shorter than five characters, or without a
    /// digit (except digital currency addresses, which are long), are too common to screen.
    mutating func add(entry: Int, identifiers: [EntryIdentifier]) {
        for id in identifiers {
            // `IdentifierKind.classify`, with the type text's part looked up once per type text.
            let words: IdentifierKind.TypeWords
            if let known = typeWords[id.type] { words = known } else {
                words = IdentifierKind.TypeWords(id.type)
                typeWords[id.type] = words
            }
            guard let kind = words.kind(value: id.value) else { continue }
            let n = IdentifierKind.normalize(id.value)
            guard Self.indexable(n, kind: kind) else { continue }
            let known = byValue[n]?.contains(where: { $0.entry == entry && $0.kind == kind }) ?? false
            guard !known else { continue }
            byValue[n, default: []].append(Ref(entry: entry, kind: kind, listType: id.type))
            if kind == .digitalCurrency { hasDigitalCurrency = true }
            lengths.insert(n.utf8.count)
            hashes.insert(Self.hash(n.utf8))
        }
    }

    static func indexable(_ n: String, kind: IdentifierKind) -> Bool {
        if kind == .digitalCurrency { return n.utf8.count >= 20 }
        return n.utf8.count >= 5 && n.utf8.contains(where: IdentifierKind.Checks.isDigit)
    }

    /// Identifier prefixes of the parsers (`LEI:`, `TXID:`, `NIDN:RU/…`) that are not identifiers of the party.
    static let notParty: Set<String> = ["DOB", "POB", "CLR", "BRNCH", "BIC"]

    /// The party's structured identifiers (`SCHEME:value`, MT 50F/59F `CODE/CC/value`), and its account
    /// (for digital currency addresses only): exact matches of the normalised value, or of its last part
    /// after a country code or issuer (`RU/7744001497`).
    func structured(_ identifiers: [String], account: String?) -> [Match] {
        var scratch = Scratch()
        return structured(identifiers, account: account, scratch: &scratch)
    }

    /// `structured(_:account:)` with the caller's buffers (a screening workspace's, kept from payment to payment).
    func structured(_ identifiers: [String], account: String?, scratch: inout Scratch) -> [Match] {
        guard !byValue.isEmpty else { return [] }
        var out: [Match] = []
        var normalized: [UInt8] = []
        swap(&normalized, &scratch.normalized)
        defer { swap(&normalized, &scratch.normalized) }
        for var id in identifiers {
            id.withUTF8 { u in
                Self.forEachStructuredCandidate(u) { c in
                    IdentifierKind.normalize(u[c], into: &normalized)
                    guard let refs = refs(normalized[...]) else { return false }
                    let written = String(decoding: u[c], as: UTF8.self).trimmingSpaces
                    for ref in refs { out.append(Match(ref: ref, written: written)) }
                    return true
                }
            }
        }
        if let account, hasDigitalCurrency, account.utf8.count >= 20 {
            for ref in byValue[IdentifierKind.normalize(account)] ?? [] where ref.kind == .digitalCurrency {
                out.append(Match(ref: ref, written: account))
            }
        }
        return out
    }

    /// The parts of one structured identifier that are looked up, in order, until `body` says one was found:
    /// on the bytes (ASCII separators), the value after `SCHEME:` or `CODE/CC/`, then its last part after a `/`.
    static func forEachStructuredCandidate(_ u: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Bool) {
        var value = 0..<u.count
        if let colon = u.firstIndex(of: UInt8(ascii: ":")) {
            if notParty.contains(String(decoding: u[..<colon], as: UTF8.self)) { return }
            value = (colon + 1)..<u.count
        } else if u.count > 8, u[4] == UInt8(ascii: "/") {
            value = 5..<u.count  // CODE/CC/value
        }
        if body(value) { return }
        if let slash = u[value].lastIndex(of: UInt8(ascii: "/")) { _ = body((slash + 1)..<u.count) }
    }

    /// Words that announce an identifier in free text ("PASSPORT 12AB3456", "TAX ID 123456789").
    static let labels: Set<String> = [
        "PASSPORT", "PASS", "PASSPORTNO", "ID", "IDNO", "NO", "NR", "NUM", "NUMBER", "TIN", "TAX", "TAXID", "VAT", "REG",
        "REGNO", "REGISTRATION", "MMSI", "INN", "OGRN", "OGRNIP", "OKPO", "UNP", "BIN", "IIN", "SSN", "NIF", "NIE", "CIF",
        "RFC", "CURP", "NIT", "DNI", "LICENSE", "LICENCE", "CARD", "CEDULA", "EIN", "LEI", "IMO", "ИНН", "ОГРН",
    ]
    /// Labels written glued to the number (`INN7744001497`, `IMO9123456`).
    static let gluedLabels = ["OGRNIP", "OGRN", "INN", "IMO", "LEI", "MMSI", "TIN"].map { Array($0.utf8) }

    /// Identifiers in free text lines. Tokens are runs of letters and digits, so digits inside a longer
    /// run (an account number, a reference) are never looked at on their own. A token that ends its line
    /// is also tried joined with the token that starts the next one (MT lines wrap at 35 characters).
    ///
    /// Read byte by byte over each line's UTF-8 with integer offsets: most payments have no listed
    /// identifier, so the common path allocates nothing (a token's normalised form is built in a reused
    /// buffer and tested against the index's hashes before any `String` is made).
    func scan(_ lines: [String]) -> [Match] {
        var scratch = Scratch()
        return scan(lines, scratch: &scratch)
    }

    /// `scan(_:)` with the caller's buffers (a screening workspace's, kept from payment to payment).
    func scan(_ lines: [String], scratch: inout Scratch) -> [Match] {
        guard !byValue.isEmpty else { return [] }
        var out: [Match] = []
        // Out of `scratch` while in use: the closure below writes `normalized` while `forEachScanned` writes the others.
        var normalized: [UInt8] = [], tokens = TokenBuffers()
        swap(&normalized, &scratch.normalized)
        swap(&tokens, &scratch.tokens)
        defer {
            swap(&normalized, &scratch.normalized)
            swap(&tokens, &scratch.tokens)
        }
        // A closure rather than the method itself: a method value captures a copy of the whole index.
        Self.forEachScanned(lines, buffers: &tokens, mayBeListed: { mayBeListed($0, first: $1) }) { token, before in
            consider(token, before: before, into: &out, &normalized)
        }
        return out
    }

    /// Buffers of `scan` and `structured`, reused from call to call by a screening workspace.
    struct Scratch {
        /// A token's normalised value.
        var normalized: [UInt8] = []
        var tokens = TokenBuffers()
        init() {}
    }

    /// `forEachScanned`'s buffers: the token carried over a line's end, the token before it, and the two joined.
    struct TokenBuffers {
        var carry: [UInt8] = []
        var carryBefore: [UInt8] = []
        var joined: [UInt8] = []
    }

    /// The tokens `scan` looks up in `lines`, each with the token before it: runs of letters and digits of at
    /// least five characters with a digit (or of twenty), that `mayBeListed` lets through, and a token that ends
    /// its line joined with the token that starts the next one.
    static func forEachScanned(_ lines: [String], mayBeListed: (Int, UInt8) -> Bool,
                               _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void) {
        var buffers = TokenBuffers()
        forEachScanned(lines, buffers: &buffers, mayBeListed: mayBeListed, body)
    }

    /// `forEachScanned` with the caller's buffers.
    static func forEachScanned(_ lines: [String], buffers: inout TokenBuffers, mayBeListed: (Int, UInt8) -> Bool,
                               _ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<UInt8>) -> Void) {
        // The last token of the previous line when it ran to the line's end and has a digit, and the token
        // before it (a label?). Identifiers without a digit are not indexed, so lines without one are only
        // looked at for the start of a wrapped token (a digital currency address always has digits in practice).
        var carry: [UInt8] = [], carryBefore: [UInt8] = [], joined: [UInt8] = []
        swap(&carry, &buffers.carry)
        swap(&carryBefore, &buffers.carryBefore)
        swap(&joined, &buffers.joined)
        carry.removeAll(keepingCapacity: true)
        carryBefore.removeAll(keepingCapacity: true)
        defer {
            swap(&carry, &buffers.carry)
            swap(&carryBefore, &buffers.carryBefore)
            swap(&joined, &buffers.joined)
        }
        for var line in lines {
            line.withUTF8 { u in
                var previous = 0..<0, beforeLast = 0..<0, last = 0..<0, lastHasDigit = false
                Self.forEachToken(u) { token, hasDigit in
                    if token.lowerBound == 0, !carry.isEmpty {
                        joined.removeAll(keepingCapacity: true)
                        joined.append(contentsOf: carry)
                        joined.append(contentsOf: UnsafeBufferPointer(rebasing: u[token]))
                        joined.withUnsafeBufferPointer { j in carryBefore.withUnsafeBufferPointer { b in body(j, b) } }
                    }
                    let length = token.count
                    if length >= 5, hasDigit || length >= 20, mayBeListed(length, u[token.lowerBound]) {
                        body(UnsafeBufferPointer(rebasing: u[token]), UnsafeBufferPointer(rebasing: u[previous]))
                    }
                    beforeLast = previous
                    previous = token
                    last = token
                    lastHasDigit = hasDigit
                }
                carry.removeAll(keepingCapacity: true)
                carryBefore.removeAll(keepingCapacity: true)
                if lastHasDigit, last.upperBound == u.count {
                    carry.append(contentsOf: u[last])
                    carryBefore.append(contentsOf: u[beforeLast])
                }
            }
        }
    }

    // MARK: - Rescreen prefilter keys

    /// The stored key of a normalised identifier value (tagged, so that it is never a name token's key).
    static func key(normalized: ArraySlice<UInt8>) -> Int32 { normalized.withUnsafeBufferPointer { NameIndex.storedKey(tag: "\u{1}ID", bytes: $0) } }

    /// Adds the key of every value `structured` could look up for these identifiers and account, whatever the
    /// index holds.
    static func candidateKeys(structured identifiers: [String], account: String?, into keys: inout PrefilterKeys) {
        var normalized: [UInt8] = []
        for var id in identifiers {
            id.withUTF8 { u in
                forEachStructuredCandidate(u) { c in
                    IdentifierKind.normalize(u[c], into: &normalized)
                    keys.insert(key(normalized: normalized[...]))
                    return false
                }
            }
        }
        if let account, account.utf8.count >= 20 { keys.insert(key(normalized: Array(IdentifierKind.normalize(account).utf8)[...])) }
    }

    /// Adds the key of every value `scan` could look up in `lines` (each token, and each token without a glued
    /// label), whatever the index holds.
    static func candidateKeys(lines: [String], into keys: inout PrefilterKeys) {
        var normalized: [UInt8] = []
        forEachScanned(lines, mayBeListed: { _, _ in true }) { token, _ in
            IdentifierKind.normalize(token, into: &normalized)
            keys.insert(key(normalized: normalized[...]))
            for label in gluedLabels where normalized.starts(with: label) {
                keys.insert(key(normalized: normalized[label.count...]))
            }
        }
    }

    /// The keys a payment must have for one of this index's identifiers to be found in it.
    func queryKeys(into keys: inout Set<Int32>) {
        for value in byValue.keys { keys.insert(Self.key(normalized: Array(value.utf8)[...])) }
    }

    /// A cheap test before any normalisation: a token of letters and digits normalises to itself upper-cased,
    /// so its length must be one of the indexed lengths, unless it starts with `IMO` or a glued label.
    private func mayBeListed(_ length: Int, first: UInt8) -> Bool {
        if lengths.contains(length) { return true }
        guard first >= UInt8(ascii: "A") else { return false }
        let upper = first & 0xDF
        return upper == UInt8(ascii: "I") || upper == UInt8(ascii: "O") || upper == UInt8(ascii: "L") || upper == UInt8(ascii: "M")
            || upper == UInt8(ascii: "T")
    }

    private static func isLabel<C: Collection<UInt8>>(_ token: C) -> Bool {
        !token.isEmpty && labels.contains(String(decoding: token, as: UTF8.self).uppercased())
    }

    /// Looks up one token (and the token without a label glued to its front) and keeps the trusted matches;
    /// `before` is the token in front of it (a label makes an identifier without check digits count).
    private func consider<T: Collection<UInt8>, B: Collection<UInt8>>(_ token: T, before: B, into out: inout [Match],
                                                                      _ normalized: inout [UInt8]) {
        IdentifierKind.normalize(token, into: &normalized)
        let n = normalized
        if let refs = refs(n[...]) {
            let value = String(decoding: n, as: UTF8.self)
            let labelled = Self.isLabel(before)
            for ref in refs where Self.trusted(value, kind: ref.kind, labelled: labelled) {
                out.append(Match(ref: ref, written: String(decoding: token, as: UTF8.self)))
            }
        }
        for label in Self.gluedLabels where n.starts(with: label) {
            let rest = n[label.count...]
            if let refs = refs(rest) {
                let value = String(decoding: rest, as: UTF8.self)
                for ref in refs where Self.trusted(value, kind: ref.kind, labelled: true) {
                    out.append(Match(ref: ref, written: String(decoding: token, as: UTF8.self)))
                }
            }
            break
        }
    }

    /// The index's entries for a normalised value; a length test and a hash test first, so that a value that
    /// is not listed costs no `String`.
    private func refs(_ n: ArraySlice<UInt8>) -> [Ref]? {
        guard lengths.contains(n.count), hashes.contains(Self.hash(n)) else { return nil }
        return byValue[String(decoding: n, as: UTF8.self)]
    }

    /// FNV-1a over a normalised value: the prefilter in front of `byValue`.
    static func hash<C: Collection<UInt8>>(_ bytes: C) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// Whether a free-text occurrence of listed value `n` is trusted: check digits pass; a digital currency
    /// address always (it is long and random); any other only after a label, or when it mixes letters and
    /// digits over eight characters or more.
    static func trusted(_ n: String, kind: IdentifierKind, labelled: Bool) -> Bool {
        if kind.hasCheckDigits { return kind.validates(n) }
        if kind == .digitalCurrency || labelled { return true }
        let u = n.utf8
        return u.count >= 8 && u.contains(where: IdentifierKind.Checks.isDigit) && u.contains(where: { $0 >= UInt8(ascii: "A") })
    }

    /// Runs of ASCII letters and digits, and of Cyrillic letters (for the labels ИНН, ОГРН), read byte by
    /// byte in one pass and handed to `body` as offsets one by one (no array), with whether the run has a digit.
    static func forEachToken(_ u: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, Bool) -> Void) {
        var start = -1, digit = false
        var i = 0
        let n = u.count
        while i < n {
            let b = u[i]
            if b < 0x80 {
                let isDigit = b &- UInt8(ascii: "0") < 10
                if isDigit || (b | 0x20) &- UInt8(ascii: "a") < 26 {
                    if start < 0 { start = i; digit = false }
                    digit = digit || isDigit
                } else if start >= 0 {
                    body(start..<i, digit)
                    start = -1
                }
                i += 1
            } else if b == 0xD0 || b == 0xD1 {  // U+0400–U+047F: two bytes, a letter
                if start < 0 { start = i; digit = false }
                i = min(i + 2, n)
            } else {
                if start >= 0 {
                    body(start..<i, digit)
                    start = -1
                }
                i = min(i + (b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1), n)
            }
        }
        if start >= 0 { body(start..<n, digit) }
    }
}

/// The lengths of the indexed values: a bit per length up to 127, a set above (a test on every token).
struct LengthSet: Sendable {
    private var small: (UInt64, UInt64) = (0, 0)
    private var large = Set<Int>()

    mutating func insert(_ n: Int) {
        switch n {
        case 0..<64: small.0 |= 1 << UInt64(n)
        case 64..<128: small.1 |= 1 << UInt64(n - 64)
        default: large.insert(n)
        }
    }

    func contains(_ n: Int) -> Bool {
        switch n {
        case 0..<64: return small.0 & (1 << UInt64(n)) != 0
        case 64..<128: return small.1 & (1 << UInt64(n - 64)) != 0
        default: return !large.isEmpty && large.contains(n)
        }
    }
}

private extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
