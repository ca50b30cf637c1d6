import ArgumentParser
import Daemon
import Foundation
import Harness
import Logging
import Postgres
import Screening

/// Throughput of the claim → screen → decide loop on a database it creates for the run.
struct ClaimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claim",
        abstract: "Insert N pending payments, run the daemon's workers until all are decided, print payments per second.")

    @Option(name: .customLong("database-url"), help: "Admin connection (a database named chokepoint_bench_<pid> is created and dropped).")
    var databaseURL: String?
    @Option(help: "Payments to insert before the workers start.") var count: Int = 50_000
    @Option(help: "Worker threads.") var workers: Int = 2
    @Option(help: "Payments per claim transaction.") var batchSize: Int = 100
    @Option(help: "basic (the daemon's screener) or none (bare queue: claim and update only).") var screening: String = "basic"
    @Option(help: "Directory of the sql/ migrations.") var sqlDir: String?

    func run() async throws {
        let admin = databaseURL ?? ProcessInfo.processInfo.environment["CHOKEPOINT_DATABASE_URL"] ?? ""
        let db = try BenchDatabase.create(adminConninfo: admin, sqlDir: sqlDir)
        defer { db.drop() }
        let c = try Connection(conninfo: db.conninfo)
        defer { c.close() }
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message)
            SELECT 'B' || g, 'mt103', replace($1, '#REF#', 'REF' || g) FROM generate_series(1, $2::int) g
            """, [SampleMessages.mt103, String(count)])
        try c.query("ANALYZE chokepoint.payments")

        let screener: any PaymentScreener = screening == "none" ? ReleaseAll() : BasicScreener()
        var config = DaemonConfiguration(conninfo: db.conninfo)
        config.workers = workers
        config.batchSize = batchSize
        config.pollInterval = 0.05
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let daemon = Daemon(config: config, loader: { _ in (screener, "{}", nil) }, logger: logger)
        let start = Date()
        async let running: Void = daemon.run()
        while true {
            try await Task.sleep(for: .milliseconds(20))
            let pending = try c.query("SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'").rows.first?.int(0) ?? 0
            if pending == 0 { break }
        }
        let seconds = Date().timeIntervalSince(start)
        daemon.requestShutdown()
        try await running
        let decided = try c.query("SELECT count(*) FROM chokepoint.payments WHERE status <> 'pending'").rows.first?.int(0) ?? 0
        let audit = try c.query("SELECT count(*) FROM chokepoint.audit_log WHERE action = 'decision'").rows.first?.int(0) ?? 0
        let out: [String: Any] = [
            "bench": "claim", "screening": screening, "count": count, "decided": decided, "audit_rows": audit,
            "workers": workers, "batch_size": batchSize, "seconds": (seconds * 1000).rounded() / 1000,
            "decided_per_s": Int(Double(decided) / seconds),
        ]
        let json = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }
}

enum SampleMessages {
    static let mt103 = "{1:F01DEUTDEFFAXXX0000000000}{2:I103BNPAFRPPXXXXN}{3:{121:e7a1c3d2-5b4f-4c1a-9f2e-1b2c3d4e5f60}}{4:\r\n:20:#REF#\r\n:23B:CRED\r\n:32A:251017EUR12500,00\r\n:50K:/DE89370400440532013000\r\nMUELLER MASCHINENBAU GMBH\r\nHAUPTSTRASSE 1\r\n10115 BERLIN\r\n:57A:BNPAFRPP\r\n:59:/FR1420041010050500013M02606\r\nDUPONT ET FILS SARL\r\n12 RUE DE LA PAIX\r\n75002 PARIS\r\n:70:INVOICE 2025-0113 SPARE PARTS\r\n:71A:SHA\r\n-}"
}
