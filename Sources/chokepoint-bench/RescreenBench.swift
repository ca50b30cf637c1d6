import ArgumentParser
import Daemon
import Foundation
import Harness
import Logging
import Postgres
import Rescreen
import Store
import Watchlists

/// Throughput of `chokepoint rescreen`, full and delta, on a database it creates for the run.
///
/// Imports a sanctions list (the real OFAC SDN list when found, else a synthetic one of the same size) as
/// version 1, stores `--count` payments as released against version 1 (SQL `generate_series`; their prefilter
/// keys unknown, as for payments decided before keys were stored), runs the nightly rescreen that stores their
/// keys, imports version 2 with `--changed` new or changed entries, then re-screens in delta mode and, after
/// removing what delta found, in full mode. Both must find the same alerts (the line says so), so a fast wrong
/// answer cannot win. Run from a release build:
/// `swift build -c release && .build/release/chokepoint-bench rescreen --count 1000000`.
struct RescreenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescreen",
        abstract: "Store N released payments, change a few list entries, time rescreen in delta and full mode; print one JSON line.")

    @Option(name: .customLong("database-url"), help: "Admin connection (a database named chokepoint_bench_<pid> is created and dropped).")
    var databaseURL: String?
    @Option(help: "Released payments to store.") var count: Int = 1_000_000
    @Option(help: "Worker threads (default: cores).") var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Payments per keyset page.") var batchSize: Int = 1000
    @Option(help: "List entries new or changed in version 2 (one in five is a changed entry: an added alias).")
    var changed: Int = 50
    @Option(help: "One payment in this many names a party of a new or changed entry.") var hitEvery: Int = 10_000
    @Option(help: "OFAC sdn.csv for the list (a synthetic list of 15,000 entities if absent).")
    var sdn: String = "../shared/data/ofac/sdn_full_2024-05-03/sdn.csv"
    @Option(help: "Directory of the sql/ migrations.") var sqlDir: String?
    @Flag(help: "Keep the database (prints its name) instead of dropping it.") var keep = false

    func validate() throws {
        guard count > 0, workers > 0, batchSize > 0, changed > 0, hitEvery > 0 else {
            throw ValidationError("--count, --workers, --batch-size, --changed and --hit-every must be positive")
        }
    }

    func run() async throws {
        let admin = databaseURL ?? ProcessInfo.processInfo.environment["CHOKEPOINT_DATABASE_URL"] ?? ""
        let db = try BenchDatabase.create(adminConninfo: admin, sqlDir: sqlDir)
        defer { if keep { FileHandle.standardError.write(Data("kept database \(db.name)\n".utf8)) } else { db.drop() } }
        let (count, changed, hitEvery, workers, batchSize, sdn) = (self.count, self.changed, self.hitEvery, self.workers, self.batchSize, self.sdn)

        let setup = try await onDedicatedThread(name: "bench-setup") {
            try Self.prepare(db.conninfo, count: count, changed: changed, hitEvery: hitEvery, sdn: sdn)
        }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        func rescreen(full: Bool) async throws -> RescreenSummary {
            var config = RescreenConfiguration(conninfo: db.conninfo)
            config.workers = workers
            config.batchSize = batchSize
            config.forceFull = full
            let r = Rescreener(config: config, logger: logger)
            return try await onDedicatedThread(name: "bench-rescreen") { try r.run() }
        }
        // The nightly run before the list update: it reads every payment once (their prefilter keys are unknown:
        // the loader stores them as decided before keys existed) and stores their keys.
        let keying = try await rescreen(full: false)
        _ = try await onDedicatedThread { try Self.alerts(db.conninfo, forget: false) }
        let keyBytes = try await onDedicatedThread { try Self.importVersion2(db.conninfo, setup) }
        let delta = try await rescreen(full: false)
        let (deltaAlerts, fullAlerts, fullRun): (Set<String>, Set<String>, RescreenSummary) = try await {
            let deltaAlerts = try await onDedicatedThread { try Self.alerts(db.conninfo, forget: true) }
            let full = try await rescreen(full: true)
            let fullAlerts = try await onDedicatedThread { try Self.alerts(db.conninfo, forget: false) }
            return (deltaAlerts, fullAlerts, full)
        }()
        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        let out: [String: Any] = [
            "bench": "rescreen", "build": build, "payments": count, "workers": workers, "batch_size": batchSize,
            "list": setup.listName, "list_entries": setup.entries, "changed_entries": changed,
            "keying_seconds": Self.round(keying.seconds), "keying_screened": keying.paymentsScreened,
            "keys_bytes_per_payment": keyBytes,
            "delta_mode": delta.mode, "delta_entries": delta.deltaEntries ?? 0,
            "delta_seconds": Self.round(delta.seconds), "delta_per_s": Int(Double(delta.paymentsScreened) / delta.seconds),
            "full_mode": fullRun.mode, "full_seconds": Self.round(fullRun.seconds),
            "full_per_s": Int(Double(fullRun.paymentsScreened) / fullRun.seconds),
            "screened_delta": delta.paymentsScreened, "screened_full": fullRun.paymentsScreened,
            "alerts_delta": deltaAlerts.count, "alerts_full": fullAlerts.count, "same_alerts": deltaAlerts == fullAlerts,
            "command": CommandLine.arguments.joined(separator: " "),
        ]
        let json = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
        if deltaAlerts != fullAlerts || deltaAlerts.isEmpty { throw ExitCode(1) }
    }

    static func round(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    struct Setup: Sendable {
        var listName: String
        var entries: Int
        var version2: [ListEntry]
        var version2Files: [ListFile]
    }

    /// Imports version 2 of the list (after the nightly run that stored the keys); returns the bytes per payment of
    /// the stored keys (the table with its indexes).
    static func importVersion2(_ conninfo: String, _ setup: Setup) throws -> Int {
        let c = try Connection(conninfo: conninfo)
        defer { c.close() }
        try c.query("VACUUM ANALYZE chokepoint.payment_screening_keys")
        let bytes = try c.query("""
            SELECT pg_total_relation_size('chokepoint.payment_screening_keys') / greatest(1, (SELECT count(*) FROM chokepoint.payment_screening_keys))
            """).rows.first?.int(0) ?? 0
        _ = try ListStore.importList(c, parsed: ParsedList(source: .ofacSDN, entries: setup.version2), files: setup.version2Files)
        return bytes
    }

    /// Made-up, distinctive names for the new and changed entries (no real list contains them).
    static func syntheticName(_ i: Int) -> String {
        let syl = ["KA", "LO", "MI", "RU", "ZE", "TA", "VO", "NI", "SE", "DU", "FE", "GO"]
        let a = syl[i % 12], b = syl[(i / 12) % 12], c = syl[(i / 144) % 12]
        return "\(a)\(b)\(c)VANTIX \(b)\(c)RONDEL INDUSTRIAL"
    }

    static func prepare(_ conninfo: String, count: Int, changed: Int, hitEvery: Int, sdn: String) throws -> Setup {
        let c = try Connection(conninfo: conninfo)
        defer { c.close() }
        var listName = "ofac-sdn " + sdn
        var v1: [ListEntry]
        var files: [ListFile]
        if FileManager.default.fileExists(atPath: sdn) {
            let file = try ListFile.read(path: sdn)
            v1 = try ListParser.parse(source: .ofacSDN, contents: [file]).entries
            files = [file]
        } else {
            listName = "synthetic"
            v1 = (0..<15_000).map { ListEntry(sourceId: "S\($0)", type: .entity, names: [EntryName(name: syntheticName($0 + 10_000), kind: "primary", strength: .strong)]) }
            files = [ListFile(name: "synthetic-v1.csv", text: "synthetic v1")]
        }
        _ = try ListStore.importList(c, parsed: ParsedList(source: .ofacSDN, entries: v1), files: files)
        let data = try ListStore.loadScreeningData(c)
        let run = try PaymentStore.startRun(c, kind: "daemon", host: "bench", pid: getpid(), listVersions: data.versionsJSON)

        // Version 2: one in five changes an existing entry (a new alias), the rest are new entries.
        var v2 = v1
        var hitNames: [String] = []
        for i in 0..<changed {
            let name = syntheticName(i)
            hitNames.append(name)
            if i % 5 == 0, !v2.isEmpty {
                v2[(i * 7919) % v2.count].names.append(EntryName(name: name, kind: "aka", strength: .strong))
            } else {
                v2.append(ListEntry(sourceId: "BENCH\(i)", type: .entity, names: [EntryName(name: name, kind: "primary", strength: .strong)]))
            }
        }
        let clean = ["DUPONT ET FILS SARL", "MUELLER MASCHINENBAU GMBH", "NORDIC TIMBER AB", "ATLANTIC FOODS LTD", "CASA VERDE SPA",
                     "HOLLAND BULB TRADERS BV", "IBERIA SOLAR SL", "ALPINE OPTICS AG", "BALTIC FERRY OY", "DANUBE PAPER KFT"]
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message, status, decided_at, screened_at, screening_run_id)
            SELECT 'B' || g, 'mt103',
                   replace(replace($1, '#REF#', 'REF' || g), '#NAME#',
                           CASE WHEN g % $3::int = 0 THEN ($4::text[])[1 + (g / $3::int) % array_length($4::text[], 1)]
                                ELSE ($5::text[])[1 + g % array_length($5::text[], 1)] END),
                   'released', now() - interval '1 day', now() - interval '1 day', $6
              FROM generate_series(1, $2::int) AS g
            """, [template, String(count), String(hitEvery), PostgresArray.text(hitNames), PostgresArray.text(clean), String(run)])
        try c.query("VACUUM ANALYZE chokepoint.payments")
        // Read the table once, so that neither mode (delta runs first) pays for a cold cache.
        try c.query("SELECT sum(length(message)) FROM chokepoint.payments")
        let v2Files = files.map { ListFile(name: $0.name, bytes: $0.bytes + Array("\n# bench v2".utf8)) }
        return Setup(listName: listName, entries: v1.count, version2: v2, version2Files: v2Files)
    }

    /// The alerts as "payment/entry/field" strings; with `forget`, deletes them and un-finishes the run that
    /// found them, so that the next run starts from the same state.
    static func alerts(_ conninfo: String, forget: Bool) throws -> Set<String> {
        let c = try Connection(conninfo: conninfo)
        defer { c.close() }
        let set = Set(try c.query("SELECT payment_id || '/' || coalesce(entry_id, '') || '/' || field FROM chokepoint.retrospective_alerts")
            .rows.compactMap { $0.string(0) })
        if forget {
            try c.query("DELETE FROM chokepoint.retrospective_alerts")
            try c.query("UPDATE chokepoint.rescreen_runs SET status = 'failed', error = 'benchmark reset'")
        }
        return set
    }

    static let template = "{1:F01DEUTDEFFAXXX0000000000}{2:I103BNPAFRPPXXXXN}{3:{121:e7a1c3d2-5b4f-4c1a-9f2e-1b2c3d4e5f60}}{4:\r\n:20:#REF#\r\n:23B:CRED\r\n:32A:251017EUR12500,00\r\n:50K:/DE89370400440532013000\r\nMUELLER MASCHINENBAU GMBH\r\nHAUPTSTRASSE 1\r\n10115 BERLIN\r\n:57A:BNPAFRPP\r\n:59:/FR1420041010050500013M02606\r\n#NAME#\r\n12 RUE DE LA PAIX\r\n75002 PARIS\r\n:70:INVOICE 2025-0113 SPARE PARTS\r\n:71A:SHA\r\n-}"
}
