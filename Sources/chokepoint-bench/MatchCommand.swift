import ArgumentParser
import Foundation
import Matching

/// `chokepoint-bench match`: times the Aho-Corasick automaton (or the product path) on a pattern
/// file and a corpus, printing one JSON line for `../shared/bench/ac_peers.py --cmd`.
///
/// Patterns are one a line, taken as raw bytes (only the newline is stripped: tok-mode patterns are
/// padded with spaces). The default mode counts every (pattern, end offset) pair over the whole
/// corpus buffer, the harness' `overlapping` semantics. `--pipeline` instead runs what screening
/// runs: normalization, whole-token candidate search and verification (NameIndex), line by line.
struct MatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Benchmark the matcher on a pattern file and a corpus; prints one JSON line.")

    @Option(help: "Pattern file, one pattern a line (raw bytes).")
    var patterns: String

    @Option(help: "Corpus file, searched as one buffer (or line by line with --pipeline).")
    var corpus: String

    @Option(help: "Match semantics; only 'overlapping' (every pattern, end offset pair) is supported.")
    var semantics: String = "overlapping"

    @Option(help: "Timed runs after one warm-up; the median is reported.")
    var runs: Int = 5

    @Flag(help: "Time the product path (Normalizer + NameIndex) line by line instead of the raw automaton.")
    var pipeline = false

    @Option(help: "Automaton representation: dfa or nfa.")
    var kind: String = "dfa"

    @Flag(help: "Disable the four-stream interleaved walk on long inputs (single dependent walk, for comparison).")
    var noInterleave = false

    func validate() throws {
        guard semantics == "overlapping" else {
            throw ValidationError("unsupported semantics '\(semantics)'; only 'overlapping' is implemented")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard kind == "dfa" || kind == "nfa" else { throw ValidationError("--kind must be dfa or nfa") }
    }

    func run() throws {
        let patternData = try Data(contentsOf: URL(fileURLWithPath: patterns))
        let corpusData = try Data(contentsOf: URL(fileURLWithPath: corpus))
        var lines = patternData.split(separator: 0x0A, omittingEmptySubsequences: false).map { line -> [UInt8] in
            var l = Array(line)
            if l.last == 0x0D { l.removeLast() }
            return l
        }
        lines.removeAll { $0.isEmpty }
        let text = [UInt8](corpusData)
        if pipeline {
            try runPipeline(patterns: lines, text: text)
        } else {
            try runAutomaton(patterns: lines, text: text)
        }
    }


    private func report(build: Double, times: [Double], bytes: Int, matches: Int, mem: Int, extra: String = "") {
        let sorted = times.sorted()
        let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        let mb = Double(bytes) / 1e6
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        print("{\"build_s\":\(f(build)),\"scan_mb_s\":\(f(mb / median)),\"scan_mb_s_best\":\(f(mb / sorted[0])),"
              + "\"matches\":\(matches),\"mem_bytes\":\(mem),\"name\":\"chokepoint\",\"semantics\":\"\(semantics)\"\(extra)}")
    }

    private func runAutomaton(patterns: [[UInt8]], text: [UInt8]) throws {
        let clock = ContinuousClock()
        let cfg = AhoCorasick.Configuration(kind: kind == "nfa" ? .nfa : .dfa, interleave: !noInterleave)
        var automaton: AhoCorasick?
        let build = try clock.measure { automaton = try AhoCorasick(patterns: patterns, configuration: cfg) }
        let ac = automaton!
        var matches = 0
        var times = [Double]()
        try text.withUnsafeBytes { raw in
            matches = ac.countOverlapping(in: raw)  // warm-up
            for _ in 0..<runs {
                var n = 0
                times.append(BenchClock.seconds(clock.measure { n = ac.countOverlapping(in: raw) }))
                guard n == matches else { throw ValidationError("unstable match count \(n) != \(matches)") }
            }
        }
        // Line-by-line figure (one call per line), comparable to the harness' "MB/s lines" column.
        var lineTime = Double.infinity
        text.withUnsafeBytes { raw in
            let d = clock.measure {
                var start = 0
                var n = 0
                while start < raw.count {
                    var end = start
                    while end < raw.count && raw[end] != 0x0A { end += 1 }
                    n &+= ac.countOverlapping(in: UnsafeRawBufferPointer(rebasing: raw[start..<end]))
                    start = end + 1
                }
                precondition(n >= 0)
            }
            lineTime = BenchClock.seconds(d)
        }
        report(build: BenchClock.seconds(build), times: times, bytes: text.count, matches: matches, mem: ac.memoryUsage,
               extra: ",\"interleave\":\(!noInterleave),\"scan_lines_mb_s\":\(String(format: "%.4f", Double(text.count) / 1e6 / lineTime)),\"states\":\(ac.stateCount),\"classes\":\(ac.byteClassCount)")
    }

    private func runPipeline(patterns: [[UInt8]], text: [UInt8]) throws {
        let clock = ContinuousClock()
        let aliases = patterns.enumerated().map { i, p in
            NameIndex.Alias(entry: i, name: String(decoding: p, as: UTF8.self), isPerson: false, weak: false)
        }
        var index: NameIndex?
        let build = clock.measure { index = NameIndex(aliases: aliases) }
        let idx = index!
        let lines = text.split(separator: 0x0A, omittingEmptySubsequences: false)
        func pass() -> (hits: Int, lines: Int) {
            var hits = 0, hitLines = 0
            for line in lines {
                let r = idx.search(lines: [String(decoding: line, as: UTF8.self)])
                hits += r.count
                if !r.isEmpty { hitLines += 1 }
            }
            return (hits, hitLines)
        }
        let warm = pass()
        var times = [Double]()
        for _ in 0..<runs {
            var r = (hits: 0, lines: 0)
            times.append(BenchClock.seconds(clock.measure { r = pass() }))
            guard r == warm else { throw ValidationError("unstable pipeline result") }
        }
        report(build: BenchClock.seconds(build), times: times, bytes: text.count, matches: warm.hits, mem: idx.memoryUsage,
               extra: ",\"mode\":\"pipeline\",\"lines_hit\":\(warm.lines),\"indexed_variants\":\(idx.indexedVariantCount),\"skipped_aliases\":\(idx.skippedAliasCount)")
    }
}
