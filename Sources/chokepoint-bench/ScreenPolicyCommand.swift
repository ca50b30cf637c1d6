import ArgumentParser
import Foundation
import Logging
import Messages
import Postgres
import Screening
import Store

/// Micro benchmark of the policy screener alone: lists from the database (the daemon's loader), messages from
/// a JSON Lines deck (`ref`/`format`/`message`), screened over and over on one thread; no database on the path.
///
/// Prints one JSON line: payments/s and µs per payment for parse + screen (`screen(format:message:)`, what a
/// worker calls) and for the policy alone on pre-parsed payments (`screen(_:)`). `--dump FILE` also writes
/// every decision in full (reasons, hits with fields, entries, explanations and exact scores) so that two
/// builds can be compared byte for byte.
struct ScreenPolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "screen-policy",
        abstract: "Measure the policy screener per payment on a JSON Lines deck (one thread).")

    @Option(name: .customLong("database-url"), help: "Database with the lists (default CHOKEPOINT_DATABASE_URL); read only.")
    var databaseURL: String?

    @Option(help: "JSON Lines file of messages: {\"ref\", \"format\", \"message\"} per line.")
    var input = "../shared/testdeck/deck.jsonl"

    @Option(help: "Timed passes over the deck (after one warm-up pass); the best is reported.")
    var passes = 5

    @Option(help: "Write every decision in full to this file (for byte-for-byte comparison of builds).")
    var dump: String?

    @Option(name: .customLong("dump-keys"), help: "Write every payment's rescreen prefilter keys to this file (for byte-for-byte comparison of builds).")
    var dumpKeys: String?

    @Option(help: "Also time parse + screen on this many threads at once, each over every message with its own workspace, sharing the one screener (as the daemon's workers do); 1 = no such run.")
    var threads = 1

    @Flag(name: .customLong("keys-only"), help: "With --dump-keys and a deck: write the keys and stop (no database, no screening).")
    var keysOnly = false

    @Option(help: "Instead of the deck and the database: this many payments from the load benchmark's generator, screened against the lists it uses (--shared).")
    var generate: Int?

    @Option(help: "With --generate: the shared data folder with ofac/ and russia/.")
    var shared = "../shared/data"

    func validate() throws {
        guard passes > 0 else { throw ValidationError("--passes must be at least 1") }
    }

    func run() throws {
        let loadStart = ContinuousClock.now
        let policy: PolicyScreener
        var messages: [(ref: String, format: String, message: String)] = []
        if let generate {
            // The load benchmark's payments and lists, without a database.
            let lists = try BenchLists.load(mode: "real", shared: shared)
            policy = PolicyScreener(data: lists.screeningData())
            var generator = PaymentGenerator(lists: lists, data: lists.screeningData(), seed: 1)
            messages = generator.batch(count: generate, hitShare: 0.1).map { ($0.ref, $0.format, $0.message) }
        } else if keysOnly {
            guard let dumpKeys else { throw ValidationError("--keys-only needs --dump-keys") }
            try Self.writeKeys(of: Self.readDeck(input), to: dumpKeys)
            return
        } else {
            let conninfo = databaseURL ?? ProcessInfo.processInfo.environment["CHOKEPOINT_DATABASE_URL"] ?? ""
            let c = try Connection(conninfo: conninfo)
            var logger = Logger(label: "chokepoint-bench.screen-policy")
            logger.logLevel = .error
            let (screener, _, _) = try ScreenerLoading.loader(logger: logger)(c)
            c.close()
            guard let p = screener as? PolicyScreener else { throw ValidationError("the loader did not build a PolicyScreener") }
            policy = p
            messages = try Self.readDeck(input)
        }
        let loadSeconds = BenchClock.seconds(ContinuousClock.now - loadStart)
        guard !messages.isEmpty else { throw ValidationError("\(input) holds no message") }
        let payments: [Payment?] = messages.map { try? MessageParser.parse(format: $0.format, message: $0.message) }
        let parsed = payments.compactMap { $0 }

        // Reference pass: decisions, and the optional full dump.
        var reference: [Decision] = []
        var holds = 0, hits = 0
        for m in messages {
            let d = policy.screen(format: m.format, message: m.message)
            reference.append(d)
            if d.outcome == .hold { holds += 1 }
            hits += d.hits.count
        }
        if let dump {
            var out = ""
            for (m, d) in zip(messages, reference) { out += Self.describe(ref: m.ref, d) + "\n" }
            try out.write(toFile: dump, atomically: true, encoding: .utf8)
        }

        if let dumpKeys { try Self.writeKeys(of: messages, to: dumpKeys) }

        // The warm-up pass: with one workspace reused from payment to payment (as a worker screens), every
        // decision must equal the one screened alone.
        var workspace = ScreeningWorkspace()
        for (m, d) in zip(messages, reference)
        where policy.screen(format: m.format, message: m.message, recordingKeys: false, workspace: &workspace) != d {
            throw ValidationError("\(m.ref): the decision with a reused workspace differs from the one screened alone")
        }
        // Timed: parse + screen (what a worker does per payment, with its workspace).
        var bestFull = Double.infinity
        var check = 0
        for _ in 1...passes {
            let start = ContinuousClock.now
            for m in messages {
                check &+= policy.screen(format: m.format, message: m.message, recordingKeys: false, workspace: &workspace).hits.count
            }
            let t = BenchClock.seconds(ContinuousClock.now - start)
            bestFull = min(bestFull, t)
        }
        check &+= hits
        // Timed: the same on 1 and on `threads` threads at once (wall time per payment a thread screens).
        var sharedUs: [Int: Double] = [:]
        if threads > 1 {
            let all = messages
            for n in [1, threads] {
                let start = ContinuousClock.now
                DispatchQueue.concurrentPerform(iterations: n) { _ in
                    var own = ScreeningWorkspace()
                    for _ in 1...passes {
                        for m in all { _ = policy.screen(format: m.format, message: m.message, recordingKeys: false, workspace: &own) }
                    }
                }
                sharedUs[n] = BenchClock.seconds(ContinuousClock.now - start) / Double(passes * messages.count) * 1e6
            }
        }
        // Timed: the policy alone on parsed payments.
        var bestPolicy = Double.infinity
        for pass in 0...passes {
            let start = ContinuousClock.now
            for p in parsed { check &+= policy.screen(p, workspace: &workspace).hits.count }
            let t = BenchClock.seconds(ContinuousClock.now - start)
            if pass > 0 { bestPolicy = min(bestPolicy, t) }
        }
        // Timed: the rescreen prefilter keys of parsed payments (what the daemon adds per decision), and their count.
        var bestKeys = Double.infinity
        var keyCount = 0
        for pass in 0...passes {
            let start = ContinuousClock.now
            var count = 0
            for p in parsed { count &+= PolicyScreener.screeningKeys(p)?.count ?? 0 }
            let t = BenchClock.seconds(ContinuousClock.now - start)
            if pass > 0 { bestKeys = min(bestKeys, t) }
            keyCount = count
        }
        // Timed: parsing alone, per format (the part of parse + screen that is not the policy).
        var parseUs: [String: Double] = [:]
        var partiesSeen = 0
        for format in Set(messages.map(\.format)).sorted() {
            let some = messages.filter { $0.format == format }
            var best = Double.infinity
            for pass in 0...passes {
                let start = ContinuousClock.now
                for m in some { partiesSeen &+= (try? MessageParser.parse(format: m.format, message: m.message))?.parties.count ?? 0 }
                let t = BenchClock.seconds(ContinuousClock.now - start)
                if pass > 0 { best = min(best, t) }
            }
            parseUs[format] = best / Double(some.count) * 1e6
        }
        guard partiesSeen == parsed.reduce(0, { $0 + $1.parties.count }) * (passes + 1) else {
            throw ValidationError("parsing alone found other parties than the first parse")
        }
        guard check == (hits + Self.hitsOf(parsed, policy)) * (passes + 1) else {
            throw ValidationError("decisions changed between passes")
        }
        let build = BenchBuild.name
        func f(_ x: Double) -> String { String(format: "%.2f", x) }
        let n = Double(messages.count), np = Double(max(parsed.count, 1))
        print("{\"bench\":\"screen-policy\",\"messages\":\(messages.count),\"parsed\":\(parsed.count),\"holds\":\(holds),"
            + "\"hits\":\(hits),\"passes\":\(passes),\"threads\":1,\"build\":\"\(build)\",\"load_seconds\":\(f(loadSeconds)),"
            + "\"screen_payments_per_s\":\(Int(n / bestFull)),\"screen_us_per_payment\":\(f(bestFull / n * 1e6)),"
            + "\"policy_payments_per_s\":\(Int(np / bestPolicy)),\"policy_us_per_payment\":\(f(bestPolicy / np * 1e6)),"
            + "\"keys_us_per_payment\":\(f(bestKeys / np * 1e6)),\"keys_per_payment\":\(f(Double(keyCount) / np)),"
            + (sharedUs.isEmpty ? "" : "\"threads_us_per_payment\":{\(sharedUs.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(f($0.value))" }.joined(separator: ","))},")
            + "\"parse_us_per_message\":{\(parseUs.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\(f($0.value))" }.joined(separator: ","))}}")
    }

    static func readDeck(_ input: String) throws -> [(ref: String, format: String, message: String)] {
        var messages: [(ref: String, format: String, message: String)] = []
        let text = try String(contentsOfFile: input, encoding: .utf8)
        for line in text.split(separator: "\n") where !line.allSatisfy({ $0.isWhitespace }) {
            guard let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let format = obj["format"] as? String, let message = obj["message"] as? String
            else { throw ValidationError("\(input): a line is not {ref, format, message}") }
            messages.append(((obj["ref"] as? String) ?? "", format, message))
        }
        return messages
    }

    /// Each message's rescreen prefilter keys, one line per message.
    static func writeKeys(of messages: [(ref: String, format: String, message: String)], to path: String) throws {
        var out = ""
        for m in messages {
            let keys = PolicyScreener.screeningKeys(format: m.format, message: m.message)
            out += "\(m.ref)\t\(keys.map { $0.map(String.init).joined(separator: ",") } ?? "none")\n"
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func hitsOf(_ payments: [Payment], _ policy: PolicyScreener) -> Int {
        payments.reduce(0) { $0 + policy.screen($1).hits.count }
    }


    /// One decision in full, exact scores included (`Double.description` round-trips).
    static func describe(ref: String, _ d: Decision) -> String {
        var s = "\(ref)\t\(d.outcome.rawValue)\t\(d.reasons.joined(separator: ","))\t\(d.error ?? "-")"
        for h in d.hits {
            s += "\n  \(h.kind.rawValue)|\(h.field)|\(h.matched)|\(h.list ?? "-")|\(h.entryId ?? "-")|\(h.entryName ?? "-")|\(h.score)|\(h.explanation)"
            if let type = h.identifierType { s += "|identifier:\(type)" }
        }
        return s
    }
}
