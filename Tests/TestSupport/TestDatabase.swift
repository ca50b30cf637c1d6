import Store
import Foundation
import Postgres

/// A fresh database for one test, in the cluster that `scripts/test` started.
///
/// Each test gets its own database (notifications and claims never cross tests) and drops it at the end.
/// `CHOKEPOINT_TEST_DATABASE_URL` names the cluster; without it the database tests are skipped — except
/// under CI, where a missing database is a failure, not a skip.
public struct TestDatabase: Sendable {
    public let name: String
    public let conninfo: String
    let admin: String

    public static var adminURL: String? {
        let v = ProcessInfo.processInfo.environment["CHOKEPOINT_TEST_DATABASE_URL"]
        return (v?.isEmpty ?? true) ? nil : v
    }

    /// True when database tests should run (a cluster is configured, or we are in CI and must fail loudly).
    public static var enabled: Bool { adminURL != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    /// The package root, from this file's path.
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
    public static var sqlDirectory: String { packageRoot + "/sql" }
    /// `../shared` beside the package, if present.
    public static var sharedDirectory: String? {
        let p = URL(fileURLWithPath: packageRoot).deletingLastPathComponent().appendingPathComponent("shared").path
        return FileManager.default.fileExists(atPath: p + "/data") ? p : nil
    }

    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String { "CHOKEPOINT_TEST_DATABASE_URL is not set: run the tests with scripts/test" }
    }

    /// Creates `t_<random>`, and migrates it unless `migrated` is false; in the cluster of `adminURL`, or of
    /// `admin` (a cluster of the test's own).
    public static func create(migrated: Bool = true, admin: String? = nil) throws -> TestDatabase {
        guard let admin = admin ?? adminURL else { throw Unavailable() }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let c = try Connection(conninfo: admin)
        defer { c.close() }
        try c.executeScript("CREATE DATABASE \(name)")
        let db = TestDatabase(name: String(name), conninfo: Self.url(admin, database: String(name)), admin: admin)
        if migrated {
            let m = try db.connect()
            defer { m.close() }
            try Migrator(directory: sqlDirectory).migrateUp(m)
            _ = try Migrator.harden(m)
        }
        return db
    }

    public func connect() throws -> Connection { try Connection(conninfo: conninfo) }

    /// A conninfo for the same database as another login role.
    public func conninfo(user: String) -> String {
        Self.url(admin, database: name).replacingOccurrences(of: "user=postgres", with: "user=\(user)")
    }

    /// Creates a login role that is a member of `memberOf` (cluster-wide; unique name per call).
    public func createLoginRole(prefix: String, memberOf: String) throws -> String {
        let role = "\(prefix)_\(UUID().uuidString.prefix(8).lowercased())"
        let c = try connect()
        defer { c.close() }
        try c.executeScript("CREATE ROLE \(role) LOGIN IN ROLE \(memberOf)")
        return role
    }

    public func drop() {
        guard let c = try? Connection(conninfo: admin) else { return }
        _ = try? c.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        c.close()
    }

    /// The same connection pointed at another database.
    public static func url(_ url: String, database: String) -> String {
        ConnInfo.replacingDatabase(url, with: database)
    }
}

/// Runs `sql` in one transaction with triggers and rules off (`session_replication_role = replica`), as only
/// a superuser can: test set-up that rewrites history, and the tampering the audit chain must reveal.
public func withTriggersOff(_ c: Connection, _ sql: String) throws {
    try c.transaction { c in
        try c.query("SET LOCAL session_replication_role = replica")
        try c.query(sql)
    }
}

/// Polls `condition` every 20 ms until it is true or `timeout` seconds pass; returns the last result.
///
/// The default is generous on purpose: the suite runs its tests in parallel on CI's two cores, where the
/// blocking database calls of other tests can hold the threads a daemon under test needs for a while. A
/// passing condition returns at once, so only a failure waits the whole time.
public func eventually(timeout: Double = 60, _ condition: () throws -> Bool) rethrows -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return try condition()
}

/// The async form of `eventually`: sleeps with `Task.sleep`, so it never blocks a cooperative thread
/// that the code under test may need.
public func eventually(timeout: Double = 60, _ condition: () throws -> Bool) async rethrows -> Bool {
    let end = Date().addingTimeInterval(timeout)
    while Date() < end {
        if try condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try condition()
}
