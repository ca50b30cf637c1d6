import ArgumentParser
import Daemon
import Foundation
import Harness
import Logging
import Postgres
import Rescreen
import Screening
import Store
import Watchlists

/// Throughput of `chokepoint rescreen`, full and delta, on a database it creates for the run.
///
/// Imports a sanctions list (the real OFAC SDN list when found, else a synthetic one of the same size) as
/// version 1, stores `--count` payments as released against version 1 (SQL `generate_series`; their prefilter
/// keys unknown, as for payments decided before keys were stored), runs the nightly rescreen that stores their
/// keys, imports version 2 with `--changed` new or changed entries, then re-screens in delta mode and, after
/// removing what delta found, in full mode (once per `--full-workers` count). Every run must find the same alerts
/// (the line says so), so a fast wrong answer cannot win. Each run's resident memory is read from
/// `/proc/self/status` (the peak is reset before the run), since the rescreen runs in this process.
///
/// `--keys sql` stores the payments' keys without the nightly run that reads them all: the bench computes the
/// keys of each distinct message it stored with the product's `PolicyScreener.screeningKeys` (the messages
/// differ only in their reference, which is not keyed: checked) and writes them with one INSERT, the GIN index
/// built after it. That is how the table is filled for 10 million payments in minutes; what it leaves is the
/// state the daemon (`--screening-keys`) or a nightly run would leave. Run from a release build:
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
    @Option(help: "How the stored payments get their prefilter keys: rescreen (the nightly run that reads them all, timed) or sql (computed per distinct message by the bench, written with one INSERT).")
    var keys: KeysMode = .rescreen
    @Option(name: .customLong("full-workers"), parsing: .upToNextOption,
            help: "Worker counts of the full runs, one run each (default: --workers), e.g. --full-workers 1 2 4.")
    var fullWorkers: [Int] = []
    @Flag(help: "Log the rescreen's progress (info level) to standard error.") var verbose = false

    enum KeysMode: String, ExpressibleByArgument, Sendable { case rescreen, sql }

    func validate() throws {
        guard count > 0, workers > 0, batchSize > 0, changed > 0, hitEvery > 0, fullWorkers.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--count, --workers, --full-workers, --batch-size, --changed and --hit-every must be positive")
        }
    }

    func run() async throws {
        let admin = databaseURL ?? ProcessInfo.processInfo.environment["CHOKEPOINT_DATABASE_URL"] ?? ""
        let db = try BenchDatabase.create(adminConninfo: admin, sqlDir: sqlDir)
        defer { if keep { FileHandle.standardError.write(Data("kept database \(db.name)\n".utf8)) } else { db.drop() } }
        let (count, changed, hitEvery, workers, batchSize, sdn) = (self.count, self.changed, self.hitEvery, self.workers, self.batchSize, self.sdn)

        let keysMode = keys
        let started = ContinuousClock.now
        let setup = try await onDedicatedThread(name: "bench-setup") {
            try Self.prepare(db.conninfo, count: count, changed: changed, hitEvery: hitEvery, sdn: sdn, keys: keysMode)
        }
        let setupSeconds = BenchClock.seconds(ContinuousClock.now - started)
        Self.progress("stored \(count) payments in \(Self.round(setupSeconds)) s (keys: \(keysMode.rawValue))")
        var logger = Logger(label: "bench")
        logger.logLevel = verbose ? .info : .error
        /// One rescreen in this process, with its resident memory: before it, and its peak.
        func rescreen(full: Bool, workers: Int) async throws -> (summary: RescreenSummary, rssMB: Int, peakMB: Int) {
            var config = RescreenConfiguration(conninfo: db.conninfo)
            config.workers = workers
            config.batchSize = batchSize
            config.forceFull = full
            let r = Rescreener(config: config, logger: logger)
            ProcessMemory.trim()
            ProcessMemory.resetPeak()
            let before = ProcessMemory.read().rss
            let summary = try await onDedicatedThread(name: "bench-rescreen") { try r.run() }
            Self.progress("\(summary.mode) rescreen, \(workers) workers: \(summary.paymentsScreened) payments in \(Self.round(summary.seconds)) s")
            return (summary, before / 1024, ProcessMemory.read().peak / 1024)
        }
        var keying: (summary: RescreenSummary, rssMB: Int, peakMB: Int)?
        if keysMode == .rescreen {
            // The nightly run before the list update: it reads every payment once (their prefilter keys are unknown:
            // the loader stores them as decided before keys existed) and stores their keys.
            keying = try await rescreen(full: false, workers: workers)
            _ = try await onDedicatedThread { try Self.alerts(db.conninfo, forget: false) }
        }
        let keyBytes = try await onDedicatedThread { try Self.importVersion2(db.conninfo, setup) }
        let delta = try await rescreen(full: false, workers: workers)
        let deltaAlerts = try await onDedicatedThread { try Self.alerts(db.conninfo, forget: true) }
        var fullRuns: [[String: Any]] = []
        var allSame = true
        for w in fullWorkers.isEmpty ? [workers] : fullWorkers {
            let full = try await rescreen(full: true, workers: w)
            let fullAlerts = try await onDedicatedThread { try Self.alerts(db.conninfo, forget: true) }
            allSame = allSame && fullAlerts == deltaAlerts
            fullRuns.append([
                "workers": w, "mode": full.summary.mode, "seconds": Self.round(full.summary.seconds),
                "per_s": Int(Double(full.summary.paymentsScreened) / full.summary.seconds), "screened": full.summary.paymentsScreened,
                "alerts": fullAlerts.count, "same_alerts": fullAlerts == deltaAlerts, "rss_before_mb": full.rssMB, "peak_rss_mb": full.peakMB,
            ])
        }
        let build = BenchBuild.name
        let out: [String: Any] = [
            "bench": "rescreen", "build": build, "payments": count, "workers": workers, "batch_size": batchSize,
            "list": setup.listName, "list_entries": setup.entries, "changed_entries": changed,
            "setup_seconds": Self.round(setupSeconds), "keys": keysMode.rawValue,
            "keying_seconds": keying.map { Self.round($0.summary.seconds) } ?? NSNull(),
            "keying_screened": keying?.summary.paymentsScreened ?? 0,
            "keys_bytes_per_payment": keyBytes,
            "delta_mode": delta.summary.mode, "delta_entries": delta.summary.deltaEntries ?? 0,
            "delta_seconds": Self.round(delta.summary.seconds),
            "delta_per_s": Int(Double(delta.summary.paymentsScreened) / delta.summary.seconds),
            "delta_peak_rss_mb": delta.peakMB,
            "screened_delta": delta.summary.paymentsScreened, "alerts_delta": deltaAlerts.count,
            "full": fullRuns, "same_alerts": allSame,
            "command": CommandLine.arguments.joined(separator: " "),
        ]
        let json = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
        if !allSame || deltaAlerts.isEmpty { throw ExitCode(1) }
    }

    static func progress(_ line: String) {
        FileHandle.standardError.write(Data("rescreen bench: \(line)\n".utf8))
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

    static func prepare(_ conninfo: String, count: Int, changed: Int, hitEvery: Int, sdn: String, keys: KeysMode) throws -> Setup {
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
        // The name of payment g (its reference is 'REF' || g): the same expression stores it and finds its keys.
        // Parameters $n, $n+1 and $n+2 are `hitEvery`, the hit names and the clean names.
        let nameOf = { (g: String, n: Int) in
            """
            CASE WHEN \(g) % $\(n)::int = 0 THEN ($\(n + 1)::text[])[1 + (\(g) / $\(n)::int) % array_length($\(n + 1)::text[], 1)]
                 ELSE ($\(n + 2)::text[])[1 + \(g) % array_length($\(n + 2)::text[], 1)] END
            """
        }
        // With keys written by the bench, the trigger that gives each decided payment a row of unknown keys is not
        // needed (the bench writes every row).
        if keys == .sql { try c.query("ALTER TABLE chokepoint.payments DISABLE TRIGGER payments_screening_keys_insert") }
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message, status, decided_at, screened_at, screening_run_id)
            SELECT 'B' || g, 'mt103', replace(replace($1, '#REF#', 'REF' || g), '#NAME#', \(nameOf("g", 3))),
                   'released', now() - interval '1 day', now() - interval '1 day', $6
              FROM generate_series(1, $2::int) AS g
            """, [template, String(count), String(hitEvery), PostgresArray.text(hitNames), PostgresArray.text(clean), String(run)])
        if keys == .sql {
            try c.query("ALTER TABLE chokepoint.payments ENABLE TRIGGER payments_screening_keys_insert")
            try storeKeys(c, names: hitNames + clean, nameOf: nameOf("substr(p.external_ref, 2)::int", 1),
                          parameters: [String(hitEvery), PostgresArray.text(hitNames), PostgresArray.text(clean)])
        }
        try c.query("VACUUM ANALYZE chokepoint.payments")
        // Read the table once, so that neither mode (delta runs first) pays for a cold cache.
        try c.query("SELECT sum(length(message)) FROM chokepoint.payments")
        let v2Files = files.map { ListFile(name: $0.name, bytes: $0.bytes + Array("\n# bench v2".utf8)) }
        return Setup(listName: listName, entries: v1.count, version2: v2, version2Files: v2Files)
    }

    /// Writes every stored payment's prefilter keys: those of its message as the product computes them, per
    /// distinct message (the bench's messages differ only by name and by reference, which is checked not to be
    /// keyed), in one INSERT into the emptied table, then builds the GIN index over the whole table at once.
    /// `nameOf` is the SQL of a payment `p`'s name; `parameters` are its $1 on.
    static func storeKeys(_ c: Connection, names: [String], nameOf: String, parameters: [String]) throws {
        func message(_ ref: String, _ name: String) -> String {
            template.replacingOccurrences(of: "#REF#", with: ref).replacingOccurrences(of: "#NAME#", with: name)
        }
        var rows: [String] = []
        for name in Set(names) {
            guard let keys = PolicyScreener.screeningKeys(format: "mt103", message: message("REF1", name)),
                  keys == PolicyScreener.screeningKeys(format: "mt103", message: message("REF987654321", name)) else {
                throw ValidationError("the bench's messages are keyed by their reference or do not parse: --keys sql cannot be used")
            }
            rows.append(name)
            rows.append(PostgresArray.integers(keys))
        }
        try c.query("CREATE TEMPORARY TABLE bench_keys (name text PRIMARY KEY, keys integer[])")
        try c.query("""
            INSERT INTO bench_keys SELECT n, k::integer[] FROM unnest($1::text[]) WITH ORDINALITY AS a(n, i)
              JOIN unnest($1::text[]) WITH ORDINALITY AS b(k, j) ON j = i + 1 WHERE i % 2 = 1
            """, [PostgresArray.text(rows)])
        try c.query("DROP INDEX chokepoint.payment_screening_keys_keys_idx")
        try c.query("TRUNCATE chokepoint.payment_screening_keys")
        try c.query("""
            INSERT INTO chokepoint.payment_screening_keys (payment_id, keys)
            SELECT p.id, k.keys FROM chokepoint.payments AS p JOIN bench_keys AS k ON k.name = \(nameOf)
            """, parameters)
        try c.query("SET maintenance_work_mem = '1GB'")
        try c.query("CREATE INDEX payment_screening_keys_keys_idx ON chokepoint.payment_screening_keys USING gin (keys)")
        try c.query("DROP TABLE bench_keys")
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
