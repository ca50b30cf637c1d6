import ArgumentParser
import Foundation
import Postgres
import Store

/// `chokepoint archive`: export closed months with checksums and detach them.
struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Export each closed month before --before (payments, hits, audit rows) with checksums, then detach it.",
        discussion: """
            Months are archived oldest first; the first month that is not closed (a payment pending, held or being \
            screened, an alert not acknowledged, or the month not over) stops the run with exit 1 and says why. Each \
            month goes to DIR/YYYY-MM/: payments.copy, hits.copy, audit_log.copy (PostgreSQL COPY text format), \
            MANIFEST and SHA256SUMS (check with `sha256sum -c SHA256SUMS`). The partitions are then detached (kept as \
            tables) and dropped only with --drop. Safe to run again: archived months are skipped, an unfinished \
            export is written again. The audit chain stays verifiable: `chokepoint audit verify` accepts the \
            positions that left with archived months, as recorded in chokepoint.audit_archived_runs.
            Runs as a login granted chokepoint_archiver.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Archive the months before this one (YYYY-MM, UTC).") var before: String
    @Option(help: "Directory for the exports (a YYYY-MM folder per month is created in it).") var output: String
    @Flag(help: "Also drop the detached tables of archived months (after their export was written).") var drop = false
    @Option(help: "Seconds to wait for the tables' locks when detaching (the daemon's transactions are short).")
    var lockTimeout: Int = 30

    func validate() throws {
        guard Archive.Month(before) != nil, before.count == 7 else { throw ValidationError("--before must be YYYY-MM, not \(before)") }
        guard !output.isEmpty else { throw ValidationError("--output needs a directory") }
        guard (1...3600).contains(lockTimeout) else { throw ValidationError("--lock-timeout must be between 1 and 3600 seconds") }
    }

    func run() throws {
        try runReportingErrors {
            let limit = Archive.Month(before)!
            let c = try database.connect()
            defer { c.close() }
            do { try Migrator.checkCurrent(c) } catch { throw CLIError(code: .unmigrated, message: "\(error)") }
            do {
                for (month, dropped) in try Archive.archivedMonths(c, before: limit) {
                    if drop && !dropped {
                        print(try Archive.drop(c, month: month))
                    } else {
                        print("\(month): already archived\(dropped ? " (tables dropped)" : "")")
                    }
                }
                for month in try Archive.attachedMonths(c, before: limit) {
                    if let problem = try Archive.problem(c, month: month) {
                        throw CLIError(code: .failure, message: "cannot archive \(month): \(problem); later months are left as they are")
                    }
                    let export = try Archive.export(c, month: month, to: output)
                    print("\(month): exported \(export.payments) payments, \(export.hits) hits, \(export.auditRows) audit rows to "
                          + "\(export.directory) (SHA256SUMS \(export.checksum))")
                    print(try Archive.detach(c, export, lockTimeout: lockTimeout))
                    if drop { print(try Archive.drop(c, month: month)) }
                }
            } catch let e as CLIError {
                throw e
            } catch let e as PostgresError where e.sqlState == PostgresError.insufficientPrivilege {
                throw CLIError(code: .failure, message: "archiving needs a login granted chokepoint_archiver: \(e.message)")
            } catch {
                throw CLIError(code: .failure, message: "archive failed: \(error)")
            }
        }
    }
}
