import Daemon
import Foundation
import Logging
import Postgres
import Screening
import Store
import TestSupport
import Testing
import Watchlists

enum ListFixtures {
    /// A tiny OFAC legacy CSV set (no header, `-0- ` nulls, CRLF, 0x1A last line).
    static func sdn(extraEntity: String? = nil, more: [String] = []) -> [ListFile] {
        var sdn = "1001,\"VOLGA PRECISION INSTRUMENTS LLC\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"Website www.vpi.example; a.k.a. 'VPI'.\"\r\n"
        sdn += "1002,\"KARPENKO, Dmitri Alexandrovich\",\"individual\",\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"DOB 01 Jan 1970.\"\r\n"
        sdn += "1003,\"GOLDEN HORIZON TRADING FZE\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"SWIFT/BIC GHTRAEAD; Website x.example.\"\r\n"
        if let extraEntity {
            sdn += "1004,\"\(extraEntity)\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        }
        for (i, name) in more.enumerated() {
            sdn += "\(2000 + i),\"\(name)\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n"
        }
        sdn += "\u{1A}\r\n"
        let alt = "1001,501,\"aka\",\"VOLGAPRIBOR\",-0- \r\n\u{1A}\r\n"
        return [ListFile(name: "sdn.csv", text: sdn), ListFile(name: "alt.csv", text: alt)]
    }

    static func importSDN(_ c: Connection, extraEntity: String? = nil, more: [String] = []) throws -> ListStore.ImportResult {
        let files = sdn(extraEntity: extraEntity, more: more)
        return try ListStore.importList(c, parsed: ListParser.parse(source: .ofacSDN, contents: files), files: files)
    }

    static func banks() -> [ListFile] {
        [ListFile(name: "banks.csv", text: "bic,name,is_russia\nLENDRUMM,LENDER BANK PJSC,yes\n")]
    }
}

@Suite("watchlists in PostgreSQL", .enabled(if: TestDatabase.enabled))
struct ListStoreTests {
    @Test("an import creates one current version; the same files again change nothing; new files make a new version")
    func versions() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let first = try ListFixtures.importSDN(c)
        #expect(!first.unchanged)
        #expect(first.entries == 3)
        #expect(first.bics == 1)
        let again = try ListFixtures.importSDN(c)
        #expect(again.unchanged)
        #expect(again.versionId == first.versionId)
        let second = try ListFixtures.importSDN(c, extraEntity: "NORTHERN LIGHTS ELECTRONICS JSC")
        #expect(!second.unchanged)
        #expect(second.versionId != first.versionId)
        let status = try ListStore.status(c)
        #expect(status.map(\.source) == ["ofac-sdn"])
        #expect(status.first?.versionId == second.versionId)
        #expect(status.first?.entries == 4)
        #expect(try c.query("SELECT count(*) FROM chokepoint.list_versions WHERE source = 'ofac-sdn'").scalar == "2")
        #expect(try c.query("SELECT count(*) FROM chokepoint.audit_log WHERE action = 'list_version_loaded'").scalar == "2")
    }

    @Test("an import that fails half-way leaves the version in force untouched")
    func failedImportChangesNothing() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let first = try ListFixtures.importSDN(c)
        // Make the database refuse one entry of the next version, after others were written.
        try c.executeScript("""
            CREATE FUNCTION public.boom() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.source_id = '1004' THEN RAISE EXCEPTION 'disk trouble'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER boom BEFORE INSERT ON chokepoint.list_entries FOR EACH ROW EXECUTE FUNCTION public.boom();
            """)
        #expect(throws: PostgresError.self) { try ListFixtures.importSDN(c, extraEntity: "NORTHERN LIGHTS ELECTRONICS JSC") }
        #expect(try ListStore.status(c).first?.versionId == first.versionId)
        #expect(try c.query("SELECT count(*) FROM chokepoint.list_versions").scalar == "1")
        #expect(try c.query("SELECT count(*) FROM chokepoint.list_entries WHERE source_id = '1004'").scalar == "0")
    }

    @Test("migrate loads the default indicators once: 50 CHPL codes, keywords, country sets")
    func defaultIndicators() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        #expect(try ListStore.installDefaultIndicatorsIfMissing(c))
        #expect(try !ListStore.installDefaultIndicatorsIfMissing(c))
        #expect(try c.query("SELECT count(*) FROM chokepoint.indicator_hs_codes").scalar == "50")
        #expect(try c.query("SELECT count(*) FROM chokepoint.indicator_hs_codes WHERE code = '854231' AND tier = '1'").scalar == "1")
        #expect(try c.query("SELECT string_agg(country, ',' ORDER BY country) FROM chokepoint.country_sets WHERE set_name = 'risk'").scalar == "BY,RU")
        #expect(try (c.query("SELECT count(*) FROM chokepoint.indicator_keywords WHERE kind = 'keyword'").scalar.flatMap(Int.init) ?? 0) > 100)
        let data = try ListStore.loadScreeningData(c)
        #expect(data.indicators.hsCodes.count == 50)
        #expect(!data.hasSanctionsList)
    }

    @Test("changing the country sets by SQL is audited and reaches the screener")
    func countrySetsAreData() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try ListStore.installDefaultIndicatorsIfMissing(c)
        // Four eyes: one policy admin requests, another applies; the audit row carries old and new values.
        let a = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "pa", memberOf: "chokepoint_policy_admin")))
        let b = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "pb", memberOf: "chokepoint_policy_admin")))
        let set = try c.query("SELECT jsonb_agg(country ORDER BY country) FILTER (WHERE country <> 'KZ') FROM chokepoint.country_sets WHERE set_name = 'transshipment'").scalar!
        let request = try a.query("SELECT chokepoint.request_policy_change(jsonb_build_object('kind', 'country_set', 'set', 'transshipment', 'countries', $1::jsonb), 'we are a Kazakh bank')", [set]).scalar!
        #expect(try c.query("SELECT count(*) FROM chokepoint.country_sets WHERE set_name = 'transshipment' AND country = 'KZ'").scalar == "1")
        #expect(try b.query("SELECT chokepoint.apply_policy_change($1, 'agreed')", [request]).scalar == "applied")
        let audit = try c.query("""
            SELECT reason, detail->>'operation', detail->'old'->0->>'country', jsonb_array_length(detail->'old')
              FROM (SELECT * FROM chokepoint.audit_log WHERE action = 'policy_data_changed' ORDER BY id DESC LIMIT 1) AS a
            """).rows[0].values
        #expect(audit[0]?.contains("we are a Kazakh bank") == true)
        #expect(Array(audit.dropFirst()) == ["DELETE", "KZ", "1"])
        let data = try ListStore.loadScreeningData(c)
        #expect(data.indicators.countrySets["transshipment"]?.contains("KZ") == false)
        #expect(data.indicators.countrySets["transshipment"]?.contains("AM") == true)
    }
}

@Suite("the daemon and list changes", .enabled(if: TestDatabase.enabled), .serialized)
struct DaemonListReloadTests {
    static func beneficiaryPayment(_ ref: String, name: String) -> String {
        "{1:F01DEUTDEFFAXXX0000000000}{2:I103BNPAFRPPXXXXN}{4:\r\n:20:\(ref)\r\n:23B:CRED\r\n:32A:251017EUR100,00\r\n:50K:/DE89370400440532013000\r\nMUELLER GMBH\r\n:57A:BNPAFRPP\r\n:59:/FR1420041010050500013M02606\r\n\(name)\r\nPARIS\r\n:71A:SHA\r\n-}"
    }

    static func status(_ c: Connection, _ ref: String) throws -> String? {
        try c.query("SELECT status FROM chokepoint.payments WHERE external_ref = $1", [ref]).scalar
    }

    static func insert(_ c: Connection, _ ref: String, name: String) throws {
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ($1, 'mt103', $2)", [ref, beneficiaryPayment(ref, name: name)])
    }

    @Test("a new list version reaches a running daemon without a restart; good guys suppress and expire")
    func reloadAndGoodGuys() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try ListStore.installDefaultIndicatorsIfMissing(c)
        // No sanctions list: fail closed.
        var config = DaemonConfiguration(conninfo: db.conninfo)
        config.pollInterval = 0.2
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let daemon = Daemon(config: config, loader: ScreenerLoading.loader(logger: logger), logger: logger)
        let task = Task { try await daemon.run() }
        try Self.insert(c, "A1", name: "NORTHERN LIGHTS ELECTRONICS JSC")
        #expect(await eventually { (try? Self.status(c, "A1")) == "held" })
        #expect(try c.query("SELECT reasons::text FROM chokepoint.payments WHERE external_ref = 'A1'").scalar == "{lists_unavailable}")

        // Import a list while the daemon runs: the next payment is screened against it.
        _ = try ListFixtures.importSDN(c)
        let generation = daemon.screeners.current.generation
        #expect(await eventually { daemon.screeners.current.generation > generation || daemon.screeners.current.listVersions.contains("ofac-sdn") })
        #expect(await eventually { daemon.screeners.current.listVersions.contains("ofac-sdn") })
        try Self.insert(c, "A2", name: "NORTHERN LIGHTS ELECTRONICS JSC")
        try Self.insert(c, "A3", name: "VOLGA PRECISION INSTRUMENTS LLC")
        #expect(await eventually { (try? Self.status(c, "A2")) == "released" && (try? Self.status(c, "A3")) == "held" })

        // A new version names the other company: held from now on.
        _ = try ListFixtures.importSDN(c, extraEntity: "NORTHERN LIGHTS ELECTRONICS JSC")
        #expect(await eventually {
            let v = daemon.screeners.current.listVersions
            return (try? c.query("SELECT id FROM chokepoint.list_versions WHERE source = 'ofac-sdn' AND is_current").scalar).map { v.contains($0) } ?? false
        })
        try Self.insert(c, "A4", name: "NORTHERN LIGHTS ELECTRONICS JSC")
        #expect(await eventually { (try? Self.status(c, "A4")) == "held" })

        // The operator marks A3's hit as a false positive: the same party is released next time.
        let hit = try c.query("SELECT h.id FROM chokepoint.hits h JOIN chokepoint.payments p ON p.id = h.payment_id WHERE p.external_ref = 'A3' AND h.kind = 'sanctioned_party'").scalar!
        let beforeGoodGuy = daemon.screeners.current.generation
        // Four eyes: one operator's request changes nothing; a second operator's confirmation is in force.
        let opA = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "gga", memberOf: "chokepoint_operator")))
        let opB = try Connection(conninfo: db.conninfo(user: db.createLoginRole(prefix: "ggb", memberOf: "chokepoint_operator")))
        let requested = try opA.query("SELECT chokepoint.add_good_guy($1, 'different company, same name: registry 12345')", [hit]).scalar
        #expect(try c.query("SELECT count(*) FROM chokepoint.active_good_guys").scalar == "0")
        #expect(try opB.query("SELECT chokepoint.add_good_guy($1, 'agreed: registry 12345 is not the listed company')", [hit]).scalar == requested)
        #expect(await eventually { daemon.screeners.current.generation > beforeGoodGuy })
        try Self.insert(c, "A5", name: "VOLGA PRECISION INSTRUMENTS LLC")
        #expect(await eventually { (try? Self.status(c, "A5")) == "released" })
        #expect(try c.query("SELECT count(*) FROM chokepoint.audit_log WHERE action = 'good_guy_added'").scalar == "1")

        // When the entry changes in a new version, the suppression no longer applies.
        var files = ListFixtures.sdn(extraEntity: "NORTHERN LIGHTS ELECTRONICS JSC")
        files[0] = ListFile(name: "sdn.csv", text: String(decoding: files[0].bytes, as: UTF8.self).replacingOccurrences(of: "Website www.vpi.example", with: "Website www.vpi-new.example"))
        let beforeChange = daemon.screeners.current.generation
        _ = try ListStore.importList(c, parsed: ListParser.parse(source: .ofacSDN, contents: files), files: files)
        #expect(try c.query("SELECT count(*) FROM chokepoint.active_good_guys").scalar == "0")
        #expect(await eventually { daemon.screeners.current.generation > beforeChange })
        try Self.insert(c, "A6", name: "VOLGA PRECISION INSTRUMENTS LLC")
        #expect(await eventually { (try? Self.status(c, "A6")) == "held" })

        daemon.requestShutdown()
        try await task.value
    }

    @Test("a payment inserted right after an import commits is screened against the new list, never the old one")
    func importIsInForceAtOnce() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        try ListStore.installDefaultIndicatorsIfMissing(c)
        _ = try ListFixtures.importSDN(c)
        var config = DaemonConfiguration(conninfo: db.conninfo)
        config.pollInterval = 0.05
        config.workers = 2
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let daemon = Daemon(config: config, loader: ScreenerLoading.loader(logger: logger), logger: logger)
        let task = Task { try await daemon.run() }
        #expect(await eventually { daemon.screeners.current.listVersions.contains("ofac-sdn") })
        let names = ["ARCTIC FALCON AVIONICS", "BALTIC MERIDIAN OPTICS", "CASPIAN VECTOR DYNAMICS", "DNIEPER QUANTUM SYSTEMS", "EURASIA TORQUE MACHINERY"]
        for (i, name) in names.enumerated() {
            // Each version keeps the names of the earlier ones and adds one.
            _ = try ListFixtures.importSDN(c, more: names[0...i].map { $0 + " LLC" })
            // No wait: the daemon may not even have heard of the import yet.
            try Self.insert(c, "G\(i)", name: name + " LLC")
        }
        #expect(await eventually { (try? c.query("SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'").scalar) == "0" })
        let held = try c.query("SELECT count(*) FROM chokepoint.payments WHERE status = 'held' AND 'sanctioned_party' = ANY(reasons)").scalar
        #expect(held == String(names.count))
        daemon.requestShutdown()
        try await task.value
    }
}
