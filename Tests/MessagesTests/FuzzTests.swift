import Foundation
import Messages
import Testing

/// Seeded random mutations of the real samples and of the fixtures: no input may crash or hang a parser, an error
/// is always a short ASCII reason, and a parse is deterministic. The seed is printed with any failure; set
/// `CHOKEPOINT_FUZZ_SEED` to replay it and `CHOKEPOINT_FUZZ_ITERATIONS` to run longer (or use
/// `chokepoint-bench fuzz-messages`).
@Suite("Fuzz: seeded mutations never crash or hang the parsers")
struct FuzzTests {
    static var corpus: [String] {
        var out = [mt(mt103Fields), mt(mt103Fields, eol: "\n"), mt(mt202Fields, type: "202"), pacs008Document, pacs009Cov,
                   "<message>" + appHeader() + prefixed(pacs008Document, "pacs") + "</message>"]
        if SharedData.available, let files = try? SharedData.manifestKinds().keys.sorted() {
            for file in files {
                guard let text = try? SharedData.read(file) else { continue }
                out += file.hasSuffix(".rje") ? MTStream.split(text) : [text]
            }
        }
        return out
    }

    static func environment(_ name: String) -> UInt64? {
        ProcessInfo.processInfo.environment[name].flatMap { UInt64($0) }
    }

    @Test("30,000 mutants, each parsed as every format")
    func mutants() {
        let seed = Self.environment("CHOKEPOINT_FUZZ_SEED") ?? 0xC0FFEE_5EED
        let iterations = Int(Self.environment("CHOKEPOINT_FUZZ_ITERATIONS") ?? 30_000)
        let corpus = Self.corpus
        var mutator = MessageMutator(corpus: corpus, seed: seed)
        var parsed = 0
        var refused = 0
        var failures = 0
        for iteration in 0..<iterations {
            let mutant = mutator.next()
            for format in MessageFormat.allCases.map(\.rawValue) {
                do {
                    let p = try MessageParser.parse(format: format, message: mutant)
                    parsed += 1
                    let again = try? MessageParser.parse(format: format, message: mutant)
                    if again != p || p.transactionCount < 1 || p.parties.isEmpty {
                        failures += 1
                        Issue.record("seed \(seed) iteration \(iteration) \(format): inconsistent payment")
                    }
                } catch {
                    refused += 1
                    if error.reason.isEmpty || error.reason.utf8.count > 100 || !error.reason.utf8.allSatisfy({ $0 < 0x80 }) {
                        failures += 1
                        Issue.record("seed \(seed) iteration \(iteration) \(format): bad reason")
                    }
                }
            }
            if failures > 20 { break }
        }
        print("fuzz seed=\(seed) iterations=\(iterations) corpus=\(corpus.count) parsed=\(parsed) refused=\(refused)")
        #expect(failures == 0, "seed \(seed)")
        #expect(refused > 0 && parsed > 0, "the mutants should both break and keep some messages (seed \(seed))")
    }

    @Test("the mutator is deterministic for a seed")
    func deterministic() {
        var a = MessageMutator(corpus: Self.corpus, seed: 42)
        var b = MessageMutator(corpus: Self.corpus, seed: 42)
        for _ in 0..<200 { #expect(a.next() == b.next()) }
    }

    @Test("random printable and binary noise is refused", arguments: 0..<8)
    func noise(_ n: Int) {
        var g = MessageMutator.Generator(seed: UInt64(n) &* 7919)
        for _ in 0..<500 {
            let length = Int(g.next() % 300)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: g.next()) }
            let text = String(decoding: bytes, as: UTF8.self)
            for format in MessageFormat.allCases.map(\.rawValue) {
                #expect(parseError(format, text) != nil)
            }
        }
    }
}
