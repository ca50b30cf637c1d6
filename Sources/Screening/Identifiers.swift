/// Identifiers of list entries and of payment parties: what kind each is, its normalised form, and the
/// check digits that make an occurrence in free text trustworthy.
///
/// Lists write the type of an identifier in their own words ("Vessel Registration Identification",
/// "Legal Entity Number", "Tax ID No.", `identificationTypeDescription`, FollowTheMoney property names…);
/// `IdentifierKind.classify` maps them to the kinds screened here and leaves out what is not an
/// identifier of the party itself (a vessel's flag or owner, a title, a list's own reference number).
public enum IdentifierKind: String, Sendable, CaseIterable {
    case imo = "IMO"
    case lei = "LEI"
    case inn = "INN"
    case ogrn = "OGRN"
    case mmsi = "MMSI"
    case passport = "Passport"
    case nationalId = "National ID"
    case taxId = "Tax ID"
    case registration = "Registration Number"
    case digitalCurrency = "Digital Currency Address"
    /// Any other number a list gives as an identifier of the party (a driver's licence, a social security
    /// number…): hits name it with the list's own wording.
    case other = "Identifier"

    /// The kind of a list identifier with type text `type` and value `value`, or nil when it is not screened.
    ///
    /// Rules in order (first match wins), on the lower-cased type text. A tax or registration number that
    /// validates as a Russian INN or OGRN is one (the check digits decide, the list's wording need not say so).
    public static func classify(type: String, value: String) -> IdentifierKind? {
        TypeWords(type).kind(value: value)
    }

    /// What `classify` reads in an identifier's type text, found once per type text: a list writes a few
    /// dozen type texts for hundreds of thousands of identifiers, so `IdentifierIndex` keeps these by type text
    /// and only the value's part of the rules runs per identifier.
    struct TypeWords: Sendable {
        let digitalCurrency: Bool, excluded: Bool, imo: Bool, vessel: Bool, lei: Bool, mmsi: Bool, passport: Bool
        let tax: Bool, inn: Bool, registration: Bool, nationalId: Bool, other: Bool

        init(_ type: String) {
            let t = type.lowercased()
            // Substring tests on bytes when the type text is ASCII (every list's wording so far): the same answers as
            // Foundation's `contains`, whose bridging was nearly half of a 286,000-name screener's build. Otherwise Foundation's.
            let ascii = t.utf8.allSatisfy { $0 < 0x80 }
            let bytes = Array(t.utf8)
            func has(_ words: String...) -> Bool {
                words.contains { ascii ? IdentifierKind.containsBytes(bytes, Array($0.utf8)) : t.contains($0) }
            }
            digitalCurrency = has("digital currency", "crypto", "wallet")
            excluded = has("flag", "owner", "operator", "manager", "title", "gender", "website", "email", "e-mail", "phone",
                           "nationality", "citizenship", "reference number", "group id", "established", "call sign", "aircraft",
                           "former", "sanctions", "program", "date", "birth", "address", "swift", "bic", "kpp", "chinese commercial code",
                           "postal", "zip", "gazette", "ticker", "issuer", "target type", "directive", "isin")
            imo = has("imo")
            vessel = has("vessel")
            lei = has("legal entity", "lei") || t == "leicode"
            mmsi = has("mmsi")
            passport = has("passport", "pasaport", "passeport", "pasport")
            tax = has("tax", "inn", "tin", "taxpayer", "vat")
            inn = has("inn")
            registration = has("ogrn", "registration", "regist", "company number", "commercial", "business number", "d-u-n-s", "duns",
                               "okpo", "incorporation", "companyid", "ogrncode", "uscc", "usccode", "unified social credit")
            nationalId = has("national id", "national identification", "personal id", "identification number", "id card", "idnumber",
                             "national number", "cedula", "nric", "identity")
            other = ["curp", "rfc", "nit", "ssn", "cuit", "cpf", "cnpj", "nif", "nie", "cif", "dni", "unp", "bin", "iin"].contains(t)
                || has("no.", "number", " id", "#", "licen") || t.hasSuffix("id")
        }

        /// The kind of an identifier of this type text with value `value` (the rules of `classify`, in order).
        func kind(value: String) -> IdentifierKind? {
            if digitalCurrency { return .digitalCurrency }
            if excluded { return nil }
            // "Vessel Registration Identification: IMO 9074729": the value says what it is.
            if imo || TypeWords.hasIMOPrefix(value) || (vessel && Checks.isIMO(normalize(value))) { return .imo }
            if lei { return .lei }
            if mmsi { return .mmsi }
            if passport { return .passport }
            if tax || registration {
                let n = normalize(value)
                if tax { return Checks.isINN(n) ? .inn : .taxId }
                return Checks.isOGRN(n) ? .ogrn : (Checks.isINN(n) && inn ? .inn : .registration)
            }
            if nationalId { return .nationalId }
            return other ? .other : nil
        }

        /// `value.uppercased().hasPrefix("IMO")`, without the copy when the first three bytes are ASCII.
        static func hasIMOPrefix(_ value: String) -> Bool {
            var u = value.utf8.makeIterator()
            // A fourth byte that is not ASCII could combine with the third character (`O` and U+0301 are not `O`).
            guard let a = u.next(), let b = u.next(), let c = u.next(), a < 0x80, b < 0x80, c < 0x80, (u.next() ?? 0) < 0x80 else {
                return value.uppercased().hasPrefix("IMO")
            }
            return a | 0x20 == UInt8(ascii: "i") && b | 0x20 == UInt8(ascii: "m") && c | 0x20 == UInt8(ascii: "o")
        }
    }

    /// Whether `needle` occurs in `haystack` (byte for byte; an empty needle always does).
    static func containsBytes(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        if needle.isEmpty { return true }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            var k = 1
            while k < needle.count && haystack[start + k] == needle[k] { k += 1 }
            if k == needle.count { return true }
        }
        return false
    }

    /// True when the kind has check digits, which a free-text occurrence must pass.
    public var hasCheckDigits: Bool {
        switch self {
        case .imo, .lei, .inn, .ogrn: return true
        default: return false
        }
    }

    /// True when `normalised` passes this kind's check (always true for kinds without one).
    public func validates(_ normalised: String) -> Bool {
        switch self {
        case .imo: return Checks.isIMO(normalised)
        case .lei: return Checks.isLEI(normalised)
        case .inn: return Checks.isINN(normalised)
        case .ogrn: return Checks.isOGRN(normalised)
        default: return true
        }
    }

    /// The form every comparison uses: upper-case ASCII letters and digits only (spaces, dashes, dots and
    /// slashes dropped), and an `IMO` written in front of an IMO number dropped.
    public static func normalize(_ value: String) -> String {
        var out: [UInt8] = []
        normalize(value.utf8, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `normalize(_:)` into a reused buffer (the free-text scan's path, which must not allocate per token).
    static func normalize<C: Collection<UInt8>>(_ value: C, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        for b in value {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "A")...UInt8(ascii: "Z"): out.append(b)
            case UInt8(ascii: "a")...UInt8(ascii: "z"): out.append(b - 32)
            default: continue
            }
        }
        if out.count == 10, out[0] == UInt8(ascii: "I"), out[1] == UInt8(ascii: "M"), out[2] == UInt8(ascii: "O"),
           out[3...].allSatisfy(Checks.isDigit) {
            out.removeFirst(3)
        }
    }

    /// The check-digit rules (pure functions of the normalised value).
    public enum Checks {
        static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

        static func digits(_ s: String, count: Int...) -> [Int]? {
            let u = Array(s.utf8)
            guard count.contains(u.count), u.allSatisfy(isDigit) else { return nil }
            return u.map { Int($0 - UInt8(ascii: "0")) }
        }

        /// IMO ship and company numbers: seven digits, the last the sum of the first six weighted 7…2, mod 10.
        public static func isIMO(_ s: String) -> Bool {
            guard let d = digits(s, count: 7) else { return false }
            let sum = (0..<6).reduce(0) { $0 + d[$1] * (7 - $1) }
            return sum % 10 == d[6]
        }

        /// ISO 17442 LEI: 18 letters or digits and two check digits; ISO 7064 MOD 97-10 over the whole is 1.
        public static func isLEI(_ s: String) -> Bool {
            let u = Array(s.utf8)
            guard u.count == 20, u[18...].allSatisfy(isDigit) else { return false }
            var r = 0
            for b in u {
                if isDigit(b) {
                    r = (r * 10 + Int(b - UInt8(ascii: "0"))) % 97
                } else if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") {
                    r = (r * 100 + Int(b - UInt8(ascii: "A")) + 10) % 97
                } else {
                    return false
                }
            }
            return r == 1
        }

        /// Russian INN: ten digits (organisations, one check digit) or twelve (individuals, two).
        public static func isINN(_ s: String) -> Bool {
            guard let d = digits(s, count: 10, 12) else { return false }
            func check(_ weights: [Int]) -> Int { weights.enumerated().reduce(0) { $0 + $1.element * d[$1.offset] } % 11 % 10 }
            if d.count == 10 { return check([2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[9] }
            return check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[10] && check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]) == d[11]
        }

        /// Russian OGRN (13 digits: the first 12 mod 11, mod 10) and OGRNIP (15: the first 14 mod 13, mod 10).
        public static func isOGRN(_ s: String) -> Bool {
            guard let d = digits(s, count: 13, 15) else { return false }
            let modulus = d.count == 13 ? 11 : 13
            var r = 0
            for x in d.dropLast() { r = (r * 10 + x) % modulus }
            return r % 10 == d.last!
        }
    }
}
