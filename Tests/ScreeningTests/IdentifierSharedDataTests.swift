import Foundation
import Messages
@testable import Screening
import Testing
import Watchlists

/// The identifiers of the real OFAC SDN file (`../shared/data`, never copied here): every IMO, LEI, INN and
/// OGRN it carries, written into payments of benign parties, must hold with a hit on that entry; the same
/// numbers with a wrong check digit, and numbers nobody listed, must not hit.
enum RealSDN {
    static let root: String = {
        URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data").path
    }()

    static let sdn: ParsedList? = {
        let dir = root + "/ofac/sdn_full_2024-05-03"
        guard FileManager.default.fileExists(atPath: dir + "/sdn.csv") else { return nil }
        return try? ListParser.parse(source: .ofacSDN, files: [dir + "/sdn.csv", root + "/ofac/watchman_2025-12-24/alt.csv"])
    }()

}

@Suite("identifiers of the real SDN list", .enabled(if: RealSDN.sdn != nil, "shared data absent: ../shared/data/ofac (skipped)"))
struct IdentifierSharedDataTests {
    /// (entry id, kind, value) for every identifier with check digits that passes them, by kind.
    static func listed() -> [(String, IdentifierKind, String)] {
        var out: [(String, IdentifierKind, String)] = []
        for e in RealSDN.sdn?.entries ?? [] {
            for id in e.identifiers {
                guard let kind = IdentifierKind.classify(type: id.type, value: id.value), kind.hasCheckDigits else { continue }
                let n = IdentifierKind.normalize(id.value)
                if kind.validates(n) { out.append((e.sourceId, kind, n)) }
            }
        }
        return out
    }

    static func mt103(remittance: String) -> String {
        "{1:F01DEUTDEFFAXXX0000000000}{2:I103BNPAFRPPXXXXN}{4:\r\n:20:REF1\r\n:23B:CRED\r\n:32A:251017EUR100,00\r\n"
            + ":50K:/DE89370400440532013000\r\nMUELLER GMBH\r\nBERLIN\r\n:57A:BNPAFRPP\r\n:59:/FR7630004000\r\nDUPONT SARL\r\nPARIS\r\n"
            + ":70:\(remittance)\r\n:71A:SHA\r\n-}"
    }

    @Test("every listed IMO, LEI, INN and OGRN in remittance text holds with a hit on its entry; a wrong check digit never hits")
    func listedIdentifiers() throws {
        let sdn = try #require(RealSDN.sdn)
        let screener = PolicyScreener(data: ScreeningData(lists: [.init(source: .ofacSDN, versionId: 1, entries: sdn.entries)],
                                                          indicators: IndicatorSet()))
        let listed = Self.listed()
        var byKind: [IdentifierKind: Int] = [:]
        for (_, kind, _) in listed { byKind[kind, default: 0] += 1 }
        // The file carries hundreds of each (a parser that lost them fails here, not silently).
        #expect((byKind[.imo] ?? 0) > 500 && (byKind[.inn] ?? 0) > 1000 && (byKind[.ogrn] ?? 0) > 1000 && (byKind[.lei] ?? 0) > 30,
                "\(byKind)")
        let labels: [IdentifierKind: String] = [.imo: "IMO", .lei: "LEI", .inn: "INN", .ogrn: "OGRN"]
        let allValues = Set(listed.map(\.2))
        var missed: [String] = [], wrong: [String] = []
        for (i, (entry, kind, value)) in listed.enumerated() {
            let d = screener.screen(format: "mt103", message: Self.mt103(remittance: "PAYMENT REF 22\r\n\(labels[kind]!) \(value)"))
            #expect(d.error == nil, "\(d.error ?? "")")
            if !d.hits.contains(where: { $0.entryId == entry && $0.identifierType == kind.rawValue }) { missed.append("\(kind) \(value)") }
            // The same number with each other last digit fails its check: never a hit (unless that is listed too);
            // tried on every fourth identifier, which keeps the test quick.
            for k in 0...9 where i % 4 == 0 {
                let other = String(value.dropLast()) + String(k)
                guard other != value, !allValues.contains(other) else { continue }
                let o = screener.screen(format: "mt103", message: Self.mt103(remittance: "PAYMENT REF 22\r\n\(labels[kind]!) \(other)"))
                if o.hits.contains(where: { $0.identifierType != nil }) { wrong.append("\(kind) \(other)") }
            }
        }
        #expect(missed.isEmpty, "\(missed.count) missed, e.g. \(missed.prefix(5))")
        #expect(wrong.isEmpty, "\(wrong.count) hits on wrong check digits, e.g. \(wrong.prefix(5))")
    }

    @Test("generated: random numbers of identifier shape that nobody listed, with or without labels, never hit")
    func inventedNumbers() throws {
        let sdn = try #require(RealSDN.sdn)
        let screener = PolicyScreener(data: ScreeningData(lists: [.init(source: .ofacSDN, versionId: 1, entries: sdn.entries)],
                                                          indicators: IndicatorSet()))
        var rng = SystemRandomNumberGenerator()
        // Invented means nobody listed it: a random seven-digit number equals one of the ~1,000 listed IMO
        // numbers once in ten thousand draws, so listed values are drawn again.
        let listed = Set(sdn.entries.flatMap(\.identifiers).map { IdentifierKind.normalize($0.value) })
        var fired: [String] = []
        for i in 0..<3000 {
            let length = [7, 9, 10, 12, 13, 15, 20][i % 7]
            var digits = ""
            repeat {
                digits = (0..<length).map { _ in String(Int.random(in: 0...9, using: &rng)) }.joined()
            } while listed.contains(digits)
            let label = ["IMO", "INN", "OGRN", "PASSPORT", "INVOICE", "REF", "TAX ID"][i % 7]
            let d = screener.screen(format: "mt103", message: Self.mt103(remittance: "\(label) \(digits)"))
            #expect(d.error == nil, "\(d.error ?? "")")
            if d.hits.contains(where: { $0.identifierType != nil }) { fired.append("\(label) \(digits)") }
        }
        #expect(fired.isEmpty, "\(fired.prefix(5))")
    }

    @Test("the real XML samples (OFAC non-SDN XML, UN) give identifiers of the kinds screened, and none of the non-identifier types")
    func xmlSamples() throws {
        let samples = RealSDN.root + "/realsamples"
        guard FileManager.default.fileExists(atPath: samples + "/UN_consolidated_perchrh.xml") else { return }
        let ofac = try ListParser.parse(source: .ofacCons, files: [samples + "/consolidated_nonsdn_2024-02-23.xml"])
        let un = try ListParser.parse(source: .un, files: [samples + "/UN_consolidated_perchrh.xml"])
        func kinds(_ list: ParsedList) -> [IdentifierKind: Int] {
            var out: [IdentifierKind: Int] = [:]
            for e in list.entries {
                for id in e.identifiers {
                    if let k = IdentifierKind.classify(type: id.type, value: id.value) { out[k, default: 0] += 1 }
                }
            }
            return out
        }
        let o = kinds(ofac), u = kinds(un)
        #expect((o[.inn] ?? 0) + (o[.taxId] ?? 0) > 150, "\(o)")
        #expect((o[.registration] ?? 0) + (o[.ogrn] ?? 0) > 200, "\(o)")
        #expect((u[.passport] ?? 0) > 250 && (u[.nationalId] ?? 0) > 100, "\(u)")
        // Websites, e-mail addresses, ISINs, directives, dates and the like are not identifiers of the party.
        for e in ofac.entries {
            for id in e.identifiers where ["Website", "Email Address", "ISIN", "Equity Ticker", "Issuer Name"].contains(id.type) {
                #expect(IdentifierKind.classify(type: id.type, value: id.value) == nil, "\(id.type)")
            }
        }
        var index = IdentifierIndex()
        for (i, e) in (ofac.entries + un.entries).enumerated() { index.add(entry: i, identifiers: e.identifiers) }
        #expect(index.count > 700, "\(index.count)")
    }
}
