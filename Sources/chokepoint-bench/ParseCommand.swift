import ArgumentParser
import Foundation
import Messages

/// Measures parse throughput per message format on the real sample messages, one JSON line per format.
///
/// Run it from a release build: `swift build -c release && .build/release/chokepoint-bench parse`. Each run
/// parses every sample of a format over and over for `--seconds`; the line gives the best run's messages per
/// second on one core, plus the number of parties extracted per pass so that a fast but wrong parser shows.
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Measure message parsing throughput per format on the sample messages.")

    @Option(help: "Directory with mt/ and iso20022/ sample messages.")
    var directory = "../shared/data/messages"

    @Option(help: "Timed runs per format; the best is reported.")
    var runs = 5

    @Option(help: "Seconds per timed run.")
    var seconds = 0.5

    @Option(help: "Only this format (mt103, mt202, mt202cov, pacs.008, pacs.009).")
    var format: String?

    func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
        if let format, MessageFormat(rawValue: format) == nil { throw ValidationError("unknown --format \(format)") }
    }

    func run() throws {
        let samples = try MessageSamples.load(directory: directory)
        let build = BenchBuild.name
        for format in MessageFormat.allCases where self.format == nil || self.format == format.rawValue {
            let messages = samples.byFormat[format] ?? []
            guard !messages.isEmpty else { continue }
            // Check before timing: every sample parses, and count what one pass extracts.
            var partiesPerPass = 0
            for m in messages {
                do {
                    partiesPerPass += try MessageParser.parse(format: format.rawValue, message: m).parties.count
                } catch {
                    throw ValidationError("a \(format.rawValue) sample does not parse: \(error)")
                }
            }
            var best = 0.0
            var total = 0
            for _ in 0..<runs {
                let clock = ContinuousClock()
                let start = clock.now
                var count = 0
                var parties = 0
                while true {
                    for m in messages {
                        parties &+= (try? MessageParser.parse(format: format.rawValue, message: m).parties.count) ?? 0
                    }
                    count += messages.count
                    let elapsed = clock.now - start
                    if elapsed >= .milliseconds(Int(seconds * 1000)) {
                        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                        best = max(best, Double(count) / secs)
                        break
                    }
                }
                guard parties == partiesPerPass * (count / messages.count) else {
                    throw ValidationError("\(format.rawValue): extraction changed between passes")
                }
                total += count
            }
            print("{\"bench\":\"parse\",\"format\":\"\(format.rawValue)\",\"samples\":\(messages.count),"
                + "\"parties_per_pass\":\(partiesPerPass),\"runs\":\(runs),\"messages\":\(total),"
                + "\"messages_per_second\":\(Int(best)),\"build\":\"\(build)\",\"threads\":1,"
                + "\"command\":\"chokepoint-bench parse --runs \(runs) --seconds \(seconds) --directory \(jsonEscaped(directory))\"}")
        }
    }
}

/// The text escaped for use inside a JSON string literal.
private func jsonEscaped(_ s: String) -> String {
    s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
}

/// The real sample messages, sorted by the format they parse as.
struct MessageSamples {
    var byFormat: [MessageFormat: [String]] = [:]
    /// pacs.004 returns and other documents that are not a contract format.
    var skipped = 0

    var all: [(MessageFormat, String)] {
        MessageFormat.allCases.flatMap { f in (byFormat[f] ?? []).map { (f, $0) } }
    }

    /// Reads `mt/*.fin`, `mt/*.rje` (split into messages) and `iso20022/*.xml` under `directory`.
    static func load(directory: String) throws -> MessageSamples {
        var out = MessageSamples()
        let fm = FileManager.default
        let mt = directory + "/mt"
        let iso = directory + "/iso20022"
        guard fm.fileExists(atPath: mt), fm.fileExists(atPath: iso) else {
            throw ValidationError("no sample messages under \(directory) (expected mt/ and iso20022/)")
        }
        func read(_ path: String) throws -> String {
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        }
        for name in try fm.contentsOfDirectory(atPath: mt).sorted() {
            let text = try read(mt + "/" + name)
            let messages = name.hasSuffix(".rje") ? MTStream.split(text) : name.hasSuffix(".fin") ? [text] : []
            for m in messages { out.add(m, candidates: [.mt103, .mt202]) }
        }
        for name in try fm.contentsOfDirectory(atPath: iso).sorted() where name.hasSuffix(".xml") {
            out.add(try read(iso + "/" + name), candidates: [.pacs008, .pacs009])
        }
        return out
    }

    mutating func add(_ message: String, candidates: [MessageFormat]) {
        for f in candidates {
            if let p = try? MessageParser.parse(format: f.rawValue, message: message) {
                byFormat[p.format, default: []].append(message)
                return
            }
        }
        skipped += 1
    }
}
