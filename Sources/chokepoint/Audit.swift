import ArgumentParser
import Foundation
import Store

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the audit log's hash chain, or write its head down outside the database.",
        subcommands: [AuditVerify.self, AuditAnchorCommand.self])
}

struct AuditVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the audit log's hash chain; exit 1 naming the first broken row.",
        discussion: """
            Finds rows edited, deleted or inserted behind the database's triggers (session_replication_role = replica,
            DISABLE TRIGGER). With --anchor, also proves that nothing before each anchored head was rewritten, even by
            someone who recomputed the chain after the rewrite.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Start at the audit row with this id (its prev_hash is trusted) instead of the first row.") var from: Int64?
    @Option(help: "A file written by `chokepoint audit anchor --to`; every anchor in it is checked.") var anchor: [String] = []

    func run() throws {
        try runReportingErrors {
            var anchors: [AuditAnchor] = []
            for path in anchor {
                do {
                    anchors += try AuditAnchor.parse(String(contentsOfFile: path, encoding: .utf8))
                } catch {
                    throw CLIError(code: .badInput, message: "cannot read anchor file \(path): \(error)")
                }
            }
            let c = try database.connect()
            defer { c.close() }
            do { try Migrator.checkCurrent(c) } catch { throw CLIError(code: .unmigrated, message: "\(error)") }
            let report: AuditChain.Report
            do {
                report = try AuditStore.verify(c, fromId: from, anchors: anchors)
            } catch {
                throw CLIError(code: .failure, message: "cannot verify the audit log: \(error)")
            }
            if report.intact {
                let span = report.firstSeq.map { "positions \($0)-\(report.lastSeq ?? $0)" } ?? "no rows"
                print("audit chain intact: \(report.rowsChecked) rows (\(span)), head \(report.lastHash ?? AuditChain.genesis), "
                      + "\(report.anchorsChecked) anchor\(report.anchorsChecked == 1 ? "" : "s") checked")
                return
            }
            let shown = report.problems.prefix(20)
            var text = "audit chain BROKEN: \(report.problems[0])"
            for p in shown.dropFirst() { text += "\n  also: \(p)" }
            if report.problems.count > shown.count { text += "\n  … and \(report.problems.count - shown.count) more problems" }
            throw CLIError(code: .failure, message: text)
        }
    }
}

struct AuditAnchorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anchor",
        abstract: "Print the audit chain's head (time, position, hash); with --to, append it to a file.",
        discussion: """
            Keep the file outside the database (write-once storage, another host, the journal): `audit verify --anchor FILE`
            then proves that nothing before each anchor was rewritten. The nightly timer runs this.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "Append the anchor line to this file (created if missing) and flush it to disk.") var to: String?

    func run() throws {
        try runReportingErrors {
            let c = try database.connect()
            defer { c.close() }
            do { try Migrator.checkCurrent(c) } catch { throw CLIError(code: .unmigrated, message: "\(error)") }
            let a: AuditAnchor
            do { a = try AuditStore.anchor(c) } catch { throw CLIError(code: .failure, message: "cannot read the audit chain head: \(error)") }
            print(a.line)
            guard let to else { return }
            let fd = open(to, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw CLIError(code: .failure, message: "cannot open \(to): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let bytes = Array((a.line + "\n").utf8)
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else {
                throw CLIError(code: .failure, message: "cannot write \(to): \(String(cString: strerror(errno)))")
            }
        }
    }
}
