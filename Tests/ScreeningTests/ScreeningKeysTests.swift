import Foundation
import Messages
@testable import Screening
import Testing
import Watchlists

/// The rescreen prefilter is conservative: whenever a screener finds an entry in a payment (by name, BIC or
/// identifier), the payment's keys meet the keys of a screener over that entry alone, so a delta rescreen that
/// reads only the payments whose keys meet the changed entries' keys misses no hit.
@Suite("rescreen prefilter keys")
struct ScreeningKeysTests {
    /// Checks every list hit of `screener` on every message against the keys of a screener over its entry alone;
    /// returns how many hits were checked.
    static func checkConservative(entries: [ListEntry], banks: [ListEntry] = [], messages: [(format: String, message: String)],
                                  sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        var lists: [ScreeningData.LoadedList] = [.init(source: .ofacSDN, versionId: 1, entries: entries)]
        if !banks.isEmpty { lists.append(.init(source: .banks, versionId: 2, entries: banks)) }
        let screener = PolicyScreener(data: ScreeningData(lists: lists, indicators: IndicatorSet()))
        var byId: [String: ListEntry] = [:]
        for e in entries where byId["ofac-sdn/\(e.sourceId)"] == nil { byId["ofac-sdn/\(e.sourceId)"] = e }
        for e in banks where byId["banks/\(e.sourceId)"] == nil { byId["banks/\(e.sourceId)"] = e }
        var single: [String: Set<Int32>] = [:]
        var checked = 0
        for m in messages {
            let d = screener.screenRecordingKeys(format: m.format, message: m.message)
            guard let keys = d.screeningKeys.map(Set.init) else {
                #expect(d.hits.contains { $0.kind == .unparseable }, "keys missing for a parsed payment", sourceLocation: sourceLocation)
                continue
            }
            for h in d.hits {
                guard let source = h.list, let id = h.entryId, let entry = byId["\(source)/\(id)"] else { continue }
                let entryKeys = single["\(source)/\(id)"] ?? {
                    var one: [ScreeningData.LoadedList] = [.init(source: source == "banks" ? .banks : .ofacSDN, versionId: 1, entries: [entry])]
                    // A screener needs a sanctions list; an entry without names or identifiers never matches.
                    if source == "banks" { one.append(.init(source: .ofacSDN, versionId: 1, entries: [ListEntry(sourceId: "", type: .other, names: [])])) }
                    let k = PolicyScreener(data: ScreeningData(lists: one, indicators: IndicatorSet())).queryKeys() ?? []
                    single["\(source)/\(id)"] = k
                    return k
                }()
                checked += 1
                #expect(!keys.isDisjoint(with: entryKeys), "hit on \(source) \(id) '\(h.matched)' in \(h.field) not covered by the keys",
                        sourceLocation: sourceLocation)
            }
        }
        return checked
    }

    static func mt103(orderer: [String], beneficiary: [String], bank: String = "BNPAFRPP", remittance: [String] = ["INVOICE 1"]) -> String {
        "{1:F01DEUTDEFFAXXX0000000000}{2:I103BNPAFRPPXXXXN}{4:\r\n:20:REF1\r\n:23B:CRED\r\n:32A:251017EUR100,00\r\n"
            + ":50K:/DE89370400440532013000\r\n\(orderer.joined(separator: "\r\n"))\r\n:57A:\(bank)\r\n"
            + ":59:/FR1420041010050500013M02606\r\n\(beneficiary.joined(separator: "\r\n"))\r\n:70:\(remittance.joined(separator: "\r\n"))\r\n:71A:SHA\r\n-}"
    }

    /// Every way the matcher finds a name, by construction: exact, one typo (folded and as written), extra words,
    /// swapped person names, a name split across MT lines mid-word, compound names joined and split, Cyrillic,
    /// legal forms written differently; identifiers in text and structured; BICs.
    static let entries: [ListEntry] = [
        ListEntry(sourceId: "P1", type: .person, names: [EntryName(name: "SOKOLOV, Dmitri Ivanovich", kind: "primary", strength: .strong)]),
        ListEntry(sourceId: "P2", type: .person, names: [EntryName(name: "HADDAD, Fethi Ben Assen", kind: "primary", strength: .strong)]),
        ListEntry(sourceId: "E1", type: .entity, names: [EntryName(name: "VOLKOV MARITIME SHIPPING LLC", kind: "primary", strength: .strong),
                                                         EntryName(name: "VMS TRANSPORT", kind: "aka", strength: .strong)]),
        ListEntry(sourceId: "E2", type: .entity, names: [EntryName(name: "BELVNESHPROMSERVICE", kind: "primary", strength: .strong)]),
        ListEntry(sourceId: "E3", type: .entity, names: [EntryName(name: "RB HOLDING OOO", kind: "primary", strength: .strong)]),
        ListEntry(sourceId: "E4", type: .entity, names: [EntryName(name: "INTERTRADE CONSOLIDATED", kind: "primary", strength: .strong)],
                  identifiers: [EntryIdentifier(type: "Passport", value: "XK7781234"),
                                EntryIdentifier(type: "Registration Number", value: "RU/7744001497")]),
        ListEntry(sourceId: "E5", type: .entity, names: [EntryName(name: "KORVET ARMATURA", kind: "primary", strength: .strong)],
                  bics: ["KRVTRUMMXXX"]),
        ListEntry(sourceId: "V1", type: .vessel, names: [EntryName(name: "ZARYA POLARIS", kind: "primary", strength: .strong)],
                  identifiers: [EntryIdentifier(type: "Vessel Registration Identification", value: "IMO 9123456")]),
    ]

    static func typo(_ s: String, _ at: Int) -> String {
        var b = Array(s.utf8)
        let i = at % b.count
        if b[i] >= 0x41 && b[i] <= 0x5A { b[i] = b[i] == 0x5A ? 0x41 : b[i] + 1 }
        return String(decoding: b, as: UTF8.self)
    }

    static let messages: [(format: String, message: String)] = {
        var names: [[String]] = [
            ["SOKOLOV DMITRI IVANOVICH"], ["DMITRI SOKOLOV"], ["MR DMITRIY SOKOLOV", "UL. LENINA 4"], ["СОКОЛОВ ДМИТРИЙ ИВАНОВИЧ"],
            ["FETHI HADDAD"], ["HADDAD FETHI BEN ASSEN"],
            ["VOLKOV MARITIME SHIPPING", "LIMITED LIABILITY COMPANY"], ["OOO VOLKOV MARITIME SHIPPING"], ["VOLKOVMARITIMESHIPPING"],
            ["VOLKOV MARITIME SHIPP", "ING LLC"], ["VOLKOV MARITI", "ME SHIPPING"], ["VMS TRANSPORT"],
            ["BELVNESHPROMSERVICE"], ["BELVNESH PROM SERVICE"], ["BELVNESH", "PROMSERVICE"], ["BELVNESHPROMSERVISE"],
            ["RBHOLDING OOO"], ["RB HOLDING OOO"], ["OOO RB HOLDING"],
            ["INTERTRADE CONSOLIDATED"], ["INTERRADE CONSOLIDATED"], ["INTERTRADE CONSOLIDATD"], ["INTER TRADE CONSOLIDATED"],
            ["KORVET ARMATURA"], ["ZARYA POLARIS"], ["MV ZARYA POLARIS"],
            ["DUPONT SARL"], ["MUELLER GMBH", "HAUPTSTRASSE 1", "BERLIN"], ["NORDIC TIMBER AB"],
        ]
        // One typo in every token of every name (long enough ones are fuzzy-matched), as extra variants.
        for (i, n) in names.enumerated() where n.count == 1 {
            names.append([n[0].split(separator: " ").enumerated().map { j, t in j == 0 ? typo(String(t), i + 2) : String(t) }.joined(separator: " ")])
        }
        let remittances: [[String]] = [["INVOICE 1"], ["PASSPORT XK7781234"], ["PASSPORT XK 778", "1234 OF DIRECTOR"], ["REG RU/7744001497"],
                                       ["IMO9123456 FREIGHT"], ["FOR INTERTRADE CONSOLIDATED"], ["ON BEHALF OF VOLKOV MARITIME", "SHIPPING"]]
        let banks = ["BNPAFRPP", "KRVTRUMM", "KRVTRUMMXXX", "KRVTRUMM123", "DEUTDEFF"]
        var out: [(String, String)] = []
        for (i, n) in names.enumerated() {
            out.append(("mt103", mt103(orderer: names[(i * 7) % names.count], beneficiary: n, bank: banks[i % banks.count],
                                       remittance: remittances[i % remittances.count])))
        }
        // Each name alone in a payment (nothing else in it can carry its keys by chance).
        for n in names { out.append(("mt103", mt103(orderer: ["MUELLER GMBH"], beneficiary: n))) }
        for (i, r) in remittances.enumerated() {
            out.append(("mt103", mt103(orderer: ["MUELLER GMBH"], beneficiary: ["DUPONT SARL"], bank: banks[(i + 1) % banks.count], remittance: r)))
        }
        return out
    }()

    @Test("every hit on generated payments (typos, split lines, compounds, Cyrillic, identifiers, BICs) is covered by the keys")
    func generated() {
        let checked = Self.checkConservative(entries: Self.entries, messages: Self.messages)
        // Every entry is found somewhere, so every rule was exercised.
        #expect(checked >= 40, "only \(checked) hits checked")
    }

    @Test("a payment whose keys meet none of an entry's keys is not found by it; keys depend on the payment alone")
    func selective() throws {
        let screener = PolicyScreener(data: ScreeningData(lists: [.init(source: .ofacSDN, versionId: 1, entries: Self.entries)], indicators: IndicatorSet()))
        let clean = Self.mt103(orderer: ["MUELLER GMBH"], beneficiary: ["NORDIC TIMBER AB"])
        let d = screener.screenRecordingKeys(format: "mt103", message: clean)
        #expect(d.hits.isEmpty)
        let keys = try #require(d.screeningKeys)
        #expect(Set(keys).isDisjoint(with: try #require(screener.queryKeys())))
        // The same keys from another screener, and without one.
        let other = PolicyScreener(data: ScreeningData(lists: [.init(source: .ofacSDN, versionId: 1, entries: [Self.entries[0]])], indicators: IndicatorSet()))
        #expect(other.screenRecordingKeys(format: "mt103", message: clean).screeningKeys == keys)
        #expect(PolicyScreener.screeningKeys(format: "mt103", message: clean) == keys)
        #expect(PolicyScreener.screeningKeys(format: "mt103", message: "not a message") == nil)
    }

    @Test("every hit of the real SDN list on the test deck is covered by the keys",
          .enabled(if: RealSDN.sdn != nil && FileManager.default.fileExists(atPath: ScreeningKeysTests.deckPath),
                   "shared data absent: ../shared/data/ofac or ../shared/testdeck (skipped)"))
    func deck() throws {
        let lines = try String(contentsOfFile: Self.deckPath, encoding: .utf8).split(separator: "\n")
        let messages: [(format: String, message: String)] = lines.compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let f = o["format"] as? String, let m = o["message"] as? String else { return nil }
            return (f, m)
        }
        let checked = Self.checkConservative(entries: RealSDN.sdn?.entries ?? [], messages: messages)
        #expect(checked >= 100, "only \(checked) hits checked")
    }

    static let deckPath = URL(fileURLWithPath: RealSDN.root).deletingLastPathComponent().appendingPathComponent("testdeck/deck.jsonl").path
}
