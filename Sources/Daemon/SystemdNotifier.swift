import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// sd_notify(3) over the `NOTIFY_SOCKET` datagram socket, without libsystemd.
///
/// A no-op when the process was not started by systemd with `Type=notify` (no `NOTIFY_SOCKET`).
/// Abstract socket names (leading `@`) are supported.
public struct SystemdNotifier: Sendable {
    public let socketPath: String?

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"]
        socketPath = (path?.isEmpty ?? true) ? nil : path
    }

    public var isEnabled: Bool { socketPath != nil }

    /// The watchdog interval systemd asked for (`WATCHDOG_USEC`), if it is meant for this process.
    public static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment) -> Double? {
        guard let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        return usec / 1_000_000
    }

    public func ready(status: String? = nil) { send(["READY=1"] + (status.map { ["STATUS=\($0)"] } ?? [])) }
    public func watchdog() { send(["WATCHDOG=1"]) }
    public func stopping(status: String? = nil) { send(["STOPPING=1"] + (status.map { ["STATUS=\($0)"] } ?? [])) }
    public func status(_ text: String) { send(["STATUS=\(text)"]) }

    /// Sends newline-separated `KEY=VALUE` assignments in one datagram; returns false if it could not.
    @discardableResult
    public func send(_ assignments: [String]) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        let abstract = pathBytes.first == UInt8(ascii: "@")
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (abstract ? 0 : 1))
        let payload = Array(assignments.joined(separator: "\n").utf8)
        let sent = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                payload.withUnsafeBytes { buf in sendto(fd, buf.baseAddress, buf.count, 0, sa, length) }
            }
        }
        return sent == payload.count
    }
}
