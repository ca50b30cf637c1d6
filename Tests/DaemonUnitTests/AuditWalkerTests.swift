import Foundation
import Postgres
import Rescreen
import Screening
import Store
import TestSupport
import Testing

@Suite("audit chain: the walker without a database")
struct AuditWalkerTests {
    /// A well-formed chain of `n` rows.
    static func chain(_ n: Int) -> [AuditChain.Row] {
        var rows: [AuditChain.Row] = []
        var prev = AuditChain.genesis
        for i in 1...n {
            var r = AuditChain.Row(id: Int64(i), seq: Int64(i), prevHash: prev, rowHash: nil, atMicros: String(1_700_000_000_000_000 + i),
                                   actor: "op", action: "decision", paymentId: i % 2 == 0 ? nil : String(i), reason: nil,
                                   detail: "{\"to\": \"held\"}")
            r.rowHash = AuditChain.hash(of: r, seq: Int64(i), prev: prev)
            prev = r.rowHash!
            rows.append(r)
        }
        return rows
    }

    static func walk(_ rows: [AuditChain.Row], head: (Int64, String)? = nil) -> AuditChain.Report {
        var w = AuditChain.Walker()
        for r in rows { w.feed(r) }
        w.finish(head: head)
        return w.report
    }

    @Test("an intact chain verifies; every kind of damage is named by its first row")
    func damage() {
        let rows = Self.chain(6)
        #expect(Self.walk(rows, head: (6, rows[5].rowHash!)).intact)

        var edited = rows
        edited[2].reason = "changed"
        #expect(Self.walk(edited).problems == [.edited(id: 3, seq: 3)])

        var deleted = rows
        deleted.remove(at: 3)
        #expect(Self.walk(deleted).problems == [.deleted(from: 4, to: 4, nextId: 5)])

        #expect(Self.walk(Array(rows.prefix(4)), head: (6, rows[5].rowHash!)).problems == [.tailDeleted(lastPresent: 4, head: 6)])

        var forged = rows
        forged.append(AuditChain.Row(id: 99, seq: nil, prevHash: nil, rowHash: nil, atMicros: "1", actor: "x", action: "release_hold",
                                     paymentId: "1", reason: "forged", detail: "{}"))
        #expect(Self.walk(forged).problems == [.unchained(id: 99)])

        // A row re-hashed in place but no longer linked to the one before it.
        var relinked = rows
        relinked[4].prevHash = String(repeating: "a", count: 64)
        relinked[4].rowHash = AuditChain.hash(of: relinked[4], seq: 5, prev: relinked[4].prevHash!)
        #expect(Self.walk(relinked).problems.first == .unlinked(id: 5, seq: 5))
    }

    @Test("the hash encodes NULL apart from an empty string, and field boundaries")
    func encoding() {
        let base = AuditChain.Row(id: 1, seq: 1, prevHash: nil, rowHash: nil, atMicros: "1", actor: "ab", action: "c",
                                  paymentId: nil, reason: nil, detail: "{}")
        var empty = base
        empty.reason = ""
        var shifted = base
        shifted.actor = "a"
        shifted.action = "bc"
        let h = AuditChain.hash(of: base, seq: 1, prev: AuditChain.genesis)
        #expect(h != AuditChain.hash(of: empty, seq: 1, prev: AuditChain.genesis))
        #expect(h != AuditChain.hash(of: shifted, seq: 1, prev: AuditChain.genesis))
        #expect(h.count == 64)
    }

    @Test("anchor files: lines parsed, comments skipped, malformed lines refused")
    func anchors() throws {
        let h = String(repeating: "ab", count: 32)
        let parsed = try AuditAnchor.parse("# nightly\n2026-12-04T02:00:00Z chain_seq=12 row_hash=\(h)\n\n")
        #expect(parsed == [AuditAnchor(at: "2026-12-04T02:00:00Z", seq: 12, hash: h)])
        #expect(parsed[0].line == "2026-12-04T02:00:00Z chain_seq=12 row_hash=\(h)")
        #expect(throws: AuditAnchor.ParseError.self) { try AuditAnchor.parse("2026-12-04 seq=12 hash=\(h)") }
        #expect(throws: AuditAnchor.ParseError.self) { try AuditAnchor.parse("t chain_seq=12 row_hash=xyz") }
    }
}
