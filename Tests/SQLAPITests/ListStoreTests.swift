import Daemon
import Foundation
import IntegrationSupport
import Logging
import Postgres
import Screening
import Store
import TestSupport
import Testing
import Watchlists

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

    @Test("the consolidated (non-SDN) list is a source of its own: importing it keeps the SDN list in force, and both screen")
    func consolidatedBesideSDN() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let sdn = try ListFixtures.importSDN(c)
        let consFile = ListFile(name: "cons_prim.csv",
                                text: "9001,\"ORION CAPITAL MARKETS JSC\",-0- ,\"UKRAINE-EO13662] [RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n\u{1A}\r\n")
        let cons = try ListStore.importList(c, parsed: ListParser.parse(source: .ofacCons, contents: [consFile]), files: [consFile])
        // One entry replacing three would trip the shrink guard if the two shared a source; they do not.
        #expect(!cons.unchanged)
        let status = try ListStore.status(c)
        #expect(status.map(\.source).sorted() == ["ofac-cons", "ofac-sdn"])
        #expect(status.first { $0.source == "ofac-sdn" }?.versionId == sdn.versionId)
        let screener = PolicyScreener(data: try ListStore.loadScreeningData(c))
        for (name, list) in [("ORION CAPITAL MARKETS JSC", "ofac-cons"), ("VOLGA PRECISION INSTRUMENTS LLC", "ofac-sdn")] {
            let d = screener.screen(format: "mt103", message: RescreenFixtures.mt103(ref: "X", beneficiary: name))
            #expect(d.hits.first?.list == list, "\(name)")
        }
    }

    @Test("shrink guard: a version with more than 5 % fewer entries is refused unless allowed; the version in force stays")
    func shrinkGuard() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let more = (1...37).map { "INVENTED TRADING HOUSE NUMBER \($0) LLC" }
        let big = try ListFixtures.importSDN(c, more: more)
        #expect(big.entries == 40)
        // 38 of 40 (5 % fewer): allowed. 37 of 40 (7.5 % fewer): refused, and nothing changed.
        let files38 = ListFixtures.sdn(more: Array(more.prefix(35)))
        let v38 = try ListStore.importList(c, parsed: ListParser.parse(source: .ofacSDN, contents: files38), files: files38)
        #expect(v38.entries == 38)
        let files35 = ListFixtures.sdn(more: Array(more.prefix(32)))
        let parsed35 = try ListParser.parse(source: .ofacSDN, contents: files35)
        do {
            _ = try ListStore.importList(c, parsed: parsed35, files: files35)
            Issue.record("a 7.9 % shrink was imported")
        } catch let e as ListStore.ShrinkRefused {
            #expect(e.current == 38 && e.new == 35)
            #expect(e.description.contains("--allow-shrink"))
        }
        #expect(try ListStore.status(c).first?.versionId == v38.versionId)
        // A wider guard, or none, lets it through.
        #expect(try ListStore.importList(c, parsed: parsed35, files: files35, maxShrink: 0.10).entries == 35)
        let files3 = ListFixtures.sdn()
        #expect(throws: ListStore.ShrinkRefused.self) {
            try ListStore.importList(c, parsed: ListParser.parse(source: .ofacSDN, contents: files3), files: files3)
        }
        #expect(try ListStore.importList(c, parsed: ListParser.parse(source: .ofacSDN, contents: files3), files: files3, maxShrink: nil).entries == 3)
    }

    @Test("defaults installed by an earlier release are recognised as outdated; this release's, or a bank's own set, are not")
    func outdatedDefaults() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        #expect(try ListStore.installDefaultIndicatorsIfMissing(c))
        #expect(try !ListStore.defaultIndicatorsOutdated(c))
        // The file `lists default-indicators` prints is exactly what was installed.
        let parsed = try ListParser.parse(source: .indicators, contents: [ListStore.defaultIndicatorsFile])
        #expect(parsed.indicators == DefaultIndicators.set)
        // As an earlier release would have left it: the same file name, other contents.
        try withTriggersOff(c, "UPDATE chokepoint.list_versions SET checksum = 'an-earlier-release' WHERE source = 'indicators' AND is_current")
        #expect(try ListStore.defaultIndicatorsOutdated(c))
        try withTriggersOff(c, "UPDATE chokepoint.list_versions SET files = '{bank-indicators.csv}' WHERE source = 'indicators' AND is_current")
        #expect(try !ListStore.defaultIndicatorsOutdated(c))
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
