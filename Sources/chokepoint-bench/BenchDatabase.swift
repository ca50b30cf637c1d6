import Foundation
import Postgres
import Store

/// A throwaway database for one benchmark run, created from an admin connection and dropped after.
struct BenchDatabase {
    let adminConninfo: String
    let name: String
    let conninfo: String

    /// Creates `chokepoint_bench_<pid>` next to the admin URL's database and migrates it.
    static func create(adminConninfo: String, sqlDir: String?) throws -> BenchDatabase {
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

    func drop() {
        guard let admin = try? Connection(conninfo: adminConninfo) else { return }
        _ = try? admin.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        admin.close()
    }
}
