/// What screening decided for one payment.
public enum Outcome: String, Sendable, Codable {
    case release
    case hold
}

/// The machine-readable reasons of the public contract, plus the fail-closed ones.
public enum HitKind: String, Sendable, Codable, CaseIterable {
    case sanctionedParty = "sanctioned_party"
    case russianLender = "russian_lender"
    case militaryEndUse = "military_end_use"
    case unparseable = "unparseable"
    /// No list is loaded: nothing can be screened, so everything is held.
    case listsUnavailable = "lists_unavailable"
    /// The screener itself failed on this payment.
    case screeningError = "screening_error"
}

/// One explainable reason to hold: which rule, where in the payment, what matched what.
public struct Hit: Sendable, Codable, Equatable {
    public var kind: HitKind
    /// The role in the payment (`beneficiary`, `creditor_agent`, `remittance` …) or `message`.
    public var field: String
    /// The text of the payment that matched, as written (normalised spacing).
    public var matched: String
    /// The list source (`ofac-sdn`, `banks`, `indicators` …), if the hit comes from a list.
    public var list: String?
    public var entryId: String?
    public var entryName: String?
    /// 1.0 for exact matches; the similarity score for fuzzy ones.
    public var score: Double
    /// A sentence for the operator.
    public var explanation: String

    public init(kind: HitKind, field: String, matched: String, list: String? = nil, entryId: String? = nil,
                entryName: String? = nil, score: Double = 1.0, explanation: String) {
        self.kind = kind
        self.field = field
        self.matched = matched
        self.list = list
        self.entryId = entryId
        self.entryName = entryName
        self.score = score
        self.explanation = explanation
    }
}

/// The decision for one payment, with every hit that led to it.
public struct Decision: Sendable, Equatable {
    public var outcome: Outcome
    /// Distinct hit kinds, in the order of first appearance (`sanctioned_party`, …).
    public var reasons: [String]
    public var hits: [Hit]
    /// Why the message could not be parsed or screened, for `unparseable` and `screening_error`.
    public var error: String?

    public init(hits: [Hit], error: String? = nil) {
        self.hits = hits
        self.error = error
        var seen: [String] = []
        for h in hits where !seen.contains(h.kind.rawValue) { seen.append(h.kind.rawValue) }
        self.reasons = seen
        self.outcome = hits.isEmpty ? .release : .hold
    }

    public static let release = Decision(hits: [])

    /// Hold with a single fail-closed reason and no list hit.
    public static func failClosed(_ kind: HitKind, error: String) -> Decision {
        Decision(hits: [Hit(kind: kind, field: "message", matched: "", score: 1.0, explanation: error)], error: error)
    }
}

/// Turns one stored payment into a decision. Implementations never throw: anything they cannot
/// handle becomes a hold (fail closed).
public protocol PaymentScreener: Sendable {
    func screen(format: String, message: String) -> Decision
}

/// Holds everything: used while no list is loaded.
public struct ListsUnavailableScreener: PaymentScreener {
    public init() {}
    public func screen(format: String, message: String) -> Decision {
        .failClosed(.listsUnavailable, error: "no screening lists are loaded")
    }
}
