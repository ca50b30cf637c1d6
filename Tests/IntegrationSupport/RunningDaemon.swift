import Daemon
import Foundation
import Logging
import Postgres
import Rescreen
import Screening
import Harness
import Store
import TestSupport
import Testing
import Watchlists

/// Starts a daemon on `db` in the background; `stop()` shuts it down gracefully and waits.
public final class RunningDaemon: Sendable {
    public let daemon: Daemon
    public let task: Task<Void, Error>

    public init(_ db: TestDatabase, workers: Int = 2, batchSize: Int = 50, pollInterval: Double = 0.2,
         screener: any PaymentScreener = BasicScreener(), listen: Bool = true, recordScreeningKeys: Bool = false) {
        var config = DaemonConfiguration(conninfo: db.conninfo)
        config.recordScreeningKeys = recordScreeningKeys
        config.listen = listen
        config.workers = workers
        config.batchSize = batchSize
        config.pollInterval = pollInterval
        var logger = Logger(label: "test-daemon")
        // CHOKEPOINT_TEST_DAEMON_LOG=debug (or info, warning…) shows the daemon's log when a test needs explaining.
        logger.logLevel = ProcessInfo.processInfo.environment["CHOKEPOINT_TEST_DAEMON_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        let daemon = Daemon(config: config, loader: { _ in (screener, "{\"test\": 1}", nil) }, logger: logger)
        self.daemon = daemon
        self.task = Task { try await daemon.run() }
    }

    public func stop() async throws {
        daemon.requestShutdown()
        try await task.value
    }
}

public enum Fixtures {
    public static func mt103(ref: String, receiver: String = "BNPAFRPPXXX", beneficiaryBank: String = "BNPAFRPP") -> String {
        "{1:F01DEUTDEFFAXXX0000000000}{2:I103\(receiver)N}{4:\r\n:20:\(ref)\r\n:23B:CRED\r\n:32A:251017EUR100,00\r\n:50K:/DE89370400440532013000\r\nMUELLER GMBH\r\n:57A:\(beneficiaryBank)\r\n:59:/FR1420041010050500013M02606\r\nDUPONT SARL\r\n:71A:SHA\r\n-}"
    }

    public static func insert(_ c: Connection, count: Int, prefix: String, russianEvery: Int = 0) throws {
        var refs: [String] = [], formats: [String] = [], messages: [String] = []
        for i in 0..<count {
            let ref = "\(prefix)\(i)"
            refs.append(ref); formats.append("mt103")
            let russian = russianEvery > 0 && i % russianEvery == 0
            messages.append(mt103(ref: ref, beneficiaryBank: russian ? "SABRRUMM" : "BNPAFRPP"))
        }
        try c.query("""
            INSERT INTO chokepoint.payments (external_ref, format, message)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
            """, [PostgresArray.text(refs), PostgresArray.text(formats), PostgresArray.text(messages)])
    }

    public static func count(_ c: Connection, _ sql: String, _ params: [String?] = []) throws -> Int {
        try c.query(sql, params).rows.first?.int(0) ?? -1
    }

    /// The invariants every drill checks: all decided, each exactly once (one audit row, one decision
    /// notification-bearing status change), no release without a screening record, every hold has hits.
    public static func checkInvariants(_ c: Connection, expected: Int) throws {
        #expect(try count(c, "SELECT count(*) FROM chokepoint.payments") == expected)
        #expect(try count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'pending'") == 0)
        #expect(try count(c, """
            SELECT count(*) FROM (SELECT payment_id FROM chokepoint.audit_log WHERE action = 'decision'
                                  GROUP BY payment_id HAVING count(*) <> 1) d
            """) == 0)
        #expect(try count(c, "SELECT count(*) FROM chokepoint.audit_log WHERE action = 'decision'") == expected)
        #expect(try count(c, "SELECT count(*) FROM chokepoint.payments WHERE status = 'released' AND (screening_run_id IS NULL OR screened_at IS NULL)") == 0)
        #expect(try count(c, """
            SELECT count(*) FROM chokepoint.payments p WHERE status = 'held'
               AND NOT EXISTS (SELECT 1 FROM chokepoint.hits h WHERE h.payment_id = p.id)
            """) == 0)
        // Hits are written once per decision: no payment has hits from two runs.
        #expect(try count(c, "SELECT count(*) FROM (SELECT payment_id FROM chokepoint.hits GROUP BY payment_id HAVING count(DISTINCT run_id) > 1) d") == 0)
        // Concurrent writers (workers of several daemons) still formed one unbroken audit chain.
        let chain = try AuditStore.verify(c)
        #expect(chain.intact, "\(chain.problems.first.map(String.init(describing:)) ?? "")")
        #expect(chain.rowsChecked == (try count(c, "SELECT count(*) FROM chokepoint.audit_log")))
    }
}
