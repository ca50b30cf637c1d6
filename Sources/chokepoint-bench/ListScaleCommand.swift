import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Messages
import Screening
import Watchlists

/// How screening scales with the size of the lists: the real SDN (with `alt.csv`) and banks lists beside a
/// synthetic list of `--names` made-up names with the real list's token statistics (`SyntheticList`).
///
/// Measures, in one process (run one scale per process: peak RSS is the process's): the build of the screener
/// (automaton and indexes) with the synthetic list, RSS after it and its peak, a second build while the first
/// screener is held (a daemon's reload: two screeners at once), and µs per payment on the payments of
/// `screen-policy --generate` (same seed). Then checks that every payment's hits on real-list entries are
/// those of the real lists alone, and counts the hits on synthetic entries. Prints one JSON line.
struct ListScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list-scale",
        abstract: "Measure screener build time, memory and screening cost with a synthetic list of N names beside the real ones.")

    @Option(help: "Synthetic names beside the real lists (0: the real lists alone).")
    var names = 1_000_000

    @Option(help: "The shared data folder with ofac/ and russia/.")
    var shared = "../shared/data"

    @Option(help: "Payments to screen (the generator of screen-policy --generate, seed 1).")
    var payments = 20_000

    @Option(help: "Timed passes over the payments (after one warm-up pass); the best is reported.")
    var passes = 3

    @Option(help: "Seed of the synthetic list.")
    var seed: UInt64 = 17

    @Option(help: "Write every payment's decision with the synthetic names, hits in full (as screen-policy --dump), to this file.")
    var dump: String?

    /// The source the synthetic entries are loaded as (a list of its own, as a second large list would be).
    static let syntheticSource = ListSource.openSanctions

    func validate() throws {
        guard names >= 0 else { throw ValidationError("--names must be 0 or more") }
        guard passes > 0, payments > 0 else { throw ValidationError("--passes and --payments must be at least 1") }
    }

    func run() throws {
        let lists = try BenchLists.load(mode: "real", shared: shared)
        let realData = lists.screeningData()
        let realNames = realData.lists.reduce(0) { $0 + $1.entries.reduce(0) { $0 + $1.names.count } }
        var generator = PaymentGenerator(lists: lists, data: realData, seed: 1)
        let messages = generator.batch(count: payments, hitShare: 0.1).map { ($0.format, $0.message) }
        let parsed = messages.compactMap { try? MessageParser.parse(format: $0.0, message: $0.1) }

        let genStart = ContinuousClock.now
        let (synthetic, summary) = SyntheticList.generate(names: names, like: lists.sanctions.entries, seed: seed)
        let generateSeconds = BenchClock.seconds(ContinuousClock.now - genStart)
        var data = realData
        if !synthetic.isEmpty { data.lists.append(.init(source: Self.syntheticSource, versionId: 3, entries: synthetic)) }

        // One screener: build time, RSS after, peak during (freed heap handed back first, so that RSS counts
        // what is live).
        ProcessMemory.trim()
        let before = ProcessMemory.read()
        ProcessMemory.resetPeak()
        let buildStart = ContinuousClock.now
        let buildCPUStart = Self.cpuSeconds()
        var first: PolicyScreener? = PolicyScreener(data: data)
        let buildSeconds = BenchClock.seconds(ContinuousClock.now - buildStart)
        let buildCPUSeconds = Self.cpuSeconds() - buildCPUStart
        let afterFirst = ProcessMemory.read()

        // A reload: a second screener built while the first is held.
        ProcessMemory.resetPeak()
        let secondStart = ContinuousClock.now
        var second: PolicyScreener? = PolicyScreener(data: data)
        let secondSeconds = BenchClock.seconds(ContinuousClock.now - secondStart)
        let afterSecond = ProcessMemory.read()
        second = nil

        // Screening with it.
        let decisions = messages.map { first!.screen(format: $0.0, message: $0.1) }
        if let dump {
            var out = ""
            for (i, d) in decisions.enumerated() { out += ScreenPolicyCommand.describe(ref: String(i), d) + "\n" }
            try out.write(toFile: dump, atomically: true, encoding: .utf8)
        }
        let us = Self.time(first!, messages, parsed, passes: passes)
        first = nil
        withExtendedLifetime(second) {}

        // The real lists alone: the decisions the synthetic names must leave alone, and the cost they add.
        var reference = decisions
        var realUs = us
        if names > 0 {
            let real = PolicyScreener(data: realData)
            reference = messages.map { real.screen(format: $0.0, message: $0.1) }
            realUs = Self.time(real, messages, parsed, passes: passes)
        }
        let check = Self.compare(reference, decisions)

        let build = BenchBuild.name
        func f(_ x: Double) -> String { String(format: "%.2f", x) }
        func mb(_ kb: Int) -> String { String(kb / 1024) }
        var line = "{\"bench\":\"list-scale\",\"build\":\"\(build)\",\"real_names\":\(realNames),\"synthetic_names\":\(summary.names),"
        line += "\"total_names\":\(realNames + summary.names),\"synthetic_entries\":\(summary.entries),"
        line += "\"synthetic\":{\"persons\":\(summary.persons),\"entities\":\(summary.entities),\"crafts\":\(summary.crafts),"
        line += "\"weak_names\":\(summary.weakNames),\"tokens\":\(summary.tokens),\"distinct_tokens\":\(summary.distinctTokens),"
        line += "\"new_tokens\":\(summary.newTokens),\"identifiers\":\(summary.identifiers),\"rejected_as_real\":\(summary.rejectedAsReal),"
        line += "\"generate_seconds\":\(f(generateSeconds))},"
        line += "\"build_seconds\":\(f(buildSeconds)),\"build_cpu_seconds\":\(f(buildCPUSeconds)),\"rss_before_build_mb\":\(mb(before.rss)),\"rss_after_build_mb\":\(mb(afterFirst.rss)),"
        line += "\"peak_rss_build_mb\":\(mb(afterFirst.peak)),\"second_build_seconds\":\(f(secondSeconds)),"
        line += "\"rss_two_screeners_mb\":\(mb(afterSecond.rss)),\"peak_rss_two_screeners_mb\":\(mb(afterSecond.peak)),"
        line += "\"payments\":\(messages.count),\"passes\":\(passes),"
        line += "\"screen_us_per_payment\":\(f(us.full)),\"policy_us_per_payment\":\(f(us.policy)),"
        if names > 0 {
            line += "\"real_only_screen_us_per_payment\":\(f(realUs.full)),\"real_only_policy_us_per_payment\":\(f(realUs.policy)),"
            line += "\"screen_cost_ratio\":\(f(us.full / realUs.full)),"
        }
        line += "\"holds\":\(decisions.filter { $0.outcome == .hold }.count),\"real_only_holds\":\(reference.filter { $0.outcome == .hold }.count),"
        line += "\"real_hits_changed_payments\":\(check.realHitsChanged),\"decisions_changed\":\(check.outcomesChanged),"
        line += "\"decisions_changed_by_synthetic_hits_only\":\(check.outcomesChangedBySynthetic),"
        line += "\"synthetic_hits\":\(check.syntheticHits),\"payments_with_synthetic_hits\":\(check.paymentsWithSynthetic),"
        line += "\"synthetic_hits_exact\":\(check.syntheticExact)}"
        print(line)
        for change in check.changes {
            FileHandle.standardError.write(Data("\(change)\n".utf8))
        }
        for (example, id) in check.examples {
            // The entry's names: which of them the payment's text matched.
            let k = Int(id.dropFirst(4)).map { $0 - 1 } ?? -1
            let names = synthetic.indices.contains(k) ? synthetic[k].names.map(\.name).joined(separator: " | ") : "?"
            FileHandle.standardError.write(Data("synthetic hit: \(example) [names: \(names)]\n".utf8))
        }
    }

    /// The comparison of decisions with and without the synthetic list.
    struct Check {
        /// Payments whose hits on real-list entries differ (must be 0).
        var realHitsChanged = 0
        var outcomesChanged = 0, outcomesChangedBySynthetic = 0
        var syntheticHits = 0, paymentsWithSynthetic = 0, syntheticExact = 0
        var examples: [(String, String)] = []
        /// The payments whose real hits changed, described (at most 10).
        var changes: [String] = []
    }

    static func compare(_ reference: [Decision], _ decisions: [Decision]) -> Check {
        var c = Check()
        let synthetic = syntheticSource.rawValue
        for (r, d) in zip(reference, decisions) {
            let real = d.hits.filter { $0.list != synthetic }
            let added = d.hits.filter { $0.list == synthetic }
            // The real hits, in full, in order (the dump's description of each).
            let same = real.count == r.hits.count && zip(real, r.hits).allSatisfy { hitLine($0) == hitLine($1) }
            if !same {
                c.realHitsChanged += 1
                if c.changes.count < 10 {
                    c.changes.append("real hits changed: without synthetic names [" + r.hits.map(hitLine).joined(separator: "; ")
                        + "], with them [" + real.map(hitLine).joined(separator: "; ") + "]")
                }
            }
            if d.outcome != r.outcome || d.reasons != r.reasons {
                c.outcomesChanged += 1
                if same && !added.isEmpty { c.outcomesChangedBySynthetic += 1 }
            }
            if !added.isEmpty { c.paymentsWithSynthetic += 1 }
            c.syntheticHits += added.count
            c.syntheticExact += added.filter { $0.score == 1 }.count
            if let h = added.first, c.examples.count < 10 {
                c.examples.append(("\(h.field) '\(h.matched)' ~ \(h.entryId ?? "-") score \(h.score)", h.entryId ?? ""))
            }
        }
        return c
    }

    static func hitLine(_ h: Hit) -> String {
        "\(h.kind.rawValue)|\(h.field)|\(h.matched)|\(h.list ?? "-")|\(h.entryId ?? "-")|\(h.entryName ?? "-")|\(h.score)|\(h.explanation)|\(h.identifierType ?? "-")"
    }

    /// Best µs per payment over `passes` timed passes: parse + screen, and the policy alone on parsed payments.
    static func time(_ policy: PolicyScreener, _ messages: [(String, String)], _ parsed: [Payment], passes: Int) -> (full: Double, policy: Double) {
        var bestFull = Double.infinity, bestPolicy = Double.infinity
        var check = 0
        // One workspace for the whole run, as a worker keeps one.
        var workspace = ScreeningWorkspace()
        for pass in 0...passes {
            let start = ContinuousClock.now
            for m in messages { check &+= policy.screen(format: m.0, message: m.1, recordingKeys: false, workspace: &workspace).hits.count }
            if pass > 0 { bestFull = min(bestFull, BenchClock.seconds(ContinuousClock.now - start)) }
        }
        for pass in 0...passes {
            let start = ContinuousClock.now
            for p in parsed { check &+= policy.screen(p, workspace: &workspace).hits.count }
            if pass > 0 { bestPolicy = min(bestPolicy, BenchClock.seconds(ContinuousClock.now - start)) }
        }
        withExtendedLifetime(check) {}
        return (bestFull / Double(messages.count) * 1e6, bestPolicy / Double(max(parsed.count, 1)) * 1e6)
    }

    /// CPU time (user and system) this process has used, in seconds: on a shared machine a build's wall time
    /// depends on what else runs, its CPU time much less.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }
}
