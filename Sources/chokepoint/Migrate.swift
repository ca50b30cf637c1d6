import ArgumentParser
import Foundation
import Store

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the sql/ migrations in order, once each (safe to run again).",
        discussion: "Also loads the default end-use indicators (CHPL codes, keywords, country sets) when none are loaded.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Directory of NNN_name.up.sql files (default: CHOKEPOINT_SQL_DIR, the installed share/chokepoint/sql, or ./sql).")
    var sqlDir: String?

    @Option(help: "Migrate down to this version instead of up (0 removes the schema; roles are kept).")
    var downTo: Int?

    func run() throws {
        try runReportingErrors {
            let directory: String
            let migrator: Migrator
            do {
                directory = try Migrator.locateDirectory(explicit: sqlDir)
                migrator = try Migrator(directory: directory)
            } catch {
                throw CLIError(code: .failure, message: "\(error)")
            }
            let c = try database.connect()
            defer { c.close() }
            do {
                if let downTo {
                    let reverted = try migrator.migrateDown(c, to: downTo)
                    print(reverted.isEmpty ? "nothing to revert" : "reverted migrations \(reverted.map(String.init).joined(separator: ", "))")
                    return
                }
                let applied = try migrator.migrateUp(c)
                if applied.isEmpty {
                    print("schema is up to date (version \(migrator.migrations.last?.version ?? 0))")
                } else {
                    print("applied migrations \(applied.map(String.init).joined(separator: ", ")) from \(directory)")
                }
                for w in try Migrator.harden(c) { FileHandle.standardError.write(Data("warning: \(w)\n".utf8)) }
                let told = try MigrateHooks.afterMigrate(c)
                for line in told.info { print(line) }
                for n in told.notices { FileHandle.standardError.write(Data((n + "\n").utf8)) }
            } catch {
                throw CLIError(code: .failure, message: "migration failed: \(error)")
            }
        }
    }
}
