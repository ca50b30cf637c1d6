/// One payment message as screening sees it, whatever format it came in.
///
/// Parsers fill in every party, agent and free-text field they find; screening walks
/// `parties` and `texts` without knowing which format produced them. Line structure is
/// kept (names wrap at 35 characters in MT, often mid-word) so that screening can join
/// lines both with and without a space.
public struct Payment: Sendable, Equatable {
    public var format: MessageFormat
    /// Sender's reference (MT :20:, pacs `MsgId` / `InstrId`).
    public var reference: String?
    /// End-to-end unique transaction reference (MT block 3 tag 121, pacs `UETR`).
    public var uetr: String?
    /// Settlement amount as written with a '.' decimal separator ("1234.56").
    public var amount: String?
    public var currency: String?
    /// Every party and agent, in message order (one `Party` per occurrence).
    public var parties: [Party]
    /// All free text: remittance, sender-to-receiver information, purpose, instructions.
    public var texts: [FreeText]
    /// Number of transactions in the message (pacs can carry several; MT always 1).
    public var transactionCount: Int

    public init(format: MessageFormat, reference: String? = nil, uetr: String? = nil, amount: String? = nil,
                currency: String? = nil, parties: [Party] = [], texts: [FreeText] = [], transactionCount: Int = 1) {
        self.format = format
        self.reference = reference
        self.uetr = uetr
        self.amount = amount
        self.currency = currency
        self.parties = parties
        self.texts = texts
        self.transactionCount = transactionCount
    }
}

/// The message formats of the public contract (`format` column / `screen` input).
public enum MessageFormat: String, Sendable, CaseIterable, Codable {
    case mt103 = "mt103"
    case mt202 = "mt202"
    case mt202cov = "mt202cov"
    case pacs008 = "pacs.008"
    case pacs009 = "pacs.009"
}

/// Whether a party is a customer (person or company) or a financial institution in the chain.
public enum PartyKind: String, Sendable, Codable {
    case party
    case agent
}

/// A party or an agent as written in the message.
public struct Party: Sendable, Equatable {
    /// Role name used in hits' `field`, one vocabulary for all formats:
    /// customers: `ordering_customer` (MT 50a), `beneficiary` (MT 59a), `debtor`, `creditor`,
    /// `ultimate_debtor`, `ultimate_creditor`, `initiating_party`;
    /// agents: `sender` / `receiver` (MT blocks 1-2, AppHdr Fr/To), `ordering_institution` (52a),
    /// `senders_correspondent` (53a), `receivers_correspondent` (54a), `third_reimbursement_institution` (55a),
    /// `intermediary` (56a), `account_with_institution` (57a), `beneficiary_institution` (58a),
    /// `debtor_agent`, `creditor_agent`, `intermediary_agent_1..3`, `instructing_agent`, `instructed_agent`,
    /// `previous_instructing_agent_1..3`, and for pacs.009 bank-to-bank `debtor_institution`, `creditor_institution`.
    /// MT202COV sequence B roles get the prefix `underlying_` (e.g. `underlying_beneficiary`).
    ///
    /// Added by the parsers (issue 5): `sending_institution` (MT 51A); `previous_instructing_agent_1..3` also for
    /// a BIC given as `/INS/` in MT field 72 (its ISO 20022 translation); `instructing_reimbursement_agent`,
    /// `instructed_reimbursement_agent`, `third_reimbursement_agent` (ISO `SttlmInf`) and `charges_agent`
    /// (ISO `ChrgsInf/Agt`), all agents; and the `underlying_` prefix also for every party and agent inside
    /// ISO `UndrlygCstmrCdtTrf` (pacs.009 COV), e.g. `underlying_creditor`, `underlying_debtor_agent`.
    ///
    /// ISO 20022 only: `<role>_contact` (e.g. `creditor_contact`, `instructing_agent_contact`, `sender_contact`)
    /// holds, as name lines, the free texts of that party's block and account that are not its own name or
    /// address: contact details, identifiers' issuers and proprietary schemes, the account holder's name and
    /// proxy. It has the kind of its party and is screened like any party.
    public var role: String
    public var kind: PartyKind
    /// The source field: MT tag with option ("59F", "57A"), or ISO element path tail ("Cdtr", "CdtrAgt").
    public var sourceField: String
    /// Name lines exactly as written (MT lines after the account; ISO `Nm` as one line).
    ///
    /// MT free-text options (50K, 59 without letter, D, B location) do not mark where the name ends, so every
    /// line after the optional account line is a name line and `addressLines` stays empty; option F puts only
    /// its `1/` lines here. An ISO branch name (`BrnchId/Nm`) is a further line.
    public var nameLines: [String]
    /// Address lines (MT lines after the name, option F `2/`; ISO `AdrLine` and structured parts).
    public var addressLines: [String]
    /// ISO 3166 alpha-2 country from a structured field (option F `3/CC/`, ISO `Ctry`), if any.
    public var country: String?
    /// Country of residence or other countries named by structured fields.
    public var otherCountries: [String]
    public var account: String?
    /// BIC (8 or 11 characters, upper case) if the field carries one.
    ///
    /// As written in the field (`RZBRROBUXXX` stays 11 characters); the MT header BICs come from a
    /// logical-terminal address, whose `XXX` branch is given as the BIC8.
    public var bic: String?
    /// Other identifiers: LEI, clearing codes, national ids ("LEI:529900...", "CLR:USABA:021000021").
    public var identifiers: [String]
    /// Raw lines of the field as written, for fields whose structure is unknown (option K/D free text).
    ///
    /// MT: every line of a free-text field, account line included. ISO: names that are not the party's own
    /// name but still name someone, a contact (`CtctDtls/Nm`) or an account holder (`DbtrAcct/Nm`); these are
    /// also in the party's `<role>_contact`, since screening reads raw lines only of a party without name or
    /// address lines.
    public var rawLines: [String]

    public init(role: String, kind: PartyKind, sourceField: String, nameLines: [String] = [], addressLines: [String] = [],
                country: String? = nil, otherCountries: [String] = [], account: String? = nil, bic: String? = nil,
                identifiers: [String] = [], rawLines: [String] = []) {
        self.role = role
        self.kind = kind
        self.sourceField = sourceField
        self.nameLines = nameLines
        self.addressLines = addressLines
        self.country = country
        self.otherCountries = otherCountries
        self.account = account
        self.bic = bic
        self.identifiers = identifiers
        self.rawLines = rawLines
    }
}

/// A free-text field of the payment.
public struct FreeText: Sendable, Equatable {
    /// Field name used in hits: `remittance` (MT 70, ISO RmtInf), `sender_to_receiver` (MT 72),
    /// `regulatory_reporting` (MT 77B, ISO RgltryRptg), `purpose` (ISO Purp), `instructions` (ISO InstrFor*),
    /// `underlying_remittance` (MT202COV sequence B 70), `goods` (any goods description).
    ///
    /// Added by the parsers (issue 5): `underlying_sender_to_receiver` (MT202COV sequence B 72); `instructions`
    /// also holds MT 23E codes; ISO `CtgyPurp` goes to `purpose`; inside ISO `UndrlygCstmrCdtTrf` every field
    /// gets the `underlying_` prefix (`underlying_remittance`, `underlying_purpose`, ...).
    public var field: String
    public var sourceField: String
    /// Lines as written; MT lines wrap at 35 characters.
    public var lines: [String]

    public init(field: String, sourceField: String, lines: [String]) {
        self.field = field
        self.sourceField = sourceField
        self.lines = lines
    }
}

/// Why a message could not be parsed. `reason` is short and never contains message text beyond a tag name.
public struct MessageParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case unknownFormat = "unknown_format"
        case empty
        case tooLarge = "too_large"
        case malformedBlocks = "malformed_blocks"
        case truncated
        case missingField = "missing_field"
        case invalidField = "invalid_field"
        case invalidCharacters = "invalid_characters"
        case wrongMessageType = "wrong_message_type"
        case malformedXML = "malformed_xml"
        case forbiddenXML = "forbidden_xml"
        case tooDeep = "too_deep"
    }
    public var code: Code
    public var reason: String
    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }
    public var description: String { "\(code.rawValue): \(reason)" }
}
