import Foundation
import Hummingbird
import HTTPTypes
import Logging
import Metrics
import Postgres
import Prometheus
import Store
import Synchronization

/// The daemon's metrics, through swift-metrics (a no-op until a backend is bootstrapped).
///
/// Names: `chokepoint_payments_decided_total{decision,reason}`, `chokepoint_screening_duration_seconds`
/// (per payment), `chokepoint_batch_duration_seconds` (claim → commit), `chokepoint_queue_pending`,
/// `chokepoint_queue_oldest_pending_seconds`, `chokepoint_list_version{source}`,
/// `chokepoint_list_age_seconds{source}`, `chokepoint_reconnects_total`, `chokepoint_batch_errors_total`.
public enum DaemonMetrics {
    static func decided(decision: String, reason: String) -> Metrics.Counter {
        Counter(label: "chokepoint_payments_decided_total", dimensions: [("decision", decision), ("reason", reason)])
    }
    static let screening = Metrics.Timer(label: "chokepoint_screening_duration_seconds")
    static let batch = Metrics.Timer(label: "chokepoint_batch_duration_seconds")
    static let pending = Metrics.Gauge(label: "chokepoint_queue_pending")
    static let oldestPending = Metrics.Gauge(label: "chokepoint_queue_oldest_pending_seconds")
    static let reconnects = Metrics.Counter(label: "chokepoint_reconnects_total")
    static let batchErrors = Metrics.Counter(label: "chokepoint_batch_errors_total")
    static func listVersion(_ source: String) -> Metrics.Gauge { Metrics.Gauge(label: "chokepoint_list_version", dimensions: [("source", source)]) }
    static func listAge(_ source: String) -> Metrics.Gauge { Metrics.Gauge(label: "chokepoint_list_age_seconds", dimensions: [("source", source)]) }

    /// Bootstraps swift-metrics with a Prometheus registry and returns it (call once per process).
    public static func bootstrapPrometheus() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        let buckets: [Duration] = [.microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                                   .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                                   .milliseconds(100), .milliseconds(250), .seconds(1)]
        factory.defaultDurationHistogramBuckets = buckets
        MetricsSystem.bootstrap(factory)
        return registry
    }
}

/// Samples queue depth and list ages from the database every few seconds on its own thread and connection,
/// so health is visible without reading logs.
public final class QueueProbe: Sendable {
    private let conninfo: String
    private let interval: Double
    private let logger: Logger
    private let thread = ConnectionThread(name: "chokepoint-probe")
    /// Last sampled pending count and oldest age (seconds), for status lines.
    public let lastPending = Atomic<Int>(-1)

    public init(conninfo: String, interval: Double = 5, logger: Logger) {
        self.conninfo = conninfo
        self.interval = interval
        self.logger = logger
    }

    public func start() {
        thread.start { [self] in self.loop() }
    }

    public func stop() {
        thread.stop()
    }

    private func loop() {
        var connection: Connection?
        while !thread.isStopping {
            do {
                if connection == nil || !connection!.isConnected { connection = try Connection(conninfo: conninfo) }
                let (pending, oldest) = try PaymentStore.queueDepth(connection!)
                DaemonMetrics.pending.record(pending)
                DaemonMetrics.oldestPending.record(oldest)
                lastPending.store(pending, ordering: .relaxed)
                for row in try ListStore.status(connection!) {
                    DaemonMetrics.listVersion(row.source).record(row.versionId)
                    DaemonMetrics.listAge(row.source).record(row.ageHours * 3600)
                }
            } catch {
                connection?.close()
                connection = nil
                logger.debug("queue probe failed", metadata: ["error": "\(error)"])
            }
            thread.sleep(interval)
        }
        connection?.close()
    }
}

/// `GET /metrics` in the Prometheus text format, served by Hummingbird (404 for any other path).
///
/// Off by default; bind it to a local address (`--metrics-port`, `--metrics-address 127.0.0.1`). The
/// application is a `Service`: `chokepoint run` puts it in its service group beside the daemon, so it stops
/// with the daemon, and a port it cannot bind fails the start-up instead of going unnoticed.
public enum MetricsEndpoint {
    /// The routes alone (tests drive them without a socket).
    public static func router(registry: PrometheusCollectorRegistry) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        return router
    }

    /// The endpoint listening on `address:port` (port 0 picks a free one, reported to `onRunning`).
    public static func application(registry: PrometheusCollectorRegistry, address: String = "127.0.0.1", port: Int, logger: Logger,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(router: router(registry: registry),
                    configuration: .init(address: .hostname(address, port: port), serverName: nil),
                    onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
                    logger: logger)
    }
}
