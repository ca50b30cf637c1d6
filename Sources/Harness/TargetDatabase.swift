import Foundation
import Postgres
import Store

/// The database a load run or drill works in: a throwaway one it creates and drops, or one given as is.
public struct TargetDatabase: Sendable {
    public let conninfo: String
    public let name: String
    private let created: BenchDatabase?

    /// Creates `chokepoint_bench_<pid>` from the admin URL, or uses `url` as is when `existing` (it must be
    /// migrated and hold no payments).
    public static func open(url: String, existing: Bool) throws -> TargetDatabase {
        if existing {
            let c = try Connection(conninfo: url)
            defer { c.close() }
            try Migrator.checkCurrent(c)
            let name = try c.query("SELECT current_database()").scalar ?? ""
            guard try c.query("SELECT count(*) FROM chokepoint.payments").scalar == "0" else {
                throw BenchFailure("--existing database \(name) already holds payments")
            }
            return TargetDatabase(conninfo: url, name: name, created: nil)
        }
        let db = try BenchDatabase.create(adminConninfo: url, sqlDir: nil)
        return TargetDatabase(conninfo: db.conninfo, name: db.name, created: db)
    }

    public func drop() { created?.drop() }

    /// The conninfo with one more parameter (`application_name`, so drills can tell daemons apart).
    public func conninfo(applicationName: String) -> String {
        if conninfo.contains("://") { return conninfo + (conninfo.contains("?") ? "&" : "?") + "application_name=" + applicationName }
        return conninfo + " application_name=" + applicationName
    }
}

/// A throwaway database for one benchmark run, created from an admin connection and dropped after.
public struct BenchDatabase: Sendable {
    public let adminConninfo: String
    public let name: String
    public let conninfo: String

    /// Creates `chokepoint_bench_<pid>` next to the admin URL's database and migrates it.
    public static func create(adminConninfo: String, sqlDir: String?) throws -> BenchDatabase {
        let name = "chokepoint_bench_\(getpid())"
        let admin = try Connection(conninfo: adminConninfo)
        defer { admin.close() }
        try admin.query("SELECT 1")
        _ = try? admin.executeScript("DROP DATABASE IF EXISTS \(name)")
        try admin.executeScript("CREATE DATABASE \(name)")
        let conninfo = ConnInfo.replacingDatabase(adminConninfo, with: name)
        let c = try Connection(conninfo: conninfo)
        defer { c.close() }
        try Migrator(directory: Migrator.locateDirectory(explicit: sqlDir)).migrateUp(c)
        return BenchDatabase(adminConninfo: adminConninfo, name: name, conninfo: conninfo)
    }

    public func drop() {
        guard let admin = try? Connection(conninfo: adminConninfo) else { return }
        _ = try? admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }
}
