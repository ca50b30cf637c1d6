import Daemon
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("sd_notify over NOTIFY_SOCKET")
struct SystemdNotifierTests {
    /// Binds a datagram socket at a temporary path and returns (fd, path).
    func bindSocket() throws -> (Int32, String) {
        let path = NSTemporaryDirectory() + "notify-\(UUID().uuidString.prefix(8)).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let r = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(r == 0)
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        return (fd, path)
    }

    func receive(_ fd: Int32) -> String {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : ""
    }

    @Test("READY, STATUS, WATCHDOG and STOPPING arrive as datagrams")
    func messages() throws {
        let (fd, path) = try bindSocket()
        defer { close(fd); unlink(path) }
        let n = SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        #expect(n.isEnabled)
        n.ready(status: "screening")
        #expect(receive(fd) == "READY=1\nSTATUS=screening")
        n.watchdog()
        #expect(receive(fd) == "WATCHDOG=1")
        n.stopping()
        #expect(receive(fd) == "STOPPING=1")
    }

    @Test("without NOTIFY_SOCKET nothing is sent and nothing fails")
    func disabled() {
        let n = SystemdNotifier(environment: [:])
        #expect(!n.isEnabled)
        #expect(n.send(["READY=1"]) == false)
    }

    @Test("the watchdog interval honours WATCHDOG_USEC and WATCHDOG_PID")
    func watchdogInterval() {
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000"]) == 30)
        #expect(SystemdNotifier.watchdogInterval(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"]) == nil)
        #expect(SystemdNotifier.watchdogInterval(environment: [:]) == nil)
    }
}
