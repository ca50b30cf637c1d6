import Foundation
import Matching
import Messages
import Watchlists

/// The default screening policy of the public contract (section 4), over lists loaded from the database.
///
/// Built once per list version (building the name automaton for ~40,000 aliases takes well under a second)
/// and then shared read-only by every worker: screening a payment never mutates it.
public struct PolicyScreener: PaymentScreener {
    /// An entry of a loaded list, as hits name it.
    struct EntryRef: Sendable {
        var list: String
        var entryId: String
        var entryName: String
    }

    let sanctionsNames: NameIndex
    let sanctionsEntries: [EntryRef]
    let banksNames: NameIndex
    let banksEntries: [EntryRef]
    /// BIC (8 or 11 characters) → entries that carry it.
    let sanctionsBICs: [String: [EntryRef]]
    /// Identifiers of sanctions entries (IMO, LEI, INN, OGRN, passports…) by normalised value.
    let sanctionsIdentifiers: IdentifierIndex
    let banksBICs: [String: [EntryRef]]
    /// The first eight bytes (the BIC8) of every BIC in either map: most payments name no listed bank, and
    /// one probe of this set settles that before any string is hashed or built.
    let listedBIC8s: Set<UInt64>
    let keywords: PhraseIndex
    let keywordTexts: [String]
    let exclusions: PhraseIndex
    let hsCodes: Set<String>
    let geography: Geography
    /// Good-guy records by who they are about.
    let goodGuys: [GoodGuyKey: ScreeningData.GoodGuy]
    public let hasSanctionsList: Bool

    public init(data: ScreeningData) {
        var sAliases: [NameIndex.Alias] = [], sEntries: [EntryRef] = []
        var bAliases: [NameIndex.Alias] = [], bEntries: [EntryRef] = []
        var sBICs: [String: [EntryRef]] = [:], bBICs: [String: [EntryRef]] = [:]
        var sIDs = IdentifierIndex()
        for list in data.lists {
            let isBanks = list.source == .banks
            for e in list.entries {
                let ref = EntryRef(list: list.source.rawValue, entryId: e.sourceId, entryName: e.primaryName)
                let index = isBanks ? bEntries.count : sEntries.count
                let aliases = e.names.enumerated().map { i, n in
                    NameIndex.Alias(entry: index, name: n.name, isPerson: e.type == .person, weak: n.strength == .weak,
                                    primary: Self.isPrimary(n, at: i), craft: Self.craft(e.type))
                }
                if isBanks {
                    bEntries.append(ref); bAliases += aliases
                    for bic in e.bics { bBICs[bic.uppercased(), default: []].append(ref) }
                } else {
                    sEntries.append(ref); sAliases += aliases
                    for bic in e.bics { sBICs[bic.uppercased(), default: []].append(ref) }
                    sIDs.add(entry: index, identifiers: e.identifiers)
                }
            }
        }
        var config = MatchConfiguration.default
        config.threshold = data.nameThreshold
        sanctionsNames = NameIndex(aliases: sAliases, configuration: config)
        sanctionsEntries = sEntries
        banksNames = NameIndex(aliases: bAliases, configuration: config)
        banksEntries = bEntries
        sanctionsBICs = sBICs
        sanctionsIdentifiers = sIDs
        banksBICs = bBICs
        listedBIC8s = Set((Array(sBICs.keys) + Array(bBICs.keys)).compactMap(Self.bic8Key))
        keywordTexts = data.indicators.keywords.map(\.text)
        // Keywords and exclusions of English, Turkish and Russian match on stems (Stemmer), others as written.
        keywords = PhraseIndex(phrases: keywordTexts, languages: data.indicators.keywords.map(\.language))
        exclusions = PhraseIndex(phrases: data.indicators.exclusions.map(\.text), languages: data.indicators.exclusions.map(\.language))
        hsCodes = Set(data.indicators.hsCodes.map(\.code))
        var risky = Set<String>()
        for (name, codes) in data.indicators.countrySets where name == "risk" || name == "transshipment" {
            risky.formUnion(codes)
        }
        geography = Geography(riskCountries: risky)
        var byKey: [GoodGuyKey: ScreeningData.GoodGuy] = [:]
        for g in data.goodGuys { byKey[GoodGuyKey(field: g.field, matched: g.matched, list: g.list, entryId: g.entryId)] = g }
        goodGuys = byKey
        hasSanctionsList = data.hasSanctionsList
    }

    public func screen(format: String, message: String) -> Decision {
        var workspace = ScreeningWorkspace(remembering: false)
        return screen(format: format, message: message, recordingKeys: false, workspace: &workspace)
    }

    public func screen(format: String, message: String, recordingKeys: Bool, workspace: inout ScreeningWorkspace) -> Decision {
        guard let fmt = MessageFormat(rawValue: format) else {
            return .failClosed(.unparseable, error: "unknown format '\(format.prefix(32))'")
        }
        let payment: Payment
        do {
            payment = try MessageParser.parse(format: fmt.rawValue, message: message)
        } catch {
            return .failClosed(.unparseable, error: error.description)
        }
        var d = screen(payment, workspace: &workspace)
        if recordingKeys { d.screeningKeys = Self.screeningKeys(payment) }
        return d
    }

    /// Applies the policy to a parsed payment.
    public func screen(_ payment: Payment) -> Decision {
        var workspace = ScreeningWorkspace(remembering: false)
        return screen(payment, workspace: &workspace)
    }

    /// `screen(_:)` with the caller's working memory (see `PaymentScreener.screen(format:message:recordingKeys:workspace:)`).
    public func screen(_ payment: Payment, workspace: inout ScreeningWorkspace) -> Decision {
        guard hasSanctionsList else {
            return .failClosed(.listsUnavailable, error: "no sanctions list is loaded")
        }
        var hits: [Hit] = []
        for k in payment.parties.indices {
            partyHits(payment.parties, k, into: &hits, workspace: &workspace)
        }
        // Names in free text (remittance "ON BEHALF OF …").
        for text in payment.texts {
            for m in sanctionsNames.search(lines: text.lines, workspace: &workspace.names) {
                let ref = sanctionsEntries[m.entry]
                hits.append(Hit(kind: .sanctionedParty, field: text.field, matched: m.matchedText, list: ref.list,
                                entryId: ref.entryId, entryName: ref.entryName, score: m.score,
                                explanation: "\(text.field) text names \(ref.list) entry \(ref.entryId) '\(ref.entryName)' (score \(Self.format(m.score)))"))
            }
            for m in sanctionsIdentifiers.scan(text.lines, scratch: &workspace.identifiers) {
                hits.append(identifierHit(m, field: text.field, where: "\(text.field) text"))
            }
        }
        // 3. military_end_use: goods signal in free text AND risky geography.
        let goods = goodsSignals(payment)
        if !goods.isEmpty, let place = geography.firstRiskyPlace(payment) {
            for g in goods {
                hits.append(Hit(kind: .militaryEndUse, field: g.field, matched: g.matched, list: "indicators", entryId: g.entryId,
                                entryName: g.label, score: 1,
                                explanation: "\(g.label) '\(g.matched)' in \(g.field), with \(place)"))
            }
        }
        var suppressed: [SuppressedHit] = []
        if !goodGuys.isEmpty {
            let now = Date().timeIntervalSince1970
            hits.removeAll { h in
                guard h.kind == .sanctionedParty, let list = h.list, let entryId = h.entryId,
                      let g = goodGuys[GoodGuyKey(field: h.field, matched: h.matched, list: list, entryId: entryId)],
                      g.expiresAt.map({ now < $0 }) ?? true else { return false }
                suppressed.append(SuppressedHit(hit: h, goodGuyId: g.id))
                return true
            }
        }
        return Decision(hits: Self.deduplicated(hits), suppressed: suppressed)
    }

    /// The hits of one party or agent: by name, BIC (sanctions and Russian lenders) and identifier, and for an
    /// agent by name on the banks list.
    ///
    /// The party is `parties[k]`, read field by field: passed as a `Party` (even `borrowing`, from the array or from a
    /// buffer pointer), it was copied whole at every call, a retain and a release of each of its fields.
    func partyHits(_ parties: [Party], _ k: Int, into hits: inout [Hit], workspace: inout ScreeningWorkspace) {
        // Name and address lines in one array kept in the workspace from party to party (out of it while in use).
        let hasAddress = !parties[k].addressLines.isEmpty
        var lines: [String] = []
        if hasAddress {
            swap(&lines, &workspace.partyLines)
            lines.removeAll(keepingCapacity: true)
            lines.append(contentsOf: parties[k].nameLines)
            lines.append(contentsOf: parties[k].addressLines)
        } else {
            lines = parties[k].nameLines
        }
        defer { if hasAddress { swap(&lines, &workspace.partyLines) } }
        let fieldLines = lines.isEmpty ? parties[k].rawLines : lines
        // 1. sanctioned_party by name (parties and agents alike) …
        for m in sanctionsNames.search(lines: fieldLines, workspace: &workspace.names) {
            let ref = sanctionsEntries[m.entry]
            hits.append(Hit(kind: .sanctionedParty, field: parties[k].role, matched: m.matchedText, list: ref.list,
                            entryId: ref.entryId, entryName: ref.entryName, score: m.score,
                            explanation: "\(parties[k].role) (\(parties[k].sourceField)) matches \(ref.list) entry \(ref.entryId) '\(ref.entryName)' with score \(Self.format(m.score))"))
        }
        // … and by BIC.
        if let bic = parties[k].bic?.uppercased(), bic.utf8.count >= 8 {
            // A BIC with non-ASCII in it skips the prefilter: string equality (the maps' keys) is canonical
            // equivalence, under which `S\u{212A}BKRUMM` (Kelvin sign) is `SKBKRUMM`; bytes are not.
            let listed = bic.utf8.contains(where: { $0 >= 0x80 }) || Self.bic8Key(bic).map(listedBIC8s.contains) ?? false
            for ref in listed ? Self.lookup(bic, in: sanctionsBICs) : [] {
                hits.append(Hit(kind: .sanctionedParty, field: parties[k].role, matched: bic, list: ref.list, entryId: ref.entryId,
                                entryName: ref.entryName, score: 1,
                                explanation: "\(parties[k].role) BIC \(bic) is listed for \(ref.list) entry \(ref.entryId) '\(ref.entryName)'"))
            }
            // 2. russian_lender: BIC country RU, or a bank of the banks list.
            let country = Geography.bicCountry(bic)
            var lender = false
            for ref in listed ? Self.lookup(bic, in: banksBICs) : [] {
                lender = true
                hits.append(Hit(kind: .russianLender, field: parties[k].role, matched: bic, list: ref.list, entryId: ref.entryId,
                                entryName: ref.entryName, score: 1,
                                explanation: "\(parties[k].role) BIC \(bic) belongs to '\(ref.entryName)' on the banks list"))
            }
            if country == "RU" && !lender {
                hits.append(Hit(kind: .russianLender, field: parties[k].role, matched: bic, score: 1,
                                explanation: "\(parties[k].role) BIC \(bic) has country code RU (a Russian bank)"))
            }
        }
        // … and by identifier: structured, or written in its name and address lines.
        for m in sanctionsIdentifiers.structured(parties[k].identifiers, account: parties[k].account, scratch: &workspace.identifiers) {
            hits.append(identifierHit(m, field: parties[k].role, where: "\(parties[k].role) (\(parties[k].sourceField)) identifier"))
        }
        for m in sanctionsIdentifiers.scan(lines, scratch: &workspace.identifiers) {
            hits.append(identifierHit(m, field: parties[k].role, where: "\(parties[k].role) (\(parties[k].sourceField)) text"))
        }
        if parties[k].kind == .agent {
            for m in banksNames.search(lines: fieldLines, workspace: &workspace.names) {
                let ref = banksEntries[m.entry]
                hits.append(Hit(kind: .russianLender, field: parties[k].role, matched: m.matchedText, list: ref.list,
                                entryId: ref.entryId, entryName: ref.entryName, score: m.score,
                                explanation: "\(parties[k].role) name matches '\(ref.entryName)' on the banks list (score \(Self.format(m.score)))"))
            }
        }
    }

    /// A sanctioned_party hit on a listed identifier, naming its type.
    func identifierHit(_ m: IdentifierIndex.Match, field: String, where place: String) -> Hit {
        let ref = sanctionsEntries[m.ref.entry]
        let type = m.ref.typeName
        return Hit(kind: .sanctionedParty, field: field, matched: m.written, list: ref.list, entryId: ref.entryId,
                   entryName: ref.entryName, score: 1,
                   explanation: "\(place) has \(type) \(m.written), listed as \(m.ref.listType) of \(ref.list) entry \(ref.entryId) '\(ref.entryName)'",
                   identifierType: type)
    }

    /// What a good-guy record is about: this party text (normalized) in this field is not that list entry.
    struct GoodGuyKey: Hashable {
        var field: String
        var matched: String
        var list: String
        var entryId: String
        init(field: String, matched: String, list: String, entryId: String) {
            self.field = field
            self.matched = Normalizer.normalize(matched)
            self.list = list
            self.entryId = entryId
        }
    }

    struct GoodsSignal {
        var field: String
        var matched: String
        var label: String
        var entryId: String
    }

    func goodsSignals(_ payment: Payment) -> [GoodsSignal] {
        var out: [GoodsSignal] = []
        for text in payment.texts {
            // Prepared once for both phrase indexes (normalized, folded, stemmed, padded). A keyword occurrence is
            // dropped when an exclusion occurrence covers its tokens (`FOOD PROCESSOR` covers `PROCESSOR`); each
            // keyword is reported once, at its first occurrence that no exclusion covers, in keyword order.
            let prepared = keywords.prepare(lines: text.lines)
            let keywordMatches = keywords.occurrences(prepared)
            if !keywordMatches.isEmpty {
                let excluded = exclusions.occurrences(prepared)
                var first: [Int: PhraseOccurrence] = [:]
                for m in keywordMatches where first[m.phrase] == nil && !excluded.contains(where: { $0.covers(m) }) {
                    first[m.phrase] = m
                }
                for p in first.keys.sorted() {
                    out.append(GoodsSignal(field: text.field, matched: prepared.text(of: first[p]!), label: "end-use keyword",
                                           entryId: keywordTexts[p]))
                }
            }
            for code in HSCodeScanner.codes(in: text.lines.joined(separator: " ")) where hsCodes.contains(code.hs6) {
                out.append(GoodsSignal(field: text.field, matched: code.written, label: "CHPL HS code", entryId: code.hs6))
            }
        }
        return out
    }

    /// Whether a name is the entry's primary name (or a variation of it), as opposed to an a.k.a.: a
    /// single-token a.k.a. fires only as a party's whole name or next to a legal form (see NameIndex).
    static func isPrimary(_ name: EntryName, at position: Int) -> Bool {
        switch name.kind {
        case "primary", "primary_variation", "original_script": return true
        case "": return position == 0
        default: return false
        }
    }

    /// Vessels and aircraft: their one-token names need the whole name or their context (see NameIndex).
    static func craft(_ type: EntryType) -> NameIndex.Craft {
        switch type {
        case .vessel: return .vessel
        case .aircraft: return .aircraft
        default: return .none
        }
    }

    /// A BIC's first eight bytes as one number (nil when it is shorter).
    static func bic8Key(_ bic: String) -> UInt64? {
        var key: UInt64 = 0
        var n = 0
        for b in bic.utf8 {
            guard n < 8 else { break }
            key = key << 8 | UInt64(b)
            n += 1
        }
        return n == 8 ? key : nil
    }

    /// Entries for a BIC: exact 11, the BIC8 of an 11-character BIC, and an 11-character listing of the same BIC8 with branch XXX.
    static func lookup(_ bic: String, in map: [String: [EntryRef]]) -> [EntryRef] {
        var out = map[bic] ?? []
        if bic.utf8.count == 11 {
            out += map[String(bic.prefix(8))] ?? []
        } else if bic.utf8.count == 8 {
            out += map[bic + "XXX"] ?? []
        }
        return out
    }

    static func deduplicated(_ hits: [Hit]) -> [Hit] {
        var seen = Set<String>()
        return hits.filter { h in
            seen.insert("\(h.kind.rawValue)|\(h.field)|\(h.list ?? "")|\(h.entryId ?? "")|\(h.matched)").inserted
        }
    }

    static func format(_ score: Double) -> String {
        let r = (score * 100).rounded() / 100
        return String(r)
    }
}
