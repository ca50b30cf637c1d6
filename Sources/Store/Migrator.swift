import Foundation
import Postgres

/// One numbered migration: `NNN_name.up.sql` with an optional `NNN_name.down.sql`.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var up: String
    public var down: String?
    public var checksum: String { SHA256.hex(up) }

    public init(version: Int, name: String, up: String, down: String?) {
        self.version = version
        self.name = name
        self.up = up
        self.down = down
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case directoryNotFound([String])
    case badFileName(String)
    case duplicateVersion(Int)
    case gap(expected: Int, found: Int)
    case checksumMismatch(version: Int, name: String)
    case noDownScript(Int)
    case unmigrated(required: Int)
    case behind(database: Int, required: Int)
    case ahead(database: Int, required: Int)

    public var description: String {
        switch self {
        case .directoryNotFound(let tried): return "no sql/ directory with migrations found (tried: \(tried.joined(separator: ", "))); set --sql-dir or CHOKEPOINT_SQL_DIR"
        case .badFileName(let f): return "migration file name \(f) is not NNN_name.up.sql / NNN_name.down.sql"
        case .duplicateVersion(let v): return "two migrations have version \(v)"
        case .gap(let e, let f): return "migrations must be numbered without gaps: expected \(e), found \(f)"
        case .checksumMismatch(let v, let n): return "migration \(v) (\(n)) was applied with different content; refusing to continue"
        case .noDownScript(let v): return "migration \(v) has no .down.sql"
        case .unmigrated(let r): return "the database has no Chokepoint schema; run `chokepoint migrate` (schema version \(r) required)"
        case .behind(let d, let r): return "the database schema is at version \(d) but this binary needs \(r); run `chokepoint migrate`"
        case .ahead(let d, let r): return "the database schema is at version \(d), newer than this binary's \(r); upgrade the binary"
        }
    }
}

/// Applies `sql/` migrations in order, once each, recording them in `chokepoint_meta.schema_migrations`.
///
/// The version table lives in its own schema so that migrating `chokepoint` down to zero keeps the record.
/// All work happens under a transaction-level advisory lock, so two `migrate` runs at once apply each file once.
public struct Migrator: Sendable {
    /// The schema version this binary's code is written against. A test checks it equals the newest file in `sql/`.
    public static let requiredVersion = 18

    /// Earlier texts of migrations that were since corrected without changing what they create (so a
    /// database that applied the earlier text is not refused). Version 1: roles created only where missing and
    /// `search_path` pinned on its three trigger functions; versions 1, 2 and 5: EXECUTE on their trigger
    /// functions revoked from PUBLIC. Migration 7 does all of it for a database that applied the earlier texts.
    static let equivalentChecksums: [Int: Set<String>] = [
        1: ["a244f40747d12cdcbea5f2f589d4a84d2680ed5389ed7c0da484b6280d482275"],
        2: ["5c909678a900f7d1b08015cbad6e1dc27cdc2cddef9889beeb4bcd085a4d05fa"],
        5: ["de02fb9ccf8bbf955e07a6c0080cdd5b1453ccff1ff7e362f920ebe2b864e5ac"],
    ]

    /// The cluster-wide NOLOGIN roles the migrations grant to (001 makes the first three, 007 the next three,
    /// 012 the archiver).
    ///
    /// `migrateUp` creates the missing ones before any migration, each in a statement of its own that commits
    /// at once. The migrations create them too (where missing), but inside their own long transaction: when two
    /// databases of one cluster were migrated at the same moment, the loser of that race waited on the winner's
    /// uncommitted role and then could not see it (`role "chokepoint_owner" does not exist`). A test checks this
    /// list against the roles the migrations leave.
    public static let clusterRoles = ["chokepoint_submitter", "chokepoint_operator", "chokepoint_daemon",
                                      "chokepoint_owner", "chokepoint_policy_admin", "chokepoint_auditor",
                                      "chokepoint_archiver"]

    /// Creates the missing `clusterRoles`, each committed on its own. A migrator without CREATEROLE gets past
    /// roles a DBA made; where one is missing and it may not create it, the migration that needs it says so.
    public static func ensureRoles(_ c: Connection) throws {
        for role in clusterRoles {
            try c.query("""
                DO $$ BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = '\(role)') THEN
                        EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', '\(role)');
                    END IF;
                EXCEPTION WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN
                    NULL;
                END $$
                """)
        }
    }

    public let migrations: [Migration]

    public init(migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (i, m) in sorted.enumerated() {
            if i > 0 && sorted[i - 1].version == m.version { throw MigrationError.duplicateVersion(m.version) }
            if m.version != i + 1 { throw MigrationError.gap(expected: i + 1, found: m.version) }
        }
        self.migrations = sorted
    }

    /// Loads the migrations of a directory.
    public init(directory: String) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }
        var ups: [Int: (String, String)] = [:]
        var downs: [Int: String] = [:]
        for file in files {
            let isUp = file.hasSuffix(".up.sql")
            let isDown = file.hasSuffix(".down.sql")
            guard isUp || isDown, let underscore = file.firstIndex(of: "_"),
                  let version = Int(file[file.startIndex..<underscore]) else { throw MigrationError.badFileName(file) }
            let base = String(file[file.index(after: underscore)...].dropLast(isUp ? 7 : 9))
            let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
            if isUp {
                if ups[version] != nil { throw MigrationError.duplicateVersion(version) }
                ups[version] = (base, text)
            } else {
                downs[version] = text
            }
        }
        try self.init(migrations: ups.map { Migration(version: $0.key, name: $0.value.0, up: $0.value.1, down: downs[$0.key]) })
    }

    /// Finds the `sql/` directory: an explicit path, `CHOKEPOINT_SQL_DIR`, next to the binary
    /// (`../share/chokepoint/sql`), or `./sql` and the package root during development.
    public static func locateDirectory(explicit: String?) throws -> String {
        // An explicit directory is the only candidate: a typo must fail, not fall back silently.
        var candidates: [String] = explicit.map { [$0] } ?? []
        if explicit == nil, let env = ProcessInfo.processInfo.environment["CHOKEPOINT_SQL_DIR"], !env.isEmpty { candidates.append(env) }
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        if explicit == nil {
            candidates.append(exe.appendingPathComponent("../share/chokepoint/sql").standardized.path)
            candidates.append("/usr/share/chokepoint/sql")
            candidates.append(FileManager.default.currentDirectoryPath + "/sql")
            // Development: .build/<config>/chokepoint -> package root.
            candidates.append(exe.appendingPathComponent("../../../sql").standardized.path)
        }
        for c in candidates {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: c, isDirectory: &isDir), isDir.boolValue,
               let files = try? FileManager.default.contentsOfDirectory(atPath: c), files.contains(where: { $0.hasSuffix(".up.sql") }) {
                return c
            }
        }
        throw MigrationError.directoryNotFound(candidates)
    }

    private static let bootstrap = """
        CREATE SCHEMA IF NOT EXISTS chokepoint_meta;
        CREATE TABLE IF NOT EXISTS chokepoint_meta.schema_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            checksum   text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            applied_by text NOT NULL DEFAULT session_user
        );
        """

    /// The applied version recorded in the database, or nil when nothing was ever applied.
    public static func databaseVersion(_ connection: Connection) throws -> Int? {
        let exists = try connection.query("SELECT to_regclass('chokepoint_meta.schema_migrations') IS NOT NULL").scalar
        guard exists == "t" else { return nil }
        return try connection.query("SELECT max(version) FROM chokepoint_meta.schema_migrations").rows.first?.int(0)
    }

    /// Throws unless the database is exactly at `requiredVersion` (what `run` checks before starting).
    public static func checkCurrent(_ connection: Connection) throws {
        guard let v = try databaseVersion(connection) else { throw MigrationError.unmigrated(required: requiredVersion) }
        if v < requiredVersion { throw MigrationError.behind(database: v, required: requiredVersion) }
        if v > requiredVersion { throw MigrationError.ahead(database: v, required: requiredVersion) }
    }

    /// Applies every migration not yet applied, each in its own transaction; returns the versions applied.
    /// Once the partitioning migration is applied it then makes sure the partitions of the coming months exist
    /// (`Partitions.ensure`).
    @discardableResult
    public func migrateUp(_ connection: Connection, to target: Int? = nil) throws -> [Int] {
        try Self.ensureRoles(connection)
        try connection.executeScript(Self.bootstrap)
        var applied: [Int] = []
        for m in migrations where m.version <= (target ?? Int.max) {
            let did: Bool = try connection.transaction { c in
                _ = try c.query("SELECT pg_advisory_xact_lock(7432001)")
                let row = try c.query("SELECT checksum FROM chokepoint_meta.schema_migrations WHERE version = $1", [String(m.version)]).rows.first
                if let row {
                    let applied = row.string(0) ?? ""
                    if applied != m.checksum && !(Self.equivalentChecksums[m.version]?.contains(applied) ?? false) {
                        throw MigrationError.checksumMismatch(version: m.version, name: m.name)
                    }
                    return false
                }
                try c.executeScript(m.up)
                try c.query("INSERT INTO chokepoint_meta.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                            [String(m.version), m.name, m.checksum])
                return true
            }
            if did { applied.append(m.version) }
        }
        // Partitions ahead (once the partitioning migration is applied): every `migrate` run keeps the coming months ready.
        if try connection.query("SELECT to_regprocedure('chokepoint.ensure_partitions(integer)') IS NOT NULL").scalar == "t" {
            try Partitions.ensure(connection)
        }
        return applied
    }

    /// Database-wide hardening that a migration file cannot do for every cluster: takes TEMP on this database
    /// and CREATE on schema `public` away from PUBLIC (a temporary table is where a hostile login would attach
    /// trigger functions; a shadowing object in `public` is how it would hijack an unqualified name).
    /// Needs the database owner or a superuser; returns one warning per grant it could not revoke.
    public static func harden(_ c: Connection) throws -> [String] {
        var warnings: [String] = []
        _ = try? c.query("DO $$ BEGIN EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database()); END $$")
        if try c.query("SELECT has_database_privilege('public', current_database(), 'TEMPORARY')").scalar == "t" {
            warnings.append("PUBLIC may still create temporary tables in this database (REVOKE TEMPORARY ON DATABASE needs its owner): "
                            + "ask a DBA to run REVOKE TEMPORARY ON DATABASE <db> FROM PUBLIC")
        }
        if try c.query("SELECT to_regnamespace('public') IS NOT NULL").scalar == "t" {
            _ = try? c.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            if try c.query("SELECT has_schema_privilege('public', 'public', 'CREATE')").scalar == "t" {
                warnings.append("PUBLIC may still create objects in schema public (REVOKE CREATE ON SCHEMA public needs its owner): "
                                + "ask a DBA to run REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            }
        }
        return warnings
    }

    /// Reverts applied migrations above `target`, newest first; returns the versions reverted.
    @discardableResult
    public func migrateDown(_ connection: Connection, to target: Int) throws -> [Int] {
        try connection.executeScript(Self.bootstrap)
        var reverted: [Int] = []
        for m in migrations.reversed() where m.version > target {
            let did: Bool = try connection.transaction { c in
                _ = try c.query("SELECT pg_advisory_xact_lock(7432001)")
                guard try c.query("SELECT 1 FROM chokepoint_meta.schema_migrations WHERE version = $1", [String(m.version)]).rows.first != nil else {
                    return false
                }
                guard let down = m.down else { throw MigrationError.noDownScript(m.version) }
                try c.executeScript(down)
                try c.query("DELETE FROM chokepoint_meta.schema_migrations WHERE version = $1", [String(m.version)])
                return true
            }
            if did { reverted.append(m.version) }
        }
        return reverted
    }
}
