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

    /// A confirmed false positive: this party text in this field is not that list entry. Only records
    /// confirmed by a second operator and not expired reach the screener.
    public struct GoodGuy: Sendable, Equatable {
        public var field: String
        public var matched: String
        public var list: String
        public var entryId: String
        /// The `chokepoint.good_guys` id, recorded on every hit the record suppresses (0 when not stored).
        public var id: Int64
        /// Seconds since 1970 after which the record no longer suppresses anything (nil: no expiry).
        public var expiresAt: Double?
        public init(field: String, matched: String, list: String, entryId: String, id: Int64 = 0, expiresAt: Double? = nil) {
            self.field = field
            self.matched = matched
            self.list = list
            self.entryId = entryId
            self.id = id
            self.expiresAt = expiresAt
        }
    }

    public var lists: [LoadedList]
    public var indicators: IndicatorSet
    /// Name-match score threshold (setting `name_match_threshold`, valid in `validThresholds`).
    public var nameThreshold: Double
    public var goodGuys: [GoodGuy]
    /// `chokepoint.policy_generation` in the snapshot this data was read from (0 when unknown).
    public var policyGeneration: Int64 = 0
    /// What is wrong with the settings or indicators as read (empty when valid). The database refuses
    /// invalid values; this is the daemon's own check, so that a constraint dropped or bypassed by a
    /// superuser still cannot make it screen with a broken policy: it holds everything instead.
    public var policyProblems: [String] = []

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

    /// The range `name_match_threshold` must lie in (the same bounds as `chokepoint.setting_problem`).
    public static let validThresholds: ClosedRange<Double> = 0.75...0.97

    /// Checks settings and indicators; returns one sentence per problem.
    public static func problems(settings: [String: String], indicators: IndicatorSet) -> [String] {
        var out: [String] = []
        for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
            guard let n = Double(value), n.isFinite else { out.append("setting \(key) is not a number"); continue }
            switch key {
            case "name_match_threshold":
                if !validThresholds.contains(n) { out.append("name_match_threshold \(value) is outside \(validThresholds.lowerBound)...\(validThresholds.upperBound)") }
            case "good_guy_validity_days":
                if n.rounded() != n || !(1...1825).contains(n) { out.append("good_guy_validity_days \(value) is outside 1...1825") }
            case "max_message_bytes":
                if n.rounded() != n || !(1024...67_108_864).contains(n) { out.append("max_message_bytes \(value) is outside 1024...67108864") }
            default:
                out.append("unknown setting \(key)")
            }
        }
        if settings["name_match_threshold"] == nil { out.append("setting name_match_threshold is missing") }
        for code in indicators.hsCodes where code.code.count != 6 || !code.code.allSatisfy({ $0.isASCII && $0.isNumber }) {
            out.append("HS code '\(code.code)' is not six digits")
        }
        for (set, countries) in indicators.countrySets {
            for c in countries where c.count != 2 || !c.allSatisfy({ $0.isASCII && $0.isUppercase }) {
                out.append("country set \(set) holds '\(c)', not an ISO 3166 alpha-2 code")
            }
        }
        for k in indicators.keywords + indicators.exclusions where k.text.allSatisfy(\.isWhitespace) {
            out.append("an end-use keyword is blank")
        }
        return out
    }
}
