import Foundation
@testable import Matching
import Messages
@testable import Screening
import Testing
import Watchlists

/// Issue #14 items 5 and 6 on the real OFAC SDN list (`../shared/data`, never copied here; skipped when
/// absent): thousands of generated payments per rule, through the whole policy screener.
@Suite("name tables on the real SDN list", .enabled(if: RealSDN.sdn != nil, "shared data absent: ../shared/data/ofac (skipped)"))
struct NameTablesSharedDataTests {
    static let screener: PolicyScreener? = RealSDN.sdn.map { list in
        PolicyScreener(data: ScreeningData(lists: [.init(source: .ofacSDN, versionId: 1, entries: list.entries)],
                                           indicators: PolicyFixtures.indicators))
    }

    static func mt103(beneficiary: [String], remittance: [String]) -> String {
        PolicyFixtures.mt103(beneficiary: ["/DE89370400440532013000"] + beneficiary, remittance: remittance)
    }

    /// Hits of a payment on `entryId`.
    static func hits(_ message: String, on entryId: String, sourceLocation: SourceLocation = #_sourceLocation) -> [Hit] {
        let d = screener?.screen(format: "mt103", message: message)
        #expect(d?.error == nil, "the test's payment does not parse: \(d?.error ?? "")", sourceLocation: sourceLocation)
        return (d?.hits ?? []).filter { $0.entryId == entryId && $0.kind == .sanctionedParty }
    }

    /// One-token primary names (letters only, at least 5) of the vessels or aircraft of the list.
    static func oneTokenCraft(_ type: EntryType) -> [(String, String)] {
        (RealSDN.sdn?.entries ?? []).compactMap { e in
            guard e.type == type, let n = e.names.first?.name else { return nil }
            let written = Normalizer.normalize(n, punctuation: .join)   // `YI-BAN` is also `YIBAN`
            guard written.utf8.count >= 5, !written.contains(" "), written.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
            return (e.sourceId, written)
        }
    }

    @Test("generated: every one-token SDN vessel or aircraft name as a word of remittance text does not hit; next to its context, or as the beneficiary's whole name, it does")
    func oneTokenCraftNames() {
        let vessels = Self.oneTokenCraft(.vessel), aircraft = Self.oneTokenCraft(.aircraft)
        #expect(vessels.count > 250)
        #expect(aircraft.count > 10)
        var wordHits = [String](), contextMissed = [String](), wholeMissed = [String]()
        // Each sentence fits one 35-character MT line with any of the names (a longer line would make the
        // message unparseable, and a test that cannot hit proves nothing: parsing is checked below).
        let sentences = ["FOR %@ SPARE PARTS", "RENT %@ MAY 2024", "TICKETS %@ SHOW 12.05", "INV 4471 %@ BOOKS"]
        for (k, (id, name)) in (vessels + aircraft).enumerated() {
            let isVessel = k < vessels.count
            let sentence = sentences[k % sentences.count].replacingOccurrences(of: "%@", with: name)
            if !Self.hits(Self.mt103(beneficiary: ["MUELLER GMBH", "BERLIN"], remittance: [sentence]), on: id).isEmpty { wordHits.append(name) }
            let contexts = isVessel ? ["MV \(name)", "FREIGHT M/V \(name) B/L 7", "\(name) IMO 9876543", "VESSEL \(name)"]
                                    : ["AIRCRAFT \(name)", "LEASE OF \(name) MSN 2231"]
            for c in contexts where Self.hits(Self.mt103(beneficiary: ["MUELLER GMBH", "BERLIN"], remittance: ["CHARTER", c]), on: id).isEmpty {
                contextMissed.append(c)
            }
            if Self.hits(Self.mt103(beneficiary: [name, "PIRAEUS"], remittance: ["CHARTER HIRE"]), on: id).isEmpty { wholeMissed.append(name) }
        }
        print("one-token craft: \(vessels.count) vessels, \(aircraft.count) aircraft; \(wordHits.count) hit as a word, \(contextMissed.count) context and \(wholeMissed.count) whole-name misses")
        #expect(wordHits.isEmpty, "\(wordHits.count) hit as a plain word, e.g. \(wordHits.prefix(8))")
        #expect(contextMissed.isEmpty, "\(contextMissed.count) missed next to their context, e.g. \(contextMissed.prefix(8))")
        #expect(wholeMissed.isEmpty, "\(wholeMissed.count) missed as the whole name, e.g. \(wholeMissed.prefix(8))")
    }

    @Test("generated: a common given name with an invented family name, as beneficiary or in text, never hits a one-token name or a payment word")
    func givenNamesAndPaymentWords() {
        let families = ["VOGELSANG", "BRANDT", "LINDQVIST", "KOWALCZYK", "MOREAU", "HAUGEN", "DEVRIES", "FERRANTE"]
        var bad = [String]()
        for (k, given) in NameTables.commonGivenNames.enumerated() {
            let family = families[k % families.count]
            let d = Self.screener?.screen(format: "mt103", message: Self.mt103(beneficiary: ["\(given) \(family)", "HAMBURG"],
                                                                                   remittance: ["GIFT FROM \(given)", "MV \(given)"]))
            // A listed name that is itself a common given name (the vessel `MARIA`) may meet another spelling of it.
            for h in d?.hits ?? [] where Normalizer.normalize(h.matched) == given
                && !NameTables.isGivenName(Array(Normalizer.normalize(h.entryName ?? "").utf8)) { bad.append("\(given) ~ \(h.entryName ?? "")") }
        }
        for word in NameTables.paymentVocabulary {
            let d = Self.screener?.screen(format: "mt103", message: Self.mt103(beneficiary: ["MUELLER GMBH", "BERLIN"],
                                                                                   remittance: ["\(word) DE89370400440532013000", word]))
            for h in d?.hits ?? [] where h.kind == .sanctionedParty { bad.append("\(word) ~ \(h.entryName ?? "")") }
        }
        print("given names: \(NameTables.commonGivenNames.count), payment words: \(NameTables.paymentVocabulary.count), bad \(bad.count)")
        #expect(bad.isEmpty, "\(bad.count): \(bad.prefix(10))")
    }
}
