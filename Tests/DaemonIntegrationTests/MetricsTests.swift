import Daemon
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import IntegrationSupport
import Postgres
import Prometheus
import TestSupport
import Testing

/// A GET to 127.0.0.1 as Prometheus or curl would send it: the whole response as text, nil if nothing answered.
func httpGet(port: Int, path: String) -> String? {
    guard let (head, body) = try? LoopbackHTTP.request(port: port, path: path) else { return nil }
    return head + "\r\n\r\n" + String(decoding: body, as: UTF8.self)
}

/// `httpGet` on a thread of its own: against a server in this process, whose handlers run on the cooperative
/// pool, a blocking request on that pool (two threads on a 2-core machine) can starve the very handler it waits for.
func httpGetOffPool(port: Int, path: String) async -> String? {
    await withCheckedContinuation { done in
        Thread { done.resume(returning: httpGet(port: port, path: path)) }.start()
    }
}

@Suite("metrics")
struct MetricsTests {
    /// `chokepoint run` with one worker and metrics on `metricsPort`, started.
    static func daemon(_ db: TestDatabase, metricsPort: Int, logLevel: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["run", "--workers", "1", "--metrics-port", String(metricsPort)]
        var env = ProcessInfo.processInfo.environment
        env["CHOKEPOINT_DATABASE_URL"] = db.conninfo
        env["CHOKEPOINT_LOG_LEVEL"] = logLevel
        p.environment = env
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    @Test("the endpoint serves the registry in Prometheus text format and 404 elsewhere")
    func endpoint() async throws {
        let registry = PrometheusCollectorRegistry()
        let counter = registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "chokepoint", metricName: "test", unitName: "total", helpText: "test counter"), labels: [("reason", "sanctioned_party")])
        counter.increment(by: Int64(3))
        let app = MetricsEndpoint.application(registry: registry, port: 0, logger: Logger(label: "test-metrics"))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // A real socket and a plain HTTP/1.0 request, as Prometheus or curl would send.
            let body = await httpGetOffPool(port: port, path: "/metrics") ?? ""
            #expect(body.hasPrefix("HTTP/1.") && body.contains(" 200 OK"))
            #expect(body.lowercased().contains("content-type: text/plain; version=0.0.4"))
            #expect(body.contains("chokepoint_test_total{reason=\"sanctioned_party\"} 3"))
            #expect(await httpGetOffPool(port: port, path: "/other")?.contains(" 404 ") == true)
        }
    }

    @Test("a taken port is a start-up error, not a silent failure")
    func portTaken() async throws {
        let registry = PrometheusCollectorRegistry()
        let first = MetricsEndpoint.application(registry: registry, port: 0, logger: Logger(label: "test-metrics"))
        try await first.test(.live) { client in
            let port = try #require(client.port)
            let second = MetricsEndpoint.application(registry: registry, port: port, logger: Logger(label: "test-metrics"))
            await #expect(throws: (any Error).self) { try await second.run() }
        }
    }

    @Test("chokepoint run with a metrics port it cannot bind stops and exits 1", .enabled(if: TestDatabase.enabled))
    func runWithTakenPort() async throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let registry = PrometheusCollectorRegistry()
        try await MetricsEndpoint.application(registry: registry, port: 0, logger: Logger(label: "test-metrics")).test(.live) { client in
            let port = try #require(client.port)
            let p = try Self.daemon(db, metricsPort: port, logLevel: "critical")
            let exited = await eventually(timeout: 30) { !p.isRunning }
            if !exited { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
            #expect(exited)
            #expect(p.terminationStatus == 1)
        }
    }

    @Test("a running daemon exposes decisions, screening latency, queue depth and list ages", .enabled(if: TestDatabase.enabled))
    func daemonMetrics() throws {
        let db = try TestDatabase.create()
        defer { db.drop() }
        let c = try db.connect()
        _ = try ListFixtures.importSDN(c)
        let port = Int.random(in: 20_000...60_000)
        let p = try Self.daemon(db, metricsPort: port, logLevel: "error")
        defer { kill(p.processIdentifier, SIGTERM); p.waitUntilExit() }
        try c.query("INSERT INTO chokepoint.payments (external_ref, format, message) VALUES ('M1', 'mt103', $1), ('M2', 'mt999', 'x')",
                    [DaemonListReloadTests.beneficiaryPayment("M1", name: "VOLGA PRECISION INSTRUMENTS LLC")])
        #expect(eventually { (try? c.query("SELECT count(*) FROM chokepoint.payments WHERE status = 'held'").scalar) == "2" })
        var body = ""
        #expect(eventually(timeout: 15) {
            body = httpGet(port: port, path: "/metrics") ?? ""
            return body.contains("chokepoint_list_age_seconds") && body.contains("chokepoint_queue_pending")
        })
        #expect(body.contains("chokepoint_payments_decided_total{decision=\"hold\",reason=\"sanctioned_party\"} 1"))
        #expect(body.contains("chokepoint_payments_decided_total{decision=\"hold\",reason=\"unparseable\"} 1"))
        #expect(body.contains("chokepoint_screening_duration_seconds_count 2"))
        #expect(body.contains("chokepoint_list_version{source=\"ofac-sdn\"}"))
    }
}
