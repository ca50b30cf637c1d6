import Matching

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
    /// The settings or indicators in the database are invalid: nothing is screened, everything is held.
    case policyInvalid = "policy_invalid"
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
    /// For a hit on an identifier (not a name or a BIC): its type (`IMO`, `LEI`, `INN`, `Passport`…).
    public var identifierType: String?

    public init(kind: HitKind, field: String, matched: String, list: String? = nil, entryId: String? = nil,
                entryName: String? = nil, score: Double = 1.0, explanation: String, identifierType: String? = nil) {
        self.kind = kind
        self.field = field
        self.matched = matched
        self.list = list
        self.entryId = entryId
        self.entryName = entryName
        self.score = score
        self.explanation = explanation
        self.identifierType = identifierType
    }
}

/// A hit that a confirmed good-guy record suppressed.
public struct SuppressedHit: Sendable, Equatable {
    public var hit: Hit
    public var goodGuyId: Int64
    public init(hit: Hit, goodGuyId: Int64) {
        self.hit = hit
        self.goodGuyId = goodGuyId
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
    /// Hits a good-guy record suppressed (they did not count towards the outcome), with the record's id:
    /// stored on the payment so that a release because of a suppression says so.
    public var suppressed: [SuppressedHit]
    /// The payment's rescreen prefilter keys (`PolicyScreener.screeningKeys`), when the screener computed them
    /// (`screenRecordingKeys`); nil otherwise, and for a payment whose keys cannot bound what may match it.
    public var screeningKeys: [Int32]?

    public init(hits: [Hit], error: String? = nil, suppressed: [SuppressedHit] = []) {
        self.hits = hits
        self.error = error
        self.suppressed = suppressed
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
    /// `screen`, with the decision's `screeningKeys` set when the screener can compute them (the daemon stores
    /// them with the decision, for the rescreen prefilter).
    func screenRecordingKeys(format: String, message: String) -> Decision
    /// `screen` (or `screenRecordingKeys` when `recordingKeys`) with the caller's working memory: a worker keeps one
    /// workspace and passes it to every payment it screens, so that the buffers of one payment serve the next
    /// instead of being allocated again. The decision is the same as without it.
    func screen(format: String, message: String, recordingKeys: Bool, workspace: inout ScreeningWorkspace) -> Decision
}

extension PaymentScreener {
    public func screenRecordingKeys(format: String, message: String) -> Decision { screen(format: format, message: message) }
    public func screen(format: String, message: String, recordingKeys: Bool, workspace: inout ScreeningWorkspace) -> Decision {
        recordingKeys ? screenRecordingKeys(format: format, message: message) : screen(format: format, message: message)
    }
}

/// Working memory of a screener, owned by one thread (a worker) and reused from payment to payment. It holds
/// buffers, and the one-typo hits of words already searched per list index (`TypoMemo`): what one payment leaves
/// in it does not change how the next is screened. Buffers keep the capacity of the largest field screened so far;
/// a worker starts a new workspace after a large message (`Worker`), so that stays bounded.
public struct ScreeningWorkspace {
    var names: NameIndex.SearchWorkspace
    /// The identifier scans' buffers.
    var identifiers = IdentifierIndex.Scratch()
    /// A party's name and address lines, joined (`PolicyScreener.partyHits`).
    var partyLines: [String] = []
    /// `remembering`: whether name searches remember the typo hits of the words they meet (`TypoMemo`), what a
    /// workspace kept for many payments is for; false for one made for a single payment.
    public init(remembering: Bool = true) { names = NameIndex.SearchWorkspace(remembersTypos: remembering) }
}

/// Holds everything as `policy_invalid`: used while the settings or indicators in the database are invalid.
public struct PolicyInvalidScreener: PaymentScreener {
    public let problems: [String]
    public init(problems: [String]) { self.problems = problems }
    public func screen(format: String, message: String) -> Decision {
        .failClosed(.policyInvalid, error: "the screening policy in the database is invalid: " + problems.prefix(3).joined(separator: "; "))
    }
}

/// Holds everything: used while no list is loaded.
public struct ListsUnavailableScreener: PaymentScreener {
    public init() {}
    public func screen(format: String, message: String) -> Decision {
        .failClosed(.listsUnavailable, error: "no screening lists are loaded")
    }
}
