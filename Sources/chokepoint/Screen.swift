import ArgumentParser
import Foundation
import Logging
import Screening
import Store

/// The dry run for filter testing: the daemon's screener on JSON Lines, nothing written.
struct Screen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Dry run: JSON Lines in on stdin, decisions out on stdout; changes nothing.",
        discussion: """
            Input, one object a line: {"ref": "T1", "format": "mt103", "message": "{1:F01...}"}; other keys are ignored.
            Output, one object a line, in input order: {"ref", "decision", "reasons", "hits"[, "error"]}.
            A line that is not valid JSON gets decision "hold" with reason "unparseable", and the run goes on.
            Lists are read from the database (read-only), exactly as the daemon reads them.
            """)

    @OptionGroup var database: DatabaseOptions

    func run() throws {
        try runReportingErrors {
            let c = try database.connect()
            do { try Migrator.checkCurrent(c) } catch { throw CLIError(code: .unmigrated, message: "\(error)") }
            var logger = Logger(label: "chokepoint.screen")
            logger.logLevel = .warning
            let (screener, _, _) = try ScreenerLoading.loader(logger: logger)(c)
            c.close()
            let out = FileHandle.standardOutput
            var buffer = ""
            while let line = readLine(strippingNewline: true) {
                if line.allSatisfy({ $0.isWhitespace }) { continue }
                buffer += ScreenOutput.line(for: line, screener: screener)
                buffer += "\n"
                if buffer.utf8.count > 1 << 16 { out.write(Data(buffer.utf8)); buffer = "" }
            }
            out.write(Data(buffer.utf8))
        }
    }
}

/// Turns one input line into one output line (JSON), never failing.
enum ScreenOutput {
    static func line(for input: String, screener: any PaymentScreener) -> String {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(input.utf8)) as? [String: Any] else {
            return encode(["ref": NSNull(), "decision": "hold", "reasons": ["unparseable"], "hits": [] as [Any],
                           "error": "line is not a JSON object"])
        }
        let ref: Any = (obj["ref"] as? String) ?? (obj["ref"].map { "\($0)" } ?? NSNull())
        guard let format = obj["format"] as? String, let message = obj["message"] as? String else {
            return encode(["ref": ref, "decision": "hold", "reasons": ["unparseable"], "hits": [] as [Any],
                           "error": "missing string fields 'format' and 'message'"])
        }
        let d = screener.screen(format: format, message: message)
        var result: [String: Any] = [
            "ref": ref, "decision": d.outcome.rawValue, "reasons": d.reasons,
            "hits": d.hits.map { h -> [String: Any] in
                var hit: [String: Any] = [
                    "kind": h.kind.rawValue, "field": h.field, "matched": h.matched, "list": h.list ?? NSNull(),
                    "entry_id": h.entryId ?? NSNull(), "entry_name": h.entryName ?? NSNull(),
                    "score": (h.score * 1000).rounded() / 1000, "explanation": h.explanation,
                ]
                if let type = h.identifierType { hit["identifier_type"] = type }
                return hit
            },
        ]
        if let e = d.error { result["error"] = e }
        return encode(result)
    }

    static func encode(_ obj: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{\"ref\":null,\"decision\":\"hold\",\"reasons\":[\"screening_error\"]}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
