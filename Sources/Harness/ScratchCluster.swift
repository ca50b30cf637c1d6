import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private PostgreSQL cluster in a folder (through `scripts/pg`), for the drill that restarts the server.
public struct ScratchCluster {
    public let directory: String
    public let script: String

    public init(directory: String, script: String) {
        self.directory = directory
        self.script = script
    }

    /// Starts (creating if needed) the cluster and returns its admin URL.
    public func start() throws -> String {
        let r = try Executables.run(script, ["start", directory])
        guard r.status == 0, !r.output.isEmpty else { throw BenchFailure("scripts/pg start \(directory) failed (status \(r.status))") }
        return r.output.split(separator: "\n").last.map(String.init) ?? r.output
    }

    /// Stops the server with pg_ctl's `fast` or `immediate` mode (immediate: no checkpoint, crash recovery next start).
    public func stop(mode: String) throws {
        let bins = ((try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? [])
            .compactMap(Int.init).sorted()
        guard let v = bins.last else { throw BenchFailure("no /usr/lib/postgresql/<version>/bin") }
        let pgctl = "/usr/lib/postgresql/\(v)/bin/pg_ctl"
        let args = ["-D", directory + "/data", "-m", mode, "-w", "-t", "60", "stop"]
        let r = getuid() == 0
            ? try Executables.run("/usr/sbin/runuser", ["-u", "postgres", "--", pgctl] + args)
            : try Executables.run(pgctl, args)
        guard r.status == 0 else { throw BenchFailure("pg_ctl -m \(mode) stop failed (status \(r.status))") }
    }

    public func destroy() {
        _ = try? Executables.run(script, ["stop", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }
}
