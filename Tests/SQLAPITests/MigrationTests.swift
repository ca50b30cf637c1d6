import Foundation
import IntegrationSupport
import Postgres
import Store
import TestSupport
import Testing

@Suite("migrations", .enabled(if: TestDatabase.enabled))
struct MigrationTests {
    @Test("up from empty, again is a no-op, down to zero and up again")
    func upDownUp() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        let m = try Migrator(directory: TestDatabase.sqlDirectory)
        #expect(try Migrator.databaseVersion(c) == nil)
        #expect(throws: MigrationError.self) { try Migrator.checkCurrent(c) }
        let applied = try m.migrateUp(c)
        #expect(applied == Array(1...m.migrations.count))
        #expect(try m.migrateUp(c).isEmpty)
        try Migrator.checkCurrent(c)
        #expect(try c.query("SELECT to_regclass('chokepoint.payments') IS NOT NULL").scalar == "t")
        let reverted = try m.migrateDown(c, to: 0)
        #expect(reverted == Array((1...m.migrations.count).reversed()))
        #expect(try c.query("SELECT to_regclass('chokepoint.payments') IS NULL").scalar == "t")
        #expect(try m.migrateUp(c).count == m.migrations.count)
        try Migrator.checkCurrent(c)
    }

    @Test("the binary's required version is the newest migration file")
    func requiredVersionMatchesFiles() throws {
        let m = try Migrator(directory: TestDatabase.sqlDirectory)
        #expect(m.migrations.last?.version == Migrator.requiredVersion)
        #expect(m.migrations.allSatisfy { $0.down != nil })
    }

    @Test("run refuses a database behind or ahead of the binary")
    func refusesWrongVersion() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        let m = try Migrator(directory: TestDatabase.sqlDirectory)
        try m.migrateUp(c, to: 1)
        #expect(throws: MigrationError.behind(database: 1, required: Migrator.requiredVersion)) { try Migrator.checkCurrent(c) }
        try m.migrateUp(c)
        try c.query("INSERT INTO chokepoint_meta.schema_migrations (version, name, checksum) VALUES (999, 'future', 'x')")
        #expect(throws: MigrationError.ahead(database: 999, required: Migrator.requiredVersion)) { try Migrator.checkCurrent(c) }
    }

    @Test("an applied migration whose file changed is refused")
    func checksumMismatch() throws {
        let db = try TestDatabase.create(migrated: true)
        defer { db.drop() }
        let c = try db.connect()
        var ms = try Migrator(directory: TestDatabase.sqlDirectory).migrations
        ms[0].up += "\n-- edited after release\n"
        #expect(throws: MigrationError.checksumMismatch(version: 1, name: ms[0].name)) { try Migrator(migrations: ms).migrateUp(c) }
    }

    @Test("a database that applied earlier texts of migrations 1, 2 and 5 is accepted; every function is closed to PUBLIC from the start")
    func earlierTextAndPublicExecute() throws {
        let db = try TestDatabase.create(migrated: false)
        defer { db.drop() }
        let c = try db.connect()
        let m = try Migrator(directory: TestDatabase.sqlDirectory)
        try m.migrateUp(c, to: 6)
        // Before migration 7 revokes anything, no function of the schema is executable by PUBLIC, and each has a fixed search_path.
        #expect(try c.query("""
            SELECT count(*) FROM pg_proc WHERE pronamespace = 'chokepoint'::regnamespace
               AND (has_function_privilege('public', oid, 'EXECUTE') OR proconfig IS NULL)
            """).scalar == "0")
        // The texts of migrations 1, 2 and 5 that earlier releases applied.
        try c.query("""
            UPDATE chokepoint_meta.schema_migrations AS s SET checksum = e.checksum
              FROM (VALUES (1, 'a244f40747d12cdcbea5f2f589d4a84d2680ed5389ed7c0da484b6280d482275'),
                           (2, '5c909678a900f7d1b08015cbad6e1dc27cdc2cddef9889beeb4bcd085a4d05fa'),
                           (5, 'de02fb9ccf8bbf955e07a6c0080cdd5b1453ccff1ff7e362f920ebe2b864e5ac')) AS e(version, checksum)
             WHERE s.version = e.version
            """)
        #expect(try m.migrateUp(c) == Array(7...Migrator.requiredVersion))
        try Migrator.checkCurrent(c)
    }

    @Test("gaps and duplicate numbers in sql/ are refused")
    func gaps() {
        let a = Migration(version: 1, name: "a", up: "", down: "")
        let c = Migration(version: 3, name: "c", up: "", down: "")
        #expect(throws: MigrationError.gap(expected: 2, found: 3)) { try Migrator(migrations: [a, c]) }
        #expect(throws: MigrationError.duplicateVersion(1)) { try Migrator(migrations: [a, a]) }
    }

    @Test("SHA-256 matches known vectors")
    func sha256() {
        #expect(SHA256.hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(String(repeating: "a", count: 1000)) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}
