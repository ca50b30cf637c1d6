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

    @Test("positions archived away are accepted only where the archive's runs cover them and the next row follows their hash")
    func archivedRuns() {
        let rows = Self.chain(8)
        func run(_ a: Int, _ b: Int, hash: String? = nil) -> AuditChain.ArchivedRun {
            AuditChain.ArchivedRun(firstSeq: Int64(a), lastSeq: Int64(b), lastHash: hash ?? rows[b - 1].rowHash!)
        }
        func walk(_ runs: [AuditChain.ArchivedRun], keep: [Int], head: Int = 8) -> AuditChain.Report {
            var w = AuditChain.Walker(archived: runs)
            for i in keep { w.feed(rows[i - 1]) }
            w.finish(head: (Int64(head), rows[head - 1].rowHash!))
            return w.report
        }
        // A month cut away in two runs (a row of the next month committed between two of its rows), two months adjacent.
        let intact = walk([run(1, 2), run(3, 3), run(5, 5)], keep: [4, 6, 7, 8])
        #expect(intact.intact, "\(intact.problems)")
        #expect(intact.positionsArchived == 4)
        // Everything up to the head archived.
        #expect(walk([run(1, 4), run(5, 8)], keep: []).intact)
        #expect(walk([run(1, 8, hash: String(repeating: "b", count: 64))], keep: []).problems == [.archivedHeadMismatch(seq: 8)])
        // A wrong hash in the record, a run missing, a run too short.
        #expect(walk([run(1, 2), run(3, 3, hash: String(repeating: "a", count: 64)), run(5, 5)], keep: [4, 6, 7, 8]).problems
                == [.archiveLinkBroken(id: 4, seq: 4)])
        #expect(walk([run(1, 2), run(5, 5)], keep: [4, 6, 7, 8]).problems == [.deleted(from: 1, to: 3, nextId: 4)])
        #expect(walk([run(2, 3), run(5, 5)], keep: [4, 6, 7, 8]).problems == [.deleted(from: 1, to: 3, nextId: 4)])
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
