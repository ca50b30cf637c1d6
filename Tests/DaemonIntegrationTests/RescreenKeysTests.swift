import Foundation
import IntegrationSupport
import Postgres
@testable import Rescreen
import Screening
import Store
import TestSupport
import Testing
import Watchlists

/// A delta rescreen that reads only the payments whose stored prefilter keys meet the changed entries' keys
/// finds exactly what a full rescreen finds, for every kind of list change, on payments that name the changed
/// entries the ways payments do (typos, split lines, compound forms, identifiers, BICs), and reads
/// the payments whose keys are unknown (decided before keys were stored) and pending ones.
@Suite("rescreen: the delta prefilter keys", .enabled(if: TestDatabase.enabled))
struct RescreenKeysTests {
    typealias F = RescreenFixtures

    static func entity(_ id: String, _ names: [String], bics: [String] = [], identifiers: [EntryIdentifier] = []) -> ListEntry {
        ListEntry(sourceId: id, type: .entity, names: names.enumerated().map { EntryName(name: $1, kind: $0 == 0 ? "primary" : "aka", strength: .strong) },
                  bics: bics, identifiers: identifiers)
    }

    static let v1: [ListEntry] = [
        entity("K1", ["VOLKOV MARITIME SHIPPING LLC"]),
        entity("K2", ["KORVET ARMATURA"]),
        entity("K3", ["RB HOLDING OOO", "ZENITH CAPITAL GROUP"]),
        entity("K4", ["INTERTRADE CONSOLIDATED"], identifiers: [EntryIdentifier(type: "Passport", value: "XK7781234")]),
        entity("K5", ["HELIOS ORBITAL DYNAMICS"]),
        entity("K6", ["GRANITE ORBITAL DYNAMICS"]),
    ]

    /// v1 changed in every way: a new alias (K2), a removed alias (K3), a changed identifier (K4), new entries
    /// (N1 a person, N2 an entity with a BIC, N3 a one-word compound name); K5's good guy is revoked separately.
    static var v2: [ListEntry] {
        var v = v1
        v[1].names.append(EntryName(name: "BELVNESHPROMSERVICE", kind: "aka", strength: .strong))
        v[2].names.removeLast()
        v[3].identifiers = [EntryIdentifier(type: "Passport", value: "QZ5550123")]
        v.append(ListEntry(sourceId: "N1", type: .person, names: [EntryName(name: "SOKOLOV, Dmitri Ivanovich", kind: "primary", strength: .strong)]))
        v.append(entity("N2", ["TARKOV MARINE SUPPLY"], bics: ["TRKVAEAD"]))
        v.append(entity("N3", ["NORDVENTAKSIMUS"]))
        return v
    }

    static func mt103(ref: String, orderer: [String], beneficiary: [String], bank: String, remittance: [String]) -> String {
        "{1:F01DEUTDEFFAXXX0000000000}{2:I103BNPAFRPPXXXXN}{4:\r\n:20:\(ref)\r\n:23B:CRED\r\n:32A:251017EUR100,00\r\n"
            + ":50K:/DE89370400440532013000\r\n\(orderer.joined(separator: "\r\n"))\r\n:57A:\(bank)\r\n"
            + ":59:/FR1420041010050500013M02606\r\n\(beneficiary.joined(separator: "\r\n"))\r\n:70:\(remittance.joined(separator: "\r\n"))\r\n:71A:SHA\r\n-}"
    }

    /// Names as payments write them: of changed entries (exact and fuzzy), of unchanged ones, and clean ones.
    static let names: [[String]] = [
        ["SOKOLOV DMITRI IVANOVICH"], ["DMITRI SOKOLOV"], ["DMITRIY SOKOLOV", "UL. LENINA 4"], ["SOKOLOV DMITRI"],
        ["SOKOLOW DMITRI IVANOVICH"],
        ["TARKOV MARINE SUPPLY"], ["TARKOV MARINE SUPPLY CO"], ["TARKOW MARINE SUPPLY"], ["TARKOV MARINE SUP", "PLY LTD"], ["TARKOVMARINESUPPLY"],
        ["NORDVENTAKSIMUS"], ["NORDVENT AKSIMUS"], ["NORDVEN", "TAKSIMUS"], ["NORDVENTAKSIMUS LLC"],
        ["BELVNESHPROMSERVICE"], ["BELVNESH PROM SERVICE"], ["BELVNESHPROMSERVISE"],
        ["KORVET ARMATURA"], ["ZENITH CAPITAL GROUP"], ["RB HOLDING OOO"], ["RBHOLDING OOO"],
        ["INTERTRADE CONSOLIDATED"], ["HELIOS ORBITAL DYNAMICS"], ["GRANITE ORBITAL DYNAMICS"], ["VOLKOV MARITIME SHIPPING"],
        ["DUPONT SARL"], ["MUELLER GMBH", "HAUPTSTRASSE 1", "BERLIN"], ["NORDIC TIMBER AB"], ["ATLANTIC FOODS LTD"], ["CASA VERDE SPA"],
        ["IBERIA SOLAR SL"], ["ALPINE OPTICS AG"], ["BALTIC FERRY OY"],
    ]
    static let remittances: [[String]] = [
        ["INVOICE 1"], ["PASSPORT XK7781234"], ["PASSPORT QZ5550123"], ["PASSPORT QZ 555", "0123 OF DIRECTOR"], ["SPARE PARTS"],
        ["ON BEHALF OF TARKOV MARINE", "SUPPLY"], ["INVOICE 2025-0113"],
    ]
    static let banks = ["BNPAFRPP", "TRKVAEAD", "TRKVAEADXXX", "DEUTDEFF", "BKAUATWW"]

    /// Lists v1, ~300 payments decided against it (keys stored for most), a good guy on K5 that is revoked, a
    /// released hold, some payments whose keys are unknown and some still pending; then lists v2.
    static func fixture(_ c: Connection) throws {
        try F.importList(c, v1, tag: "v1")
        try F.addGoodGuy(c, field: "beneficiary", matched: "HELIOS ORBITAL DYNAMICS", entryId: "K5")
        var payments: [(String, String)] = []
        // A fixed linear congruential sequence: the same payments in both databases and on every run.
        var state: UInt64 = 17
        func pick<T>(_ a: [T]) -> T {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return a[Int(state >> 33) % a.count]
        }
        for i in 0..<300 {
            payments.append(("K\(i)", mt103(ref: "K\(i)", orderer: pick(names), beneficiary: pick(names), bank: pick(banks), remittance: pick(remittances))))
        }
        try F.insert(c, payments)
        try F.decideAll(c, recordingKeys: true)
        // Payments decided before keys were stored: their keys are unknown.
        try c.query("""
            UPDATE chokepoint.payment_screening_keys SET keys = NULL
             WHERE payment_id IN (SELECT id FROM chokepoint.payments WHERE external_ref ~ '^K[0-9]*[05]$')
            """)
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET status = 'released', decided_at = now() WHERE status = 'held' AND external_ref ~ '^K[0-9]*7$'")
        try c.query("UPDATE chokepoint.good_guys SET revoked_at = now(), revoked_by = 'x', revoke_reason = 'wrong'")
        // Still pending when the lists change (no keys row yet).
        try F.insert(c, [("PEND2", mt103(ref: "PEND2", orderer: ["MUELLER GMBH"], beneficiary: ["DUPONT SARL"], bank: "BNPAFRPP",
                                         remittance: ["INVOICE 1"])),
                         // Cyrillic is outside the MT character set: held as unparseable, so its keys stay unknown.
                         ("BAD1", mt103(ref: "BAD1", orderer: ["MUELLER GMBH"], beneficiary: ["СОКОЛОВ ДМИТРИЙ ИВАНОВИЧ"], bank: "BNPAFRPP",
                                        remittance: ["INVOICE 1"]))])
        try F.decideAll(c, recordingKeys: true)
        try F.insert(c, [("PEND1", mt103(ref: "PEND1", orderer: ["MUELLER GMBH"], beneficiary: ["TARKOV MARINE SUPPLY"], bank: "BNPAFRPP",
                                         remittance: ["INVOICE 1"]))])
        // Decided earlier than the last hour: a delta run reads the payments decided around its key lookup anyway.
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET decided_at = decided_at - interval '2 hours' WHERE status <> 'pending'")
        try F.importList(c, v2, tag: "v2")
    }

    @Test("delta with keys finds exactly what full finds: new entry, new alias, removed alias, changed identifier, revoked good guy")
    func deltaWithKeysEqualsFull() async throws {
        let pair = try F.DeltaAndFull(Self.fixture)
        defer { pair.close() }
        let (dc, fc, deltaDB) = (pair.dc, pair.fc, pair.delta)
        let unknown = try F.count(dc, "SELECT count(*) FROM chokepoint.payment_screening_keys WHERE keys IS NULL")
        #expect(unknown >= 50)

        let (delta, full) = try await pair.rescreen()
        #expect(delta.mode == "delta")
        #expect(full.mode == "full")
        #expect(full.paymentsScreened == 303)   // 300, PEND2 and BAD1 (decided later), PEND1 (pending)
        // Read: the payments whose keys are unknown, the pending ones, and those whose keys meet a changed entry's.
        #expect(delta.paymentsScreened >= unknown + 1)
        #expect(delta.paymentsScreened < full.paymentsScreened)
        let d = try RescreenTests.findings(dc), f = try RescreenTests.findings(fc)
        #expect(d == f)
        #expect(delta.newAlerts == full.newAlerts && delta.newHits == full.newHits)
        let entries = Set(d.compactMap { $0[5] })
        #expect(entries == ["N1", "N2", "N3", "K2", "K4", "K5"], "\(entries)")
        #expect(d.contains { $0[0] == "alert" } && d.contains { $0[0] == "hit" })
        // Every rule was exercised: names (fuzzy, split, compound, Cyrillic), a BIC, an identifier.
        let matched = Set(d.compactMap { $0[6] })
        for m in ["TRKVAEAD", "QZ5550123", "NORDVENTAKSIMUS", "NORDVEN TAKSIMUS", "TARKOV MARINE SUP PLY", "TARKOW MARINE SUPPLY", "BELVNESHPROMSERVISE"] {
            #expect(matched.contains { $0.contains(m) || m.contains($0) }, "\(m) not among \(matched.sorted())")
        }

        // The run stored the keys it did not know; the next delta run (nothing changed) reads nothing.
        let left = try dc.query("""
            SELECT p.external_ref || ' ' || p.status FROM chokepoint.payment_screening_keys k JOIN chokepoint.payments p ON p.id = k.payment_id
             WHERE k.keys IS NULL
            """).rows.compactMap { $0.string(0) }
        #expect(left == ["BAD1 held"], "keys still unknown: \(left)")
        let again = try await F.rescreen(deltaDB.conninfo)
        #expect(again.mode == "delta")
        // BAD1 (unparseable, keys unknown), PEND1 (pending), and the payments that name K5: its good guy was revoked
        // less than a minute before the first run started, which counts as after it (`RescreenPlan.clockSlack`).
        #expect(again.paymentsScreened >= 2 && again.paymentsScreened < delta.paymentsScreened)
        #expect(again.newAlerts == 0 && again.newHits == 0)
    }

    @Test("the daemon stores each decided payment's keys with --screening-keys; without it the rows say unknown, for the next rescreen")
    func daemonStoresKeysWhenAsked() async throws {
        for record in [true, false] {
            let db = try TestDatabase.create()
            defer { db.drop() }
            let c = try db.connect()
            defer { c.close() }
            try F.importList(c, [F.zorbex], tag: "v1")
            let screener = PolicyScreener(data: try ListStore.loadScreeningData(c))
            try F.insert(c, (0..<20).map { ("K\($0)", F.mt103(ref: "K\($0)", beneficiary: $0 % 4 == 0 ? "ZORBEX HEAVY INDUSTRIES" : "HARMLESS BAKERY \($0)")) })
            let d = RunningDaemon(db, screener: screener, recordScreeningKeys: record)
            #expect(await eventually { (try? c.query("SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'").scalar) == "0" })
            try await d.stop()
            #expect(try c.query("SELECT count(*) FROM chokepoint.payment_screening_keys").scalar == "20")
            let known = try c.query("SELECT count(*) FROM chokepoint.payment_screening_keys WHERE keys IS NOT NULL AND cardinality(keys) > 0").scalar
            #expect(known == (record ? "20" : "0"), "record \(record)")
        }
    }

    /// v0 {Z}; P, naming Y, held at v0 for its Russian bank only; v1 {Z, Y}; P released by an operator; v0's
    /// entries gone (P's baseline can no longer be compared entry by entry); payments decided at v1 with keys; v2 adds N.
    static func oldHoldFixture(_ c: Connection) throws {
        let v0 = try F.importList(c, [F.zorbex], tag: "v0")
        try F.insert(c, [("P", F.mt103(ref: "P", beneficiary: "YARROWBY PRECISION OPTICS", bank: "SABRRUMM"))])
        try F.decideAll(c, recordingKeys: true)
        let y = F.entity("2002", "YARROWBY PRECISION OPTICS"), n = F.entity("3003", "NOVELTRIX AVIONICS")
        _ = try F.importList(c, [F.zorbex, y], tag: "v1")
        try F.insert(c, (0..<6).map { ("Q\($0)", F.mt103(ref: "Q\($0)", beneficiary: $0 == 0 ? "NOVELTRIX AVIONICS" : "HARMLESS BAKERY \($0)")) })
        try F.decideAll(c, recordingKeys: true)
        try c.transaction { c in
            try c.query("SET LOCAL ROLE chokepoint_operator")
            #expect(try c.query("SELECT chokepoint.release_hold(id, 'correspondent confirmed licence') FROM chokepoint.payments WHERE external_ref = 'P'")
                .scalar == "released")
        }
        try F.rewriteHistory(c, "DELETE FROM chokepoint.list_entries WHERE version_id = \(v0)")
        // Decided earlier than the last hour, so that a delta run reads P only if it knows P's baseline is unusable.
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET decided_at = decided_at - interval '2 hours'")
        _ = try F.importList(c, [F.zorbex, y, n], tag: "v2")
    }

    @Test("a hold released by an operator long after the run that held it: a keyed delta run still sees that run's baseline")
    func operatorReleaseOfAnOldHold() async throws {
        let pair = try F.DeltaAndFull(Self.oldHoldFixture)
        defer { pair.close() }
        // The release recorded the run that held P (the only payment of that run) as one that released a payment today.
        let days = try pair.dc.query("""
            SELECT count(*) FROM chokepoint.payment_release_days AS d JOIN chokepoint.payments AS p ON p.screening_run_id = d.screening_run_id
             WHERE p.external_ref = 'P' AND d.decided_on = (now() AT TIME ZONE 'UTC')::date
            """).scalar
        #expect(days == "1")
        let (delta, full) = try await pair.rescreen()
        // P's baseline cannot be screened in delta, so the run reads every payment in scope rather than the keyed few.
        #expect(delta.paymentsScreened == full.paymentsScreened)
        let d = try RescreenTests.findings(pair.dc), f = try RescreenTests.findings(pair.fc)
        #expect(d == f)
        // P now names a listed entry (Y, added after P's baseline, which is gone), and Q0 the new one (N).
        #expect(Set(d.compactMap { $0[5] }) == ["2002", "3003"], "\(d)")
    }

    @Test("the next night's keyed run reads only the payments that meet the entries changed since the previous run")
    func nightAfterNight() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        let x2 = F.entity("2002", "YARROWBY PRECISION OPTICS"), x3 = F.entity("3003", "NOVELTRIX AVIONICS")
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("P2", F.mt103(ref: "P2", beneficiary: "YARROWBY PRECISION OPTICS")), ("P3", F.mt103(ref: "P3", beneficiary: "NOVELTRIX AVIONICS")),
                         ("C", F.mt103(ref: "C", beneficiary: "HARMLESS BAKERY"))])
        try F.decideAll(c, recordingKeys: true)
        // Decided earlier than the last hour (a delta run reads the payments decided around its key lookup anyway).
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET decided_at = decided_at - interval '2 hours'")
        try F.importList(c, [F.zorbex, x2], tag: "v2")
        let first = try await F.rescreen(db.conninfo)
        #expect(first.mode == "delta" && first.paymentsScreened == 1 && first.newAlerts == 1)
        try F.importList(c, [F.zorbex, x2, x3], tag: "v3")
        // P2 names an entry changed since the payments' own baseline (v1), but the first run covered it at v2:
        // only P3 is read.
        let second = try await F.rescreen(db.conninfo)
        #expect(second.mode == "delta")
        #expect(second.paymentsScreened == 1)
        #expect(second.newAlerts == 1)
        #expect(try F.scalar(c, """
            SELECT string_agg(p.external_ref || ':' || a.entry_id, ',' ORDER BY a.id) FROM chokepoint.retrospective_alerts a
              JOIN chokepoint.payments p ON p.id = a.payment_id
            """) == "P2:2002,P3:3003")
    }

    @Test("a keyed run also reads the payments decided in the hour before its key lookup (their keys may have committed after it), and no older ones")
    func decidedAroundTheLookup() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("OLD", F.mt103(ref: "OLD", beneficiary: "HARMLESS BAKERY")), ("RECENT", F.mt103(ref: "RECENT", beneficiary: "HARMLESS DAIRY"))])
        try F.decideAll(c, recordingKeys: true)
        // A decision stamped half an hour before the lookup is one whose transaction may have been open during it
        // (its keys unseen by the lookup); one stamped two hours before is not.
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET decided_at = decided_at - interval '2 hours' WHERE external_ref = 'OLD'")
        try F.rewriteHistory(c, "UPDATE chokepoint.payments SET decided_at = decided_at - interval '30 minutes' WHERE external_ref = 'RECENT'")
        try F.importList(c, [F.zorbex, F.entity("2002", "YARROWBY PRECISION OPTICS")], tag: "v2")
        let run = try await F.rescreen(db.conninfo)
        #expect(run.mode == "delta")
        // Neither payment's keys meet the new entry's: RECENT is read for its decision time alone, OLD not at all.
        #expect(run.paymentsScreened == 1)
        #expect(run.newAlerts == 0)
    }

    /// The planner's estimate for `&&` with thousands of keys is most of the table, so with an id range the
    /// primary key could serve it chose the primary key and tested `&&` row by row: a minute for a delta run's
    /// lookup over 50,000 payments. Thousands of keys and a bounded range are what a nightly run's lookups are.
    @Test("the keyed lookup goes through the GIN index even when an id range bounds it, and cuts by that range")
    func keyLookupPlan() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        // 5,000 rows of 300 odd keys (md5-derived, the same on every run); rows 42 and 4,000 also hold key 8.
        // The lookup's keys are even, so only that one meets them.
        try c.query("""
            INSERT INTO chokepoint.payment_screening_keys (payment_id, keys)
            SELECT i, ARRAY(SELECT ('x' || md5(i || ':' || g))::bit(32)::integer | 1 FROM generate_series(1, 300) AS g)
                      || CASE WHEN i IN (42, 4000) THEN ARRAY[8] ELSE ARRAY[]::integer[] END
              FROM generate_series(1, 5000) AS i
            """)
        try c.query("ANALYZE chokepoint.payment_screening_keys")
        let many = (1...3_000).map { Int32(truncatingIfNeeded: $0 &* 2_654_435_761) & ~1 } + [8]
        for (after, through) in [(nil, "5001"), ("100", nil), ("10", "4500"), (nil, nil)] as [(String?, String?)] {
            let plan = try c.transaction { c in
                for setting in RescreenStore.keyLookupSettings { try c.query(setting) }
                return try c.query("EXPLAIN " + RescreenStore.keyLookupSQL, [PostgresArray.integers(many), after, through])
                    .rows.compactMap { $0.string(0) }.joined(separator: "\n")
            }
            #expect(plan.contains("payment_screening_keys_keys_idx"), "\(after ?? "-")..\(through ?? "-"): \(plan)")
            #expect(!plan.contains("payment_screening_keys_pkey"), "\(after ?? "-")..\(through ?? "-"): \(plan)")
        }
        func matches(after: Int64?, through: Int64?) throws -> [Int64] {
            try RescreenStore.keyedMatches(c, lookups: [.init(keys: many, after: after, through: through)]).ids
        }
        #expect(try matches(after: nil, through: nil) == [42, 4000])
        #expect(try matches(after: nil, through: 4000) == [42, 4000])
        #expect(try matches(after: nil, through: 3999) == [42])
        #expect(try matches(after: 42, through: nil) == [4000])
        #expect(try matches(after: 41, through: 42) == [42])
        #expect(try matches(after: 4000, through: nil) == [])
    }

    @Test("one statement trigger gives the payments a batch decides their rows of unknown keys; keys the decision carries, or written first, stay; inserted decided payments get theirs")
    func keysRowsPerBatch() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        // Statement-level (tgtype bit 0 clear), so a batch of 500 decisions makes one call, not 500.
        #expect(try F.scalar(c, """
            SELECT (tgtype & 1) = 0 FROM pg_trigger WHERE tgrelid = 'chokepoint.payments'::regclass AND tgname = 'payments_screening_keys_update'
            """) == "t")
        try F.insert(c, ["A", "B", "C", "D"].map { ($0, F.mt103(ref: $0, beneficiary: "DUPONT SARL")) })
        let id = { (ref: String) throws -> Int64 in
            Int64(try F.scalar(c, "SELECT id FROM chokepoint.payments WHERE external_ref = $1", [ref]) ?? "") ?? -1
        }
        let keysOf = { (ref: String) throws -> String? in
            try F.scalar(c, """
                SELECT coalesce(k.keys::text, 'unknown') FROM chokepoint.payment_screening_keys k
                  JOIN chokepoint.payments p ON p.id = k.payment_id WHERE p.external_ref = $1
                """, [ref])
        }
        let run = try PaymentStore.startRun(c, kind: "daemon", host: "test", pid: 1, listVersions: "{}")
        try c.transaction { c in
            // B's keys travel with its decision (as the daemon records them with --screening-keys, in the record
            // statement); C's were stored before (as a rescreen stores a pending payment's), and its decision's differ.
            try PaymentStore.storeScreeningKeys(c, [(try id("C"), [1, 2])])
            var b = Decision(hits: []), cc = Decision(hits: [])
            b.screeningKeys = [7, 8, 9]
            cc.screeningKeys = [3]
            try PaymentStore.record(c, runId: run, decisions: [(try id("A"), Decision(hits: [])), (try id("B"), b), (try id("C"), cc)])
        }
        #expect(try keysOf("A") == "unknown")
        #expect(try keysOf("B") == "{7,8,9}")
        #expect(try keysOf("C") == "{1,2}")
        #expect(try keysOf("D") == nil)
        // An update that decides nothing adds nothing: D is still pending.
        try c.query("UPDATE chokepoint.payments SET status = 'pending' WHERE external_ref = 'D'")
        #expect(try keysOf("D") == nil)
        // D decided alone later; the others' rows are left as they were.
        try PaymentStore.record(c, runId: run, decisions: [(try id("D"), Decision(hits: []))])
        #expect(try keysOf("D") == "unknown")
        #expect(try keysOf("B") == "{7,8,9}")
        #expect(try keysOf("C") == "{1,2}")
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.payment_screening_keys") == 4)
        // A payment inserted already decided gets its row from the insert trigger.
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message, status, decided_at, screened_at, screening_run_id)
            VALUES ('E', 'mt103', $1, 'released', now(), now(), $2)
            """, [F.mt103(ref: "E", beneficiary: "DUPONT SARL"), String(run)])
        #expect(try keysOf("E") == "unknown")
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.payment_screening_keys") == 5)
    }

    @Test("only the daemon role writes and reads the keys; the trigger gives every decided payment a row")
    func privileges() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("A", F.mt103(ref: "A", beneficiary: "DUPONT SARL")), ("B", F.mt103(ref: "B", beneficiary: "ZORBEX HEAVY INDUSTRIES"))])
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.payment_screening_keys") == 0)
        try F.decideAll(c)
        // Decided without keys: each has a row saying its keys are unknown.
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.payment_screening_keys WHERE keys IS NULL") == 2)
        for role in ["chokepoint_submitter", "chokepoint_operator", "chokepoint_auditor"] {
            for sql in ["SELECT count(*) FROM chokepoint.payment_screening_keys",
                        "UPDATE chokepoint.payment_screening_keys SET keys = '{1}'",
                        "DELETE FROM chokepoint.payment_screening_keys",
                        "INSERT INTO chokepoint.payment_screening_keys (payment_id, keys) SELECT max(id) + 1, '{1}' FROM chokepoint.payments"] {
                #expect(throws: (any Error).self, "\(role): \(sql)") {
                    try c.transaction { c in
                        try c.query("SET LOCAL ROLE \(role)")
                        try c.query(sql)
                    }
                }
            }
            // A trigger function cannot be called in a query by anybody (the parser refuses it before any privilege
            // check), so the privilege itself is what is checked.
            for function in ["payment_screening_keys_row", "payment_screening_keys_rows"] {
                #expect(try F.scalar(c, "SELECT has_function_privilege($1, $2, 'EXECUTE')", [role, "chokepoint.\(function)()"]) == "f",
                        "\(role) may execute \(function)")
            }
        }
        // The baselines' table: read by the daemon (the rescreen), written by nobody but the trigger.
        #expect(try F.count(c, "SELECT count(*) FROM chokepoint.payment_release_days") == 1)
        for role in ["chokepoint_submitter", "chokepoint_operator", "chokepoint_auditor", "chokepoint_daemon"] {
            var refused = ["INSERT INTO chokepoint.payment_release_days VALUES (1, current_date)",
                           "UPDATE chokepoint.payment_release_days SET decided_on = current_date",
                           "DELETE FROM chokepoint.payment_release_days",
                           "SELECT chokepoint.payment_release_days_add()"]
            if role != "chokepoint_daemon" { refused.append("SELECT count(*) FROM chokepoint.payment_release_days") }
            for sql in refused {
                #expect(throws: (any Error).self, "\(role): \(sql)") {
                    try c.transaction { c in
                        try c.query("SET LOCAL ROLE \(role)")
                        try c.query(sql)
                    }
                }
            }
        }
        try c.transaction { c in
            try c.query("SET LOCAL ROLE chokepoint_daemon")
            #expect(try F.count(c, "SELECT count(*) FROM chokepoint.payment_release_days") == 1)
        }
        // The daemon may read and fill unknown keys, but not delete rows.
        try c.transaction { c in
            try c.query("SET LOCAL ROLE chokepoint_daemon")
            try c.query("UPDATE chokepoint.payment_screening_keys SET keys = '{7}' WHERE keys IS NULL")
            #expect(try F.count(c, "SELECT count(*) FROM chokepoint.payment_screening_keys WHERE keys = '{7}'") == 2)
        }
        #expect(throws: (any Error).self) {
            try c.transaction { c in
                try c.query("SET LOCAL ROLE chokepoint_daemon")
                try c.query("DELETE FROM chokepoint.payment_screening_keys")
            }
        }
    }
}
