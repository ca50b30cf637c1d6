import Foundation
import IntegrationSupport
import Postgres
import Store
import TestSupport
import Testing
import Watchlists

/// A hit on a listed identifier is stored with its type, and the operators see the type in `open_holds`
/// and, when a rescreen finds it later, in `open_retrospective_alerts`.
@Suite("identifier hits in the database", .enabled(if: TestDatabase.enabled))
struct IdentifierHitTests {
    typealias F = RescreenFixtures

    static let vessel = ListEntry(sourceId: "3001", type: .vessel, names: [EntryName(name: "NORTHERN LIGHT", kind: "primary", strength: .strong)],
                                  identifiers: [EntryIdentifier(type: "IMO", value: "9074729")])

    @Test("held for a listed IMO: hits and open_holds name the identifier type; name hits carry none")
    func heldWithType() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try F.importList(c, [F.zorbex, Self.vessel], tag: "v1")
        try F.insert(c, [("I1", F.mt103(ref: "I1", beneficiary: "DUPONT SARL\r\nCHARTER IMO 9074729")),
                         ("N1", F.mt103(ref: "N1", beneficiary: "ZORBEX HEAVY INDUSTRIES")),
                         ("C1", F.mt103(ref: "C1", beneficiary: "DUPONT SARL"))])
        try F.decideAll(c)
        let rows = try c.query("""
            SELECT p.external_ref, p.status, h.entry_id, h.identifier_type FROM chokepoint.payments p
              LEFT JOIN chokepoint.hits h ON h.payment_id = p.id ORDER BY p.external_ref
            """).rows.map(\.values)
        #expect(rows == [["C1", "released", nil, nil], ["I1", "held", "3001", "IMO"], ["N1", "held", "1001", nil]])
        let holds = try c.query("SELECT external_ref, hits::text FROM chokepoint.open_holds ORDER BY external_ref").rows
        let hits = holds.map { r -> [[String: Any]] in
            (try? JSONSerialization.jsonObject(with: Data((r.string(1) ?? "[]").utf8))) as? [[String: Any]] ?? []
        }
        #expect(holds.map { $0.string(0) } == ["I1", "N1"])
        #expect(hits[0].first?["identifier_type"] as? String == "IMO")
        #expect(hits[0].first?["matched"] as? String == "9074729")
        #expect(hits[1].first?["identifier_type"] == nil)
        #expect(hits[1].first?["entry_id"] as? String == "1001")
    }

    @Test("a released payment whose party's identifier is listed later becomes an alert naming the type")
    func alertWithType() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("R1", F.mt103(ref: "R1", beneficiary: "DUPONT SARL\r\nCHARTER IMO 9074729"))])
        try F.decideAll(c)
        #expect(try F.scalar(c, "SELECT status FROM chokepoint.payments") == "released")
        try F.importList(c, [F.zorbex, Self.vessel], tag: "v2")
        _ = try await F.rescreen(db.conninfo)
        let alerts = try c.query("SELECT external_ref, entry_id, identifier_type FROM chokepoint.open_retrospective_alerts").rows.map(\.values)
        #expect(alerts == [["R1", "3001", "IMO"]])
    }
}
