import ArgumentParser
import Foundation
import Messages

/// Feeds seeded random mutations of the sample messages to the parsers, for runs longer than the test suite's.
///
/// A crash ends the process (the seed is printed first, so the run can be replayed); a parse slower than
/// `--slow-ms` counts as a hang and fails the run with the seed and iteration. Exit status 0 means no finding.
struct FuzzCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz-messages",
        abstract: "Fuzz the MT and ISO 20022 parsers with seeded mutations of the sample messages.")

    @Option(help: "Number of mutants.")
    var iterations = 1_000_000

    @Option(help: "Seed (default: random, printed).")
    var seed: UInt64?

    @Option(help: "Directory with mt/ and iso20022/ sample messages.")
    var directory = "../shared/data/messages"

    @Option(help: "A single parse slower than this many milliseconds is reported as a hang.")
    var slowMs = 1000

    func validate() throws {
        guard iterations > 0 else { throw ValidationError("--iterations must be at least 1") }
    }

    func run() throws {
        let seed = self.seed ?? UInt64.random(in: 0...UInt64.max)
        print("{\"bench\":\"fuzz-messages\",\"seed\":\(seed),\"iterations\":\(iterations)}")
        fflush(nil)  // all streams: the seed must be out before a crash
        let samples = try MessageSamples.load(directory: directory)
        var mutator = MessageMutator(corpus: samples.all.map(\.1), seed: seed)
        let formats = MessageFormat.allCases.map(\.rawValue)
        var parsed = 0
        var refused = 0
        let clock = ContinuousClock()
        let started = clock.now
        for iteration in 0..<iterations {
            let mutant = mutator.next()
            for format in formats {
                let t0 = clock.now
                do {
                    _ = try MessageParser.parse(format: format, message: mutant)
                    parsed += 1
                } catch {
                    refused += 1
                    guard error.reason.utf8.count <= 100, error.reason.utf8.allSatisfy({ $0 < 0x80 }) else {
                        throw ValidationError("seed \(seed) iteration \(iteration): error reason not short ASCII")
                    }
                }
                if clock.now - t0 > .milliseconds(slowMs) {
                    throw ValidationError("seed \(seed) iteration \(iteration) format \(format): parse took over \(slowMs) ms")
                }
            }
        }
        let elapsed = clock.now - started
        print("{\"bench\":\"fuzz-messages\",\"seed\":\(seed),\"iterations\":\(iterations),\"parsed\":\(parsed),"
            + "\"refused\":\(refused),\"seconds\":\(elapsed.components.seconds),\"findings\":0}")
    }
}
