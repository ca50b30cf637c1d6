import Foundation
import Postgres
#if canImport(Glibc)
import Glibc
#endif

/// The disk-full drill's fault: the tables every decision writes to (audit log, hits, screening runs and
/// attempts, with their indexes) moved to a tablespace on a small tmpfs of their own, which the drill fills
/// to the last block (a ballast file) and frees again. PostgreSQL then refuses every write that needs a new
/// page there with SQLSTATE 53100 ("could not extend file … No space left on device"), as on a full data
/// volume, while the machine's own disk is never touched. The payments table stays where it is, so the
/// bank's inserts keep arriving and the daemon has a backlog to fail on. The WAL stays in the data folder:
/// a full WAL volume makes PostgreSQL stop (PANIC) and restart, which the pg-restart drill covers.
///
/// Mounting needs root (CAP_SYS_ADMIN); `available()` says whether this machine allows it.
public final class FullDiskVolume {
    public let mountPoint: String
    public let tablespace: String
    private var mounted = false
    private var moved = false
    private var ballast: Int32 = -1

    /// Why the drill cannot run here, or nil when a tmpfs can be mounted.
    public static func unavailableReason() -> String? {
        guard geteuid() == 0 else { return "the diskfull drill mounts a small tmpfs and must run as root" }
        let probe = "/tmp/chokepoint-mount-probe-\(getpid())"
        defer { rmdir(probe) }
        guard mkdir(probe, 0o700) == 0 else { return "cannot create \(probe)" }
        guard let r = try? Executables.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "chokepoint-probe", probe]), r.status == 0 else {
            return "mounting a tmpfs is not permitted here"
        }
        _ = try? Executables.run("/usr/bin/umount", [probe])
        return nil
    }

    /// Mounts a tmpfs of `megabytes` and creates an empty tablespace on it, owned by the server's OS user
    /// (the owner of its data folder, which `control`, a superuser connection, can read).
    public init(control: Connection, megabytes: Int) throws {
        if let why = Self.unavailableReason() { throw BenchFailure(why) }
        var template = Array("/tmp/chokepoint-diskfull-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { throw BenchFailure("mkdtemp failed: \(String(cString: strerror(errno)))") }
        mountPoint = String(cString: dir)
        tablespace = "chokepoint_drill_full_\(getpid())"
        let r = try Executables.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0755", "chokepoint-diskfull", mountPoint])
        guard r.status == 0 else {
            rmdir(mountPoint)
            throw BenchFailure("mount tmpfs on \(mountPoint) failed: \(r.output)")
        }
        mounted = true
        // Should anything below fail, nobody else will unmount: do it here.
        var ready = false
        defer {
            if !ready {
                _ = try? Executables.run("/usr/bin/umount", [mountPoint])
                rmdir(mountPoint)
            }
        }
        let dataDir = try control.query("SELECT current_setting('data_directory')").scalar ?? ""
        var st = stat()
        guard stat(dataDir, &st) == 0 else { throw BenchFailure("cannot stat the server's data folder \(dataDir) (the drill must run on the server's machine)") }
        let location = mountPoint + "/tablespace"
        guard mkdir(location, 0o700) == 0, chown(location, st.st_uid, st.st_gid) == 0 else {
            throw BenchFailure("cannot prepare \(location): \(String(cString: strerror(errno)))")
        }
        // Both are generated here (a constant, the pid, mkdtemp's [A-Za-z0-9]); neither can be a bind parameter.
        try control.executeScript("CREATE TABLESPACE \(tablespace) LOCATION '\(location)'")
        ready = true
    }

    /// The tables a decision writes besides the payment row itself.
    public static let decisionTables = ["chokepoint.audit_log", "chokepoint.hits", "chokepoint.screening_runs", "chokepoint.screening_attempts"]

    /// Moves the decision tables and their indexes onto the volume.
    public func moveDecisionTables(_ c: Connection) throws {
        moved = true
        try move(c, to: tablespace)
    }

    private func move(_ c: Connection, to target: String) throws {
        var script = ""
        for parent in Self.decisionTables {
            // A partitioned table's SET TABLESPACE only names where new partitions go: its monthly partitions,
            // which hold the rows, are moved one by one.
            let partitions = try c.query("""
                SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = $1::regclass ORDER BY 1
                """, [parent]).rows.compactMap { $0.string(0) }
            for table in [parent] + partitions {
                script += "ALTER TABLE \(table) SET TABLESPACE \(target);\n"
                let indexes = try c.query("SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = $1::regclass", [table]).rows
                for row in indexes { if let name = row.string(0) { script += "ALTER INDEX \(name) SET TABLESPACE \(target);\n" } }
            }
        }
        try c.executeScript(script)
    }

    /// Free bytes on the volume.
    public var freeBytes: Int {
        var s = statvfs()
        guard statvfs(mountPoint, &s) == 0 else { return -1 }
        return Int(s.f_bavail) * Int(s.f_frsize)
    }

    /// Fills the volume to the last block; returns the ballast's size in bytes.
    @discardableResult
    public func fill() throws -> Int {
        if ballast < 0 {
            ballast = open(mountPoint + "/ballast", O_WRONLY | O_CREAT | O_APPEND, 0o600)
            guard ballast >= 0 else { throw BenchFailure("cannot create the ballast: \(String(cString: strerror(errno)))") }
        }
        var written = 0
        for chunk in [1 << 20, 1 << 16, 4096] {
            let zeros = [UInt8](repeating: 0, count: chunk)
            while true {
                let n = zeros.withUnsafeBytes { write(ballast, $0.baseAddress, chunk) }
                if n > 0 { written += n; continue }
                if n < 0 && errno == EINTR { continue }
                // 0 bytes written, or ENOSPC: this chunk size no longer fits.
                guard n == 0 || errno == ENOSPC else { throw BenchFailure("filling the volume: \(String(cString: strerror(errno)))") }
                break
            }
        }
        return written
    }

    /// Deletes the ballast: the volume has room again.
    public func free() {
        if ballast >= 0 { close(ballast); ballast = -1 }
        unlink(mountPoint + "/ballast")
    }

    /// Frees the volume, moves the tables back to the default tablespace, drops the tablespace and unmounts.
    /// Safe to call twice; `c` must be a connection to the drill's database, with no daemon running. Returns
    /// what went wrong (empty when all is back as it was).
    @discardableResult
    public func tearDown(_ c: Connection?) -> [String] {
        var problems: [String] = []
        free()
        if moved {
            if let c {
                do { try move(c, to: "pg_default") } catch { problems.append("moving the tables back: \(error)") }
            } else {
                problems.append("no connection to move the tables back")
            }
            moved = false
        }
        if mounted {
            if problems.isEmpty {
                do { try c?.executeScript("DROP TABLESPACE IF EXISTS \(tablespace)") } catch { problems.append("dropping tablespace \(tablespace): \(error)") }
            }
            if problems.isEmpty {
                // A server process may still hold a moved file open for a moment: detach lazily then.
                if (try? Executables.run("/usr/bin/umount", [mountPoint]))?.status != 0 {
                    _ = try? Executables.run("/usr/bin/umount", ["-l", mountPoint])
                }
                rmdir(mountPoint)
            } else {
                // Tables may still live there: leave the volume mounted rather than pull it away under them.
                problems.append("left \(mountPoint) mounted and tablespace \(tablespace) in place")
            }
            mounted = false
        }
        return problems
    }
}
