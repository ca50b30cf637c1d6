import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// The `chokepoint` executable beside this benchmark's, which is what the load and drills run as daemons.
public enum Executables {
    public static var directory: URL {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
    }

    public static func chokepoint() throws -> String {
        let path = directory.appendingPathComponent("chokepoint").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw BenchFailure("no chokepoint executable at \(path): build the whole package (swift build --product chokepoint)")
        }
        return path
    }

    /// `scripts/pg` of the checkout: given, or found above the executable or the working directory.
    public static func pgScript(explicit: String?) throws -> String {
        if let explicit { return explicit }
        var candidates = [FileManager.default.currentDirectoryPath + "/scripts/pg"]
        var dir = directory
        for _ in 0..<6 {
            candidates.append(dir.appendingPathComponent("scripts/pg").path)
            dir = dir.deletingLastPathComponent()
        }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchFailure("scripts/pg not found; pass --pg-script")
        }
        return found
    }

    /// Runs a command to completion; returns its exit status and its standard output and error.
    ///
    /// `posix_spawn` and `waitpid` rather than Foundation's `Process`: `scripts/pg start` leaves a server
    /// running that would inherit `Process`'s exit-watching descriptor (and a pipe), so neither would ever
    /// report the end. The child gets only stdin (/dev/null) and stdout/stderr (a file); the rest are closed.
    @discardableResult
    public static func run(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-run-\(getpid())-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc ≥ 2.34 has addclosefrom_np, which the Glibc module does not import: look it up.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard rc == 0 else { throw BenchFailure("cannot run \(path): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// One `chokepoint run` process, started, killed and restarted the way systemd would.
///
/// Owned by the one thread that drives a drill (not Sendable). Standard output and error of every start go
/// to one log file, so a drill can show what the daemon said about a fault.
public final class DaemonProcess {
    public let name: String
    public let arguments: [String]
    public let environment: [String: String]
    public let logPath: String
    private var process: Process?
    public private(set) var starts = 0

    public init(name: String, conninfo: String, arguments: [String], logDirectory: String, logLevel: String = "warning") {
        self.name = name
        self.arguments = ["run"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["CHOKEPOINT_DATABASE_URL"] = conninfo
        env["CHOKEPOINT_LOG_LEVEL"] = logLevel
        env.removeValue(forKey: "NOTIFY_SOCKET")
        self.environment = env
        self.logPath = logDirectory + "/\(name).log"
    }

    public var pid: Int32 { process?.processIdentifier ?? 0 }
    public var isRunning: Bool { process?.isRunning ?? false }

    public func start() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try Executables.chokepoint())
        p.arguments = arguments
        p.environment = environment
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try? log.close()
        process = p
        starts += 1
    }

    /// SIGKILL, and waits for the process to be gone.
    public func kill() {
        guard let p = process, p.isRunning else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// SIGTERM (graceful: finish batches in hand), SIGKILL after `timeout` seconds; returns the exit status.
    @discardableResult
    public func stop(timeout: Double = 30) -> Int32? {
        guard let p = process else { return nil }
        if p.isRunning {
            Glibc.kill(p.processIdentifier, SIGTERM)
            let end = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.02) }
            if p.isRunning { kill(); return nil }
        }
        p.waitUntilExit()
        return p.terminationStatus
    }

    /// Waits until `workers` of this start's workers have opened a screening run (lists loaded, connections warmed
    /// up, claiming): the load bench waits for all of them, so its steady rate starts on a daemon that is up.
    public func waitReady(_ c: Connection, workers: Int = 1, timeout: Double = 60) throws {
        let end = Date().addingTimeInterval(timeout)
        while Date() < end {
            if !isRunning { throw BenchFailure("daemon \(name) exited during start-up; see \(logPath)") }
            if let n = try? c.query("SELECT count(*) FROM chokepoint.screening_runs WHERE kind = 'daemon' AND pid = $1", [String(pid)]).scalar,
               (Int(n) ?? 0) >= workers { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw BenchFailure("daemon \(name) not ready after \(Int(timeout)) s; see \(logPath)")
    }

    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}
