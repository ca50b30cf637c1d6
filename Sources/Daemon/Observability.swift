import Foundation
import Logging
import Metrics
import Postgres
import Prometheus
import Store
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

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

/// A minimal HTTP/1.0 endpoint serving `GET /metrics` in the Prometheus text format, on its own thread.
///
/// Off by default; bind it to a local address (`--metrics-port`, `--metrics-address 127.0.0.1`). It answers
/// one request per connection and never reads more than 8 KiB of a request.
public final class MetricsServer: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let fd: Int32
    private let thread = ConnectionThread(name: "chokepoint-metrics")
    public let port: Int

    public struct BindError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Binds now (so a taken port fails at start-up); `port` 0 picks a free port.
    public init(registry: PrometheusCollectorRegistry, address: String = "127.0.0.1", port: Int) throws {
        self.registry = registry
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard s >= 0 else { throw BindError(description: "socket() failed") }
        var one: Int32 = 1
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            close(s)
            throw BindError(description: "metrics address \(address) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(s, 16) == 0 else {
            close(s)
            throw BindError(description: "cannot listen on \(address):\(port): \(String(cString: strerror(errno)))")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &len) }
        }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        self.fd = s
    }

    public func start() {
        thread.start { [self] in self.loop() }
    }

    public func stop() {
        thread.stop()
        close(fd)
    }

    private func loop() {
        while !thread.isStopping {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 200) > 0 else { continue }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            var tv = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var buf = [UInt8](repeating: 0, count: 8192)
            let n = recv(client, &buf, buf.count, 0)
            let request = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
            let response: [UInt8]
            if request.hasPrefix("GET /metrics") {
                let body = registry.emitToBuffer()
                response = Array("HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body
            } else {
                response = Array("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8)
            }
            _ = response.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            close(client)
        }
    }
}
