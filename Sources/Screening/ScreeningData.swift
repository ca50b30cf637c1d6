import Watchlists

/// Everything the policy needs from the database, loaded in one go by the daemon, `screen` and `rescreen`.
public struct ScreeningData: Sendable {
    /// One loaded list version.
    public struct LoadedList: Sendable {
        public var source: ListSource
        public var versionId: Int64
        public var entries: [ListEntry]
        public init(source: ListSource, versionId: Int64, entries: [ListEntry]) {
            self.source = source
            self.versionId = versionId
            self.entries = entries
        }
    }

    /// A confirmed false positive: this party text in this field is not that list entry.
    public struct GoodGuy: Sendable, Hashable {
        public var field: String
        public var matched: String
        public var list: String
        public var entryId: String
        public init(field: String, matched: String, list: String, entryId: String) {
            self.field = field
            self.matched = matched
            self.list = list
            self.entryId = entryId
        }
    }

    public var lists: [LoadedList]
    public var indicators: IndicatorSet
    /// Name-match score threshold in [0, 1] (setting `name_match_threshold`).
    public var nameThreshold: Double
    public var goodGuys: [GoodGuy]
    /// `chokepoint.policy_generation` in the snapshot this data was read from (0 when unknown).
    public var policyGeneration: Int64 = 0

    public init(lists: [LoadedList], indicators: IndicatorSet, nameThreshold: Double = 0.90, goodGuys: [GoodGuy] = []) {
        self.lists = lists
        self.indicators = indicators
        self.nameThreshold = nameThreshold
        self.goodGuys = goodGuys
    }

    /// True when at least one sanctions list (not only banks or indicators) is loaded.
    public var hasSanctionsList: Bool {
        lists.contains { $0.source != .banks && $0.source != .indicators && !$0.entries.isEmpty }
    }

    /// `{"ofac-sdn": 12, "banks": 13, ...}` — recorded with each screening run.
    public var versionsJSON: String {
        "{" + lists.map { "\"\($0.source.rawValue)\": \($0.versionId)" }.joined(separator: ", ") + "}"
    }
}
