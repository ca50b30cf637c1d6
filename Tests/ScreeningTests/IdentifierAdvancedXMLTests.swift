import Foundation
@testable import Screening
import Testing
import Watchlists

/// The identifiers OFAC's advanced XML carries reach screening's identifier index with the right kind: the
/// parser types them with the labels of the CSV's remarks, which `IdentifierKind.classify` reads.
@Suite("identifiers of OFAC's advanced XML")
struct IdentifierAdvancedXMLTests {
    @Test("each typed identifier of the Watchlists fixture classifies as its kind and is indexed; vessel data is not")
    func kinds() throws {
        let path = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("WatchlistsTests/Fixtures/sdn_advanced.xml").path
        let entries = try ListParser.parse(source: .ofacSDN, files: [path]).entries
        var kinds: [String: IdentifierKind?] = [:]
        var index = IdentifierIndex()
        for (i, e) in entries.enumerated() {
            for id in e.identifiers { kinds[id.value] = IdentifierKind.classify(type: id.type, value: id.value) }
            index.add(entry: i, identifiers: e.identifiers)
        }
        let expected: [String: IdentifierKind?] = [
            "7512345678": .passport, "4509 112233": .nationalId, "bc1qveltranov0example0wallet0address0q8z": .digitalCurrency,
            "2138009NWTL5CY4K2Q20": .lei, "HE 412233": .registration, "7709123453": .inn, "9123453": .imo,
            "3FQX7": nil, "Panama": nil, "NORDWIND TRADING LIMITED": nil,
        ]
        #expect(kinds == expected)
        #expect(index.count == 7)
        #expect(IdentifierKind.lei.validates("2138009NWTL5CY4K2Q20") && IdentifierKind.imo.validates("9123453"))
    }
}
