/// The list sources of the public contract (`lists import --source KIND`).
public enum ListSource: String, Sendable, CaseIterable, Codable {
    case ofacSDN = "ofac-sdn"
    /// OFAC's Consolidated (non-SDN) list (`cons_*.csv`, `consolidated.xml`): a source of its own, so that
    /// importing it never replaces the SDN list in force.
    case ofacCons = "ofac-cons"
    case csl = "csl"
    case eu = "eu"
    case uk = "uk"
    case un = "un"
    case openSanctions = "opensanctions"
    case indicators = "indicators"
    case banks = "banks"
}

/// What kind of subject a list entry names.
public enum EntryType: String, Sendable, Codable {
    case person, entity, bank, vessel, aircraft, other
}

/// How much a name of an entry can be trusted to identify it.
public enum AliasStrength: String, Sendable, Codable {
    /// Primary names and good-quality aliases.
    case strong
    /// OFAC "weak" a.k.a.s (in remarks), UN "Low" quality aliases: reported only on exact whole-name matches.
    case weak
}

/// One name of an entry.
public struct EntryName: Sendable, Codable, Equatable, Hashable {
    public var name: String
    /// `primary`, `aka`, `fka`, `nka`, `original_script`, `weak_aka` (also `weak_fka`, `weak_nka` for OFAC
    /// remarks' `f.k.a. '…'`/`n.k.a. '…'`; `primary_variation` for UK "Primary Name Variation").
    public var kind: String
    public var strength: AliasStrength
    public init(name: String, kind: String, strength: AliasStrength) {
        self.name = name
        self.kind = kind
        self.strength = strength
    }
}

/// One identifier of an entry other than a BIC (passport, registration number, IMO, LEI…).
public struct EntryIdentifier: Sendable, Codable, Equatable, Hashable {
    public var type: String
    public var value: String
    public var country: String?
    public init(type: String, value: String, country: String? = nil) {
        self.type = type
        self.value = value
        self.country = country
    }
}

/// One entry of a sanctions or bank list, in the form every parser produces.
public struct ListEntry: Sendable, Codable, Equatable {
    /// The source's own id (OFAC ent_num, CSL _id/entity_number, UN DATAID, EU logicalId …).
    public var sourceId: String
    public var type: EntryType
    /// First is the primary name.
    public var names: [EntryName]
    /// SWIFT/BIC codes, upper case, 8 or 11 characters.
    public var bics: [String]
    public var identifiers: [EntryIdentifier]
    /// ISO 3166 alpha-2 codes where known, else country names as written.
    public var countries: [String]
    public var programs: [String]
    public var addresses: [String]
    /// The sub-list inside a combined source (CSL `source`, e.g. "Entity List (EL) - Bureau of Industry and Security").
    public var subList: String?
    public var remarks: String?

    public init(sourceId: String, type: EntryType, names: [EntryName], bics: [String] = [], identifiers: [EntryIdentifier] = [],
                countries: [String] = [], programs: [String] = [], addresses: [String] = [], subList: String? = nil, remarks: String? = nil) {
        self.sourceId = sourceId
        self.type = type
        self.names = names
        self.bics = bics
        self.identifiers = identifiers
        self.countries = countries
        self.programs = programs
        self.addresses = addresses
        self.subList = subList
        self.remarks = remarks
    }

    public var primaryName: String { names.first?.name ?? "" }
}

/// End-use indicators: keywords, HS codes and country sets.
public struct IndicatorSet: Sendable, Codable, Equatable {
    public struct Keyword: Sendable, Codable, Equatable, Hashable {
        public var text: String
        /// `en`, `tr`, `ru` (Cyrillic or transliterated), or other ISO 639-1 codes.
        public var language: String
        public init(text: String, language: String) {
            self.text = text
            self.language = language
        }
    }
    public struct HSCode: Sendable, Codable, Equatable, Hashable {
        /// Six digits, no separators ("854231").
        public var code: String
        public var tier: String
        public var description: String
        public init(code: String, tier: String, description: String) {
            self.code = code
            self.tier = tier
            self.description = description
        }
    }
    public var keywords: [Keyword]
    public var hsCodes: [HSCode]
    /// Named country sets of ISO alpha-2 codes; the policy uses `risk` (Russia, Belarus) and `transshipment`.
    public var countrySets: [String: [String]]
    /// Added for issue 4: benign phrases that contain a keyword ("FOOD PROCESSORS" contains "PROCESSORS").
    /// A keyword match that lies inside a match of an exclusion phrase is not an end-use hit. Lets the
    /// default set keep goods words the deck uses (PROCESSORS, ISLEMCI) without firing on kitchen appliances
    /// or payment processors. Matched with the same normalisation as keywords.
    public var exclusions: [Keyword]

    public init(keywords: [Keyword] = [], hsCodes: [HSCode] = [], countrySets: [String: [String]] = [:],
                exclusions: [Keyword] = []) {
        self.keywords = keywords
        self.hsCodes = hsCodes
        self.countrySets = countrySets
        self.exclusions = exclusions
    }

    private enum CodingKeys: String, CodingKey { case keywords, hsCodes, countrySets, exclusions }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        keywords = try c.decode([Keyword].self, forKey: .keywords)
        hsCodes = try c.decode([HSCode].self, forKey: .hsCodes)
        countrySets = try c.decode([String: [String]].self, forKey: .countrySets)
        // Absent in sets encoded before the field existed.
        exclusions = try c.decodeIfPresent([Keyword].self, forKey: .exclusions) ?? []
    }
}

/// The result of parsing one list source's files.
public struct ParsedList: Sendable {
    public var source: ListSource
    public var entries: [ListEntry]
    /// Set for `indicators` imports.
    public var indicators: IndicatorSet?
    /// Counted, human-readable warnings (orphan rows, a repeated header, a cut-off last record…).
    public var warnings: [String]

    public init(source: ListSource, entries: [ListEntry] = [], indicators: IndicatorSet? = nil, warnings: [String] = []) {
        self.source = source
        self.entries = entries
        self.indicators = indicators
        self.warnings = warnings
    }
}

/// A list file that cannot be read. Names the file and, where known, the line.
public struct ListFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String
    public init(file: String, line: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}
