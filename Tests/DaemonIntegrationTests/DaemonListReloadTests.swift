import Daemon
import Foundation
import Harness
import IntegrationSupport
import Logging
import Postgres
import Screening
import Store
import Synchronization
import TestSupport
import Testing
import Watchlists

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

    /// How often a daemon's loader was called.
    final class LoadCount: Sendable {
        let calls = Atomic<Int>(0)
        var value: Int { calls.load(ordering: .relaxed) }
    }

    /// A daemon whose loader counts its calls in `loads` (the first one failing, with `failingFirst`) and gives the
    /// stand-in screener with list versions `{"test": 1}`.
    static func countingDaemon(_ db: TestDatabase, loads: LoadCount, failingFirst: Bool) -> (Daemon, Task<Void, Error>) {
        struct LoadFailed: Error {}
        var config = DaemonConfiguration(conninfo: db.conninfo)
        config.pollInterval = 0.2
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let daemon = Daemon(config: config, loader: { _ in
            if loads.calls.add(1, ordering: .relaxed).newValue == 1 && failingFirst { throw LoadFailed() }
            return (BasicScreener(), "{\"test\": 1}", nil)
        }, logger: logger)
        return (daemon, Task { try await daemon.run() })
    }

    @Test("the lists are loaded once at start-up; a list notification and a lost LISTEN connection each load them again")
    func startupLoadsOnce() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let loads = LoadCount()
        let (daemon, task) = Self.countingDaemon(db, loads: loads, failingFirst: false)
        // Started: listening, and deciding payments.
        try Self.insert(c, "S1", name: "DUPONT SARL")
        #expect(await eventually { (try? Self.status(c, "S1")) == "released" })
        #expect(daemon.listenerBackendPID != 0)
        // The main loop looks for reload requests every 100 ms: a second start-up load would have come by now.
        try await Task.sleep(for: .milliseconds(600))
        #expect(loads.value == 1)
        let firstGeneration = daemon.screeners.current.generation

        try c.query("SELECT pg_notify('\(Daemon.listsChannel)', 'test')")
        #expect(await eventually { loads.value == 2 })
        #expect(await eventually { daemon.screeners.current.generation > firstGeneration })

        // Notifications sent while the listener was away are lost: its new connection loads the lists again.
        let listener = daemon.listenerBackendPID
        #expect(try c.query("SELECT pg_terminate_backend($1)", [String(listener)]).scalar == "t")
        #expect(await eventually { daemon.listenerBackendPID != 0 && daemon.listenerBackendPID != listener })
        #expect(await eventually { loads.value == 3 })
        try await Task.sleep(for: .milliseconds(300))
        #expect(loads.value == 3)

        daemon.requestShutdown()
        try await task.value
    }

    @Test("a start-up load that fails is tried once more at once, not only at the next notification")
    func failedStartupLoadIsRetried() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        let loads = LoadCount()
        let (daemon, task) = Self.countingDaemon(db, loads: loads, failingFirst: true)
        #expect(await eventually(timeout: 10) { loads.value == 2 })
        #expect(await eventually(timeout: 10) { daemon.screeners.current.listVersions.contains("test") })
        try Self.insert(c, "F1", name: "DUPONT SARL")
        #expect(await eventually { (try? Self.status(c, "F1")) == "released" })
        // Once, not in a loop.
        try await Task.sleep(for: .milliseconds(400))
        #expect(loads.value == 2)
        daemon.requestShutdown()
        try await task.value
    }
}
