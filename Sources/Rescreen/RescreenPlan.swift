import Foundation
import Postgres
import Screening
import Synchronization
import Watchlists

/// How each payment of a rescreen is screened: against the whole current lists, or against only the
/// entries that are new or changed since the payment's baseline (delta mode).
///
/// A payment's *baseline* is the set of list versions it is known to have been screened against, with every
/// hit it had on them recorded (as a hit or an alert): the versions of the screening run that decided it,
/// merged per source with those of the previous finished rescreen if that run covered it. Delta is correct
/// because matching one entry does not depend on the other entries in the index (candidates are anchored on
/// an alias's own tokens and verified alone; one result per entry), so a hit on an unchanged entry was
/// already found at the baseline. What delta cannot see falls back to full screening for that payment:
/// no baseline (never screened), a baseline version whose entries are no longer stored, or indicators or
/// settings changed after the baseline (they are not versioned entry by entry: the simplest correct rule).
/// An entry whose good-guy record was revoked or expired after the baseline counts as changed (it may hit again).
final class RescreenPlan: Sendable {
    /// Payments that share a baseline: the screening run that decided them, and whether the previous
    /// finished rescreen covered them.
    struct GroupKey: Hashable, Sendable {
        var runId: Int64?
        var covered: Bool
    }

    /// A screener over only the changed entries, and which entries those are. A class, so that looking one
    /// up for each payment does not copy (retain and release) every array inside the screener.
    final class Delta: Sendable {
        let screener: PolicyScreener
        /// `list + "\u{1F}" + entry id` of every entry screened against; any other hit (a BIC country rule,
        /// an indicator) cannot be new, because indicators and settings did not change since the baseline.
        let entries: Set<String>
        init(screener: PolicyScreener, entries: Set<String>) {
            self.screener = screener
            self.entries = entries
        }
    }

    private let data: ScreeningData
    /// Built on first use: in delta mode most runs never need it, and it is the costly one to build.
    private let fullScreener: Mutex<PolicyScreener?>
    let deltas: [Delta]
    /// Group → index in `deltas`; a group not listed (or one that appears during the run) is screened in full.
    let groups: [GroupKey: Int]
    /// Current list version per source, including indicators: the version an alert names.
    let versionIds: [String: Int64]
    /// "full" or "delta" (delta when at least one group is screened in delta).
    let mode: String
    /// The largest number of entries a delta screener holds (reported; nil in full mode).
    let deltaEntries: Int?
    /// In-scope payments left to screen when the plan was made (for progress and ETA).
    let total: Int
    /// How many of them are screened in full (not counted in a keyed delta run: 0).
    let totalFull: Int
    /// The GIN lookups of the delta screeners' prefilter keys, when a delta run may read only the payments whose
    /// stored keys meet them (see `keyedSelection`); nil when it reads every payment.
    let lookups: [RescreenStore.KeyLookup]?
    /// How many keys those are (reported).
    let keyCount: Int?
    /// The ids whose stored keys meet `keys`, looked up once per process (by `make`, or by the first worker that
    /// needs them).
    private let keyMatches: Mutex<(ids: [Int64], decidedSince: String)?>

    init(data: ScreeningData, deltas: [Delta], groups: [GroupKey: Int], versionIds: [String: Int64], deltaEntries: Int?,
         total: Int, totalFull: Int, lookups: [RescreenStore.KeyLookup]? = nil, keyMatches: (ids: [Int64], decidedSince: String)? = nil) {
        self.data = data
        self.keyMatches = Mutex(keyMatches)
        self.fullScreener = Mutex(nil)
        self.deltas = deltas
        self.groups = groups
        self.versionIds = versionIds
        self.mode = deltas.isEmpty || groups.isEmpty ? "full" : "delta"
        self.deltaEntries = self.mode == "delta" ? deltaEntries : nil
        self.total = total
        self.totalFull = totalFull
        self.lookups = self.mode == "delta" ? lookups : nil
        self.keyCount = self.mode == "delta" ? lookups?.reduce(0) { $0 + $1.count } : nil
    }

    /// What changed in one source since a baseline.
    enum Change {
        /// The baseline never saw this source.
        case all
        /// These source ids are new or have a new fingerprint (or a good-guy record that was revoked or expired).
        case ids(Set<String>)
    }

    static func key(list: String, entryId: String) -> String { list + "\u{1F}" + entryId }

    /// The screener over the whole current lists, indicators and settings.
    var full: PolicyScreener {
        fullScreener.withLock { s in
            if let s { return s }
            let built = PolicyScreener(data: data)
            s = built
            return built
        }
    }

    /// The hits of one payment that may be new, whether it was screened in full, and its prefilter keys when
    /// they were not known (nil when they were, or when they cannot be computed).
    /// `workspace`: the calling thread's screening buffers, reused from payment to payment.
    func screen(_ p: RescreenStore.PaymentRow, workspace: inout ScreeningWorkspace) -> (hits: [Hit], full: Bool, keys: [Int32]?) {
        func run(_ s: PolicyScreener) -> Decision {
            s.screen(format: p.format, message: p.message, recordingKeys: p.keysUnknown, workspace: &workspace)
        }
        guard let index = groups[GroupKey(runId: p.screeningRunId, covered: p.coveredByPreviousRun)] else {
            let d = run(full)
            return (d.hits, true, d.screeningKeys)
        }
        let delta = deltas[index]
        // Nothing changed since this payment's baseline: there is nothing to find (only its keys, if unknown).
        if delta.entries.isEmpty {
            return ([], false, p.keysUnknown ? PolicyScreener.screeningKeys(format: p.format, message: p.message) : nil)
        }
        let d = run(delta.screener)
        let hits = d.hits.filter { h in
            guard let list = h.list, let entry = h.entryId else { return false }
            return delta.entries.contains(Self.key(list: list, entryId: entry))
        }
        return (hits, false, d.screeningKeys)
    }

    /// The payments of `(cursor, lastId]` a keyed delta run reads (only when `lookups` is set), in id order: those
    /// whose keys meet the changed entries' keys, those whose keys are unknown, pending ones, and those decided
    /// around or after the key lookup.
    func keyedSelection(_ c: Connection, after cursor: Int64, through lastId: Int64) throws -> [Int64] {
        guard let lookups else { return [] }
        let (all, decidedSince) = try keyMatches.withLock { m in
            if let m { return m }
            let found = try RescreenStore.keyedMatches(c, lookups: lookups)
            m = found
            return found
        }
        // Binary search for the range's slice of the sorted matches.
        func lowerBound(_ x: Int64) -> Int {
            var lo = 0, hi = all.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if all[mid] <= x { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        let matched = all[lowerBound(cursor)..<lowerBound(lastId)]
        return Array(Set(matched).union(try RescreenStore.unkeyed(c, after: cursor, through: lastId, decidedSince: decidedSince))).sorted()
    }

    /// Above this many prefilter keys a delta run reads every payment instead: a change that large (a whole new
    /// list) meets most payments anyway, and the index lookups would cost more than the reading.
    static let maxKeys = 200_000

    /// The GIN lookups that find every payment in which a delta screener can find something, when every payment
    /// that is not pending belongs to a group screened in delta (a group screened in full must be read whole) and
    /// every delta screener's keys are bounded; nil otherwise.
    ///
    /// A covered group's payments all have ids up to the previous run's last (`RescreenStore.FinishedRun`), so
    /// its keys are looked up there only. An uncovered group's payments have ids after it, unless
    /// `uncoveredEverywhere` (the previous run's scope started later than this one's, or there is no previous run).
    static func keyedSelection(groups scope: [GroupKey], known groups: [GroupKey: Int], deltas: [Delta], previous: RescreenStore.FinishedRun?,
                               uncoveredEverywhere: Bool) -> [RescreenStore.KeyLookup]? {
        // Payments without a screening run are pending (or were stored decided without one): the selection
        // always reads pending payments and payments whose keys are unknown, whatever their group.
        for g in scope where g.runId != nil && groups[g] == nil { return nil }
        var covered = Set<Int32>(), uncovered = Set<Int32>()
        var deltaKeys: [Int: Set<Int32>] = [:]
        for g in scope {
            guard let i = groups[g], !deltas[i].entries.isEmpty else { continue }
            if deltaKeys[i] == nil {
                guard let k = deltas[i].screener.queryKeys() else { return nil }
                deltaKeys[i] = k
            }
            if g.covered { covered.formUnion(deltaKeys[i]!) } else { uncovered.formUnion(deltaKeys[i]!) }
            if covered.count + uncovered.count > maxKeys { return nil }
        }
        var lookups: [RescreenStore.KeyLookup] = []
        if !covered.isEmpty, let previous {
            lookups.append(.init(keys: covered.sorted(), after: nil, through: previous.maxPaymentId))
        }
        if !uncovered.isEmpty {
            lookups.append(.init(keys: uncovered.sorted(), after: uncoveredEverywhere ? nil : previous?.maxPaymentId, through: nil))
        }
        return lookups
    }

    /// Seconds of slack when comparing a baseline's start with a change: the daemon loads lists just before
    /// it records the run, so a change in that gap must count as "after".
    static let clockSlack = 60.0

    /// Makes the plan for the ranges still open in `run`.
    ///
    /// Delta mode first takes the baselines from the screening runs that may have decided a payment of the scope
    /// (`RescreenStore.candidateGroups`: a few index reads, whatever the size of `payments`). When every one of
    /// them can be screened in delta and the changed entries' keys are bounded, the run reads only the payments
    /// the keys select, and never counts the scope. Otherwise it counts the scope by baseline (one pass over
    /// `payments`) as full mode does.
    static func make(_ c: Connection, data: ScreeningData, run: RescreenStore.RunRow, previous: RescreenStore.FinishedRun?,
                     forceFull: Bool) throws -> RescreenPlan {
        var versionIds: [String: Int64] = [:]
        for l in data.lists { versionIds[l.source.rawValue] = l.versionId }
        if let indicators = try RescreenStore.currentIndicatorsVersion(c) { versionIds[ListSource.indicators.rawValue] = indicators }

        if forceFull {
            let total = try RescreenStore.scopeGroups(c, runId: run.id, since: run.since, previous: previous).reduce(0) { $0 + $1.count }
            return RescreenPlan(data: data, deltas: [], groups: [:], versionIds: versionIds, deltaEntries: nil, total: total, totalFull: total)
        }
        let candidates = try RescreenStore.candidateGroups(c, since: run.since, previous: previous)
        let built = try deltas(c, data: data, groups: candidates.groups, previous: previous)
        if !built.deltas.isEmpty, !built.groups.isEmpty,
           let lookups = keyedSelection(groups: candidates.groups, known: built.groups, deltas: built.deltas, previous: previous,
                                        uncoveredEverywhere: candidates.uncoveredEverywhere) {
            // The lookup every worker of this process cuts its ranges from, made now so that the plan can count
            // what the run will read (for progress; payments decided during the run are read too).
            let found = try RescreenStore.keyedMatches(c, lookups: lookups)
            let total = try RescreenStore.keyedTotal(c, runId: run.id, matches: found.ids, decidedSince: found.decidedSince)
            return RescreenPlan(data: data, deltas: built.deltas, groups: built.groups, versionIds: versionIds, deltaEntries: built.largest,
                                total: total, totalFull: 0, lookups: lookups, keyMatches: found)
        }
        // Every baseline of the scope, counted: the baselines found above include them (they may include more).
        let scope = try RescreenStore.scopeGroups(c, runId: run.id, since: run.since, previous: previous)
        let total = scope.reduce(0) { $0 + $1.count }
        let totalFull = scope.filter { built.groups[GroupKey(runId: $0.runId, covered: $0.covered)] == nil }.reduce(0) { $0 + $1.count }
        let inScope = scope.map { GroupKey(runId: $0.runId, covered: $0.covered) }
        return RescreenPlan(data: data, deltas: built.deltas, groups: built.groups, versionIds: versionIds, deltaEntries: built.largest,
                            total: total, totalFull: totalFull,
                            lookups: keyedSelection(groups: inScope, known: built.groups, deltas: built.deltas, previous: previous,
                                                    uncoveredEverywhere: true))
    }

    /// The delta screener of each group whose baseline allows one (groups with the same changes share one), and
    /// the largest number of entries one holds. A group left out is screened in full.
    static func deltas(_ c: Connection, data: ScreeningData, groups scope: [GroupKey], previous: RescreenStore.FinishedRun?) throws
        -> (deltas: [Delta], groups: [GroupKey: Int], largest: Int) {
        let runs = try RescreenStore.screeningRuns(c, ids: Array(Set(scope.compactMap(\.runId))))
        let policyChangedAt = try RescreenStore.policyChangedAt(c)
        let ended = try RescreenStore.endedGoodGuys(c)

        // Each group's baseline (source → version) and the time it stands for; nil = screen in full.
        var baselines: [GroupKey: (versions: [String: Int64], time: Double)] = [:]
        for g in scope {
            var versions: [String: Int64] = [:]
            var time = -Double.infinity
            if let id = g.runId, let r = runs[id] {
                versions = r.versions
                time = r.startedAt
            }
            if g.covered, let previous {
                versions.merge(previous.listVersions) { max($0, $1) }
                time = max(time, previous.startedAtEpoch)
            }
            guard time > -Double.infinity else { continue }
            if let changed = policyChangedAt, changed >= time - clockSlack { continue }
            baselines[g] = (versions, time)
        }
        var needed = Set<Int64>()
        for b in baselines.values {
            for l in data.lists { if let v = b.versions[l.source.rawValue], v != l.versionId { needed.insert(v) } }
        }
        let known = try RescreenStore.knownVersions(c, ids: Array(needed))

        var changedCache: [String: Set<String>] = [:]
        var deltaIndex: [String: Int] = [:]
        var deltas: [Delta] = []
        var groups: [GroupKey: Int] = [:]
        var largest = 0
        for (group, baseline) in baselines {
            // Source → what changed; a source absent here is unchanged since the baseline.
            var changed: [ListSource: Change] = [:]
            var usable = true
            for l in data.lists {
                guard let old = baseline.versions[l.source.rawValue] else { changed[l.source] = .all; continue }
                if old == l.versionId { continue }
                guard known.contains(old) else { usable = false; break }
                let cacheKey = "\(l.versionId)/\(old)"
                if changedCache[cacheKey] == nil {
                    changedCache[cacheKey] = try RescreenStore.changedSourceIds(c, current: l.versionId, baseline: old)
                }
                changed[l.source] = .ids(changedCache[cacheKey]!)
            }
            guard usable else { continue }
            for g in ended where g.revokedAt >= baseline.time - clockSlack {
                guard let source = ListSource(rawValue: g.list) else { continue }
                switch changed[source] {
                case .all?: break
                case .ids(var ids)?: ids.insert(g.entryId); changed[source] = .ids(ids)
                case nil: changed[source] = .ids([g.entryId])
                }
            }
            let signature = changed.sorted { $0.key.rawValue < $1.key.rawValue }.map { source, change in
                switch change {
                case .all: return source.rawValue + ":*"
                case .ids(let ids): return source.rawValue + ":" + ids.sorted().joined(separator: ",")
                }
            }.joined(separator: ";")
            if let i = deltaIndex[signature] {
                groups[group] = i
                continue
            }
            var lists: [ScreeningData.LoadedList] = []
            var keys = Set<String>()
            for l in data.lists {
                let entries: [ListEntry]
                switch changed[l.source] {
                case nil: continue
                case .all?: entries = l.entries
                case .ids(let ids)?: entries = l.entries.filter { ids.contains($0.sourceId) }
                }
                if entries.isEmpty { continue }
                for e in entries { keys.insert(key(list: l.source.rawValue, entryId: e.sourceId)) }
                lists.append(.init(source: l.source, versionId: l.versionId, entries: entries))
            }
            largest = max(largest, keys.count)
            // PolicyScreener holds everything as lists_unavailable without a sanctions list; when only banks
            // entries changed, an entry with no names and no BICs keeps it screening (it can never match).
            if !lists.contains(where: { $0.source != .banks && $0.source != .indicators }),
               let any = data.lists.first(where: { $0.source != .banks && $0.source != .indicators }) {
                lists.append(.init(source: any.source, versionId: any.versionId, entries: [ListEntry(sourceId: "", type: .other, names: [])]))
            }
            let screener = PolicyScreener(data: ScreeningData(lists: lists, indicators: IndicatorSet(), nameThreshold: data.nameThreshold,
                                                             goodGuys: data.goodGuys))
            deltaIndex[signature] = deltas.count
            groups[group] = deltas.count
            deltas.append(Delta(screener: screener, entries: keys))
        }
        return (deltas, groups, largest)
    }
}
