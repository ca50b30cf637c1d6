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
    private var lengths = Set<Int>()

    /// Whether any digital currency address is indexed (only then is an account looked up).
    private var hasDigitalCurrency = false

    var isEmpty: Bool { byValue.isEmpty }
    var count: Int { byValue.values.reduce(0) { $0 + $1.count } }

    /// Adds the screened identifiers of entry `entry`. Values shorter than five characters, or without a
    /// digit (except digital currency addresses, which are long), are too common to screen.
    mutating func add(entry: Int, identifiers: [EntryIdentifier]) {
        for id in identifiers {
            guard let kind = IdentifierKind.classify(type: id.type, value: id.value) else { continue }
            let n = IdentifierKind.normalize(id.value)
            guard Self.indexable(n, kind: kind) else { continue }
            var refs = byValue[n, default: []]
            guard !refs.contains(where: { $0.entry == entry && $0.kind == kind }) else { continue }
            refs.append(Ref(entry: entry, kind: kind, listType: id.type))
            if kind == .digitalCurrency { hasDigitalCurrency = true }
            byValue[n] = refs
            lengths.insert(n.utf8.count)
        }
    }

    static func indexable(_ n: String, kind: IdentifierKind) -> Bool {
        if kind == .digitalCurrency { return n.utf8.count >= 20 }
        return n.utf8.count >= 5 && n.utf8.contains(where: IdentifierKind.Checks.isDigit)
    }

    /// Identifier prefixes of the parsers (`LEI:`, `TXID:`, `NIDN:RU/…`) that are not identifiers of the party.
    private static let notParty: Set<String> = ["DOB", "POB", "CLR", "BRNCH", "BIC"]

    /// The party's structured identifiers (`SCHEME:value`, MT 50F/59F `CODE/CC/value`), and its account
    /// (for digital currency addresses only): exact matches of the normalised value, or of its last part
    /// after a country code or issuer (`RU/7744001497`).
    func structured(_ identifiers: [String], account: String?) -> [Match] {
        guard !byValue.isEmpty else { return [] }
        var out: [Match] = []
        for id in identifiers {
            var value = Substring(id)
            if let colon = id.firstIndex(of: ":") {
                let scheme = id[..<colon]
                if Self.notParty.contains(String(scheme)) { continue }
                value = id[id.index(after: colon)...]
            } else if id.utf8.count > 8, id.dropFirst(4).first == "/" {
                value = id.dropFirst(5)  // CODE/CC/value
            }
            var candidates = [String(value)]
            if let slash = value.lastIndex(of: "/") { candidates.append(String(value[value.index(after: slash)...])) }
            var found = false
            for c in candidates where !found {
                for ref in byValue[IdentifierKind.normalize(c)] ?? [] {
                    out.append(Match(ref: ref, written: c.trimmingSpaces))
                    found = true
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

    /// Words that announce an identifier in free text ("PASSPORT 12AB3456", "TAX ID 123456789").
    static let labels: Set<String> = [
        "PASSPORT", "PASS", "PASSPORTNO", "ID", "IDNO", "NO", "NR", "NUM", "NUMBER", "TIN", "TAX", "TAXID", "VAT", "REG",
        "REGNO", "REGISTRATION", "MMSI", "INN", "OGRN", "OGRNIP", "OKPO", "UNP", "BIN", "IIN", "SSN", "NIF", "NIE", "CIF",
        "RFC", "CURP", "NIT", "DNI", "LICENSE", "LICENCE", "CARD", "CEDULA", "EIN", "LEI", "IMO", "ИНН", "ОГРН",
    ]
    /// Labels written glued to the number (`INN7744001497`, `IMO9123456`).
    private static let gluedLabels = ["OGRNIP", "OGRN", "INN", "IMO", "LEI", "MMSI", "TIN"]

    /// Identifiers in free text lines. Tokens are runs of letters and digits, so digits inside a longer
    /// run (an account number, a reference) are never looked at on their own. A token that ends its line
    /// is also tried joined with the token that starts the next one (MT lines wrap at 35 characters).
    func scan(_ lines: [String]) -> [Match] {
        guard !byValue.isEmpty else { return [] }
        var out: [Match] = []
        // The last token of the previous line when it ran to the line's end and has a digit, and the token
        // before it (a label?). Identifiers without a digit are not indexed, so lines without one are skipped
        // (a digital currency address always has digits in practice).
        var carry: (token: Substring, before: Substring)?
        for line in lines {
            guard line.utf8.contains(where: IdentifierKind.Checks.isDigit) else {
                if let c = carry, let first = Self.leadingToken(line) {
                    consider(String(c.token) + first, before: c.before, into: &out)
                }
                carry = nil
                continue
            }
            var previous: Substring = "", last: Substring = "", beforeLast: Substring = ""
            var first = true
            Self.forEachToken(line) { token in
                if first, let c = carry, token.startIndex == line.startIndex {
                    consider(String(c.token) + token, before: c.before, into: &out)
                }
                first = false
                let length = token.utf8.count
                if length >= 5, token.utf8.contains(where: IdentifierKind.Checks.isDigit) || length >= 20, mayBeListed(token) {
                    consider(String(token), before: previous, into: &out)
                }
                beforeLast = previous
                previous = token
                last = token
            }
            if !last.isEmpty, last.endIndex == line.endIndex, last.utf8.contains(where: IdentifierKind.Checks.isDigit) {
                carry = (last, beforeLast)
            } else {
                carry = nil
            }
        }
        return out
    }

    /// A cheap test before any allocation: a token of letters and digits normalises to itself upper-cased, so
    /// its length must be one of the indexed lengths, unless it starts with `IMO` or a glued label.
    private func mayBeListed(_ token: Substring) -> Bool {
        if lengths.contains(token.utf8.count) { return true }
        guard let first = token.utf8.first, first >= UInt8(ascii: "A") else { return false }
        let upper = first & 0xDF
        return upper == UInt8(ascii: "I") || upper == UInt8(ascii: "O") || upper == UInt8(ascii: "L") || upper == UInt8(ascii: "M")
            || upper == UInt8(ascii: "T")
    }

    private static func isLabel(_ token: Substring) -> Bool { !token.isEmpty && labels.contains(token.uppercased()) }

    /// Looks up one token (and the token without a label glued to its front) and keeps the trusted matches;
    /// `before` is the token in front of it (a label makes an identifier without check digits count).
    private func consider(_ token: String, before: Substring, into out: inout [Match]) {
        let n = IdentifierKind.normalize(token)
        if lengths.contains(n.utf8.count), let refs = byValue[n] {
            let labelled = Self.isLabel(before)
            for ref in refs where Self.trusted(n, kind: ref.kind, labelled: labelled) {
                out.append(Match(ref: ref, written: token))
            }
        }
        for label in Self.gluedLabels where n.hasPrefix(label) {
            let rest = String(n.dropFirst(label.count))
            if lengths.contains(rest.utf8.count) {
                for ref in byValue[rest] ?? [] where Self.trusted(rest, kind: ref.kind, labelled: true) {
                    out.append(Match(ref: ref, written: token))
                }
            }
            break
        }
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

    /// The token a line starts with (nil when it starts with a separator): what a wrapped identifier continues with.
    static func leadingToken(_ line: String) -> Substring? {
        var first: Substring?
        forEachToken(line) { t in if first == nil { first = t } }
        return first.flatMap { $0.startIndex == line.startIndex ? $0 : nil }
    }

    /// Runs of ASCII letters and digits, and of Cyrillic letters (for the labels ИНН, ОГРН), read byte by
    /// byte and handed to `body` one by one (no array).
    static func forEachToken(_ line: String, _ body: (Substring) -> Void) {
        let u = line.utf8
        var start: String.Index?
        var i = u.startIndex
        while i < u.endIndex {
            let b = u[i]
            var width = 1
            let word: Bool
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
                word = true
            case 0xD0, 0xD1:  // U+0400–U+047F: two bytes
                word = true
                width = 2
            default:
                word = false
                if b >= 0xC0 { width = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2 }
            }
            if word {
                if start == nil { start = i }
            } else if let s = start {
                body(line[s..<i])
                start = nil
            }
            i = u.index(i, offsetBy: width, limitedBy: u.endIndex) ?? u.endIndex
        }
        if let s = start { body(line[s...]) }
    }
}

private extension StringProtocol {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
