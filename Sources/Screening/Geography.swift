import Matching
import Messages
import Watchlists

/// Where the parties and agents of a payment are: structured countries, BIC countries, IBAN countries,
/// and country or major-city names in address lines.
struct Geography: Sendable {
    let riskCountries: Set<String>

    /// Country (ISO alpha-2) of a BIC: characters 5–6.
    static func bicCountry(_ bic: String) -> String? {
        let u = bic.utf8
        guard u.count >= 6 else { return nil }
        let i = u.index(u.startIndex, offsetBy: 4)
        let c0 = u[i], c1 = u[u.index(after: i)]
        // Every payment's agents come here: ASCII (the BIC character set) is decided on the bytes, without
        // Unicode properties; anything else as characters, as always.
        if c0 < 0x80 && c1 < 0x80 {
            let letters = (c0 | 0x20) &- UInt8(ascii: "a") < 26 && (c1 | 0x20) &- UInt8(ascii: "a") < 26
            return letters ? String(decoding: [c0, c1], as: UTF8.self) : nil
        }
        let cc = String(decoding: Array(u)[4..<6], as: UTF8.self)
        return cc.allSatisfy { $0.isLetter } ? cc : nil
    }

    /// Country of an IBAN-shaped account (two letters, two digits, then alphanumerics, 15–34 characters).
    static func ibanCountry(_ account: String) -> String? {
        var a = account.uppercased().filter { $0 != " " }
        if a.hasPrefix("/") { a.removeFirst() }
        let b = Array(a.utf8)
        guard b.count >= 15 && b.count <= 34, b[0] >= 65, b[0] <= 90, b[1] >= 65, b[1] <= 90,
              b[2] >= 48, b[2] <= 57, b[3] >= 48, b[3] <= 57, b.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) })
        else { return nil }
        let cc = String(decoding: b[0..<2], as: UTF8.self)
        return Countries.isCode(cc) ? cc : nil
    }

    /// Capitals and trade hubs of the countries the default sets name, for unstructured addresses.
    static let cities: [String: String] = [
        "MOSCOW": "RU", "MOSKVA": "RU", "SAINT PETERSBURG": "RU", "ST PETERSBURG": "RU", "SANKT PETERBURG": "RU",
        "YEKATERINBURG": "RU", "EKATERINBURG": "RU", "NOVOSIBIRSK": "RU", "KAZAN": "RU", "NIZHNY NOVGOROD": "RU",
        "VLADIVOSTOK": "RU", "KALININGRAD": "RU", "ROSTOV ON DON": "RU", "SAMARA": "RU", "CHELYABINSK": "RU",
        "MINSK": "BY", "GOMEL": "BY", "BREST": "BY", "VITEBSK": "BY",
        "ALMATY": "KZ", "ASTANA": "KZ", "NUR SULTAN": "KZ", "SHYMKENT": "KZ", "KARAGANDA": "KZ",
        "BISHKEK": "KG", "OSH": "KG", "YEREVAN": "AM", "GYUMRI": "AM", "BAKU": "AZ", "GANJA": "AZ",
        "TBILISI": "GE", "BATUMI": "GE", "POTI": "GE", "DUSHANBE": "TJ", "KHUJAND": "TJ",
        "TASHKENT": "UZ", "SAMARKAND": "UZ", "DUBAI": "AE", "ABU DHABI": "AE", "SHARJAH": "AE", "AJMAN": "AE", "JEBEL ALI": "AE",
        "BEIJING": "CN", "SHANGHAI": "CN", "SHENZHEN": "CN", "GUANGZHOU": "CN", "YIWU": "CN", "HARBIN": "CN", "URUMQI": "CN",
        "HONG KONG": "HK", "HONGKONG": "HK", "KOWLOON": "HK", "BELGRADE": "RS", "BEOGRAD": "RS", "NOVI SAD": "RS",
        "RUSSIA": "RU", "RUSSIAN FEDERATION": "RU", "ROSSIYA": "RU", "ROSSIJA": "RU", "BELARUS": "BY", "BELORUSSIA": "BY",
        "KAZAKHSTAN": "KZ", "KYRGYZSTAN": "KG", "KYRGYZ REPUBLIC": "KG", "KIRGIZIA": "KG", "ARMENIA": "AM", "AZERBAIJAN": "AZ",
        "TAJIKISTAN": "TJ", "UZBEKISTAN": "UZ", "UNITED ARAB EMIRATES": "AE", "UAE": "AE", "CHINA": "CN", "PRC": "CN",
        "SERBIA": "RS", "IRAN": "IR", "NORTH KOREA": "KP", "DPRK": "KP",
    ]
    static let maxCityTokens = 3

    /// A sentence naming the first risky place found, or nil if nothing in the payment is in a risk country.
    func firstRiskyPlace(_ payment: Payment) -> String? {
        guard !riskCountries.isEmpty else { return nil }
        for p in payment.parties {
            for c in [p.country].compactMap({ $0 }) + p.otherCountries where riskCountries.contains(c.uppercased()) {
                return "\(p.role) in \(c.uppercased())"
            }
            if let bic = p.bic, let cc = Self.bicCountry(bic), riskCountries.contains(cc) {
                return "\(p.role) BIC \(bic) in \(cc)"
            }
            if let account = p.account, let cc = Self.ibanCountry(account), riskCountries.contains(cc) {
                return "\(p.role) account in \(cc)"
            }
            let lines = p.addressLines + (p.nameLines.isEmpty ? p.rawLines : [])
            if let (name, cc) = placeName(in: lines), riskCountries.contains(cc) {
                return "\(p.role) address '\(name)' in \(cc)"
            }
        }
        return nil
    }

    /// The first country or city name (from the table, or a country name) in address lines.
    func placeName(in lines: [String]) -> (String, String)? {
        for line in lines {
            let tokens = Normalizer.tokens(line)
            let usContext = tokens.contains("USA") || tokens.contains("US") || (tokens.contains("UNITED") && tokens.contains("STATES"))
            for n in stride(from: Self.maxCityTokens, through: 1, by: -1) where tokens.count >= n {
                for i in 0...(tokens.count - n) {
                    let phrase = tokens[i..<(i + n)].joined(separator: " ")
                    if let cc = Self.cities[phrase] { return (phrase, cc) }
                    if n >= 1, phrase.count > 3, let cc = Countries.iso2(phrase) {
                        // "GEORGIA" next to "USA" is the US state.
                        if cc == "GE" && usContext { continue }
                        return (phrase, cc)
                    }
                }
            }
        }
        return nil
    }
}
