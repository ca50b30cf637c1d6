/// Country names as the lists write them → ISO 3166-1 alpha-2 codes.
///
/// Covers the ISO short names, OFAC's spellings (`Korea, North`, `Burma`, `Congo, Democratic Republic of the`,
/// `Region: Crimea`), the UN's (`Russian Federation`, `Iran (Islamic Republic of)`, `Viet Nam`),
/// the EU's upper-case descriptions and common variants. A name that is not in the table is kept as written
/// by the callers, so nothing is lost; the lookup ignores case, punctuation and a leading "the".
public enum Countries {
    /// The ISO alpha-2 code for a country name or code, or nil when unknown.
    public static func iso2(_ raw: String) -> String? {
        let t = raw.trimmed
        if t.isEmpty { return nil }
        let up = t.uppercased()
        if up.utf8.count == 2, codes.contains(up) { return up }
        return table[key(t)]
    }

    /// The ISO code when known, else the name as written (trimmed); nil for an empty name.
    static func codeOrName(_ raw: String) -> String? {
        let t = raw.trimmed
        if t.isEmpty { return nil }
        return iso2(t) ?? demonym(t) ?? t
    }

    /// The ISO code for a nationality adjective as some lists write it ("Russian", "Belarusian"), or nil.
    public static func demonym(_ raw: String) -> String? { demonyms[key(raw)] }

    private static let demonyms: [String: String] = [
        "russian": "RU", "belarusian": "BY", "belarussian": "BY", "ukrainian": "UA", "iranian": "IR", "syrian": "SY",
        "chinese": "CN", "kazakh": "KZ", "kazakhstani": "KZ", "uzbek": "UZ", "kyrgyz": "KG", "tajik": "TJ",
        "armenian": "AM", "azerbaijani": "AZ", "georgian": "GE", "serbian": "RS", "turkish": "TR", "emirati": "AE",
        "north korean": "KP", "korean": "KR", "cypriot": "CY", "moldovan": "MD", "latvian": "LV", "lithuanian": "LT",
        "estonian": "EE", "israeli": "IL", "german": "DE", "french": "FR", "british": "GB", "american": "US",
        "italian": "IT", "swiss": "CH", "indian": "IN", "venezuelan": "VE", "cuban": "CU", "iraqi": "IQ",
        "lebanese": "LB", "afghan": "AF", "pakistani": "PK", "libyan": "LY", "sudanese": "SD", "yemeni": "YE",
        "nicaraguan": "NI", "burmese": "MM", "myanmar": "MM", "bulgarian": "BG", "greek": "GR", "spanish": "ES",
        "dutch": "NL", "austrian": "AT", "polish": "PL", "czech": "CZ", "slovak": "SK", "hungarian": "HU",
        "romanian": "RO", "finnish": "FI", "swedish": "SE", "norwegian": "NO", "danish": "DK", "belgian": "BE",
        "portuguese": "PT", "canadian": "CA", "japanese": "JP", "mongolian": "MN", "turkmen": "TM",
    ]

    /// True for a known ISO alpha-2 code (upper case).
    public static func isCode(_ s: String) -> Bool { codes.contains(s) }

    static func key(_ s: String) -> String {
        var out = ""
        var space = false
        for ch in s.lowercased() {
            if ch.isLetter || ch.isNumber {
                if space, !out.isEmpty { out.append(" ") }
                space = false
                out.append(ch)
            } else if ch == "'" || ch == "’" || ch == "." {
                continue
            } else {
                space = true
            }
        }
        if out.hasPrefix("the ") { out.removeFirst(4) }
        // Diacritics that appear in names: Türkiye, Côte d'Ivoire, Curaçao, Réunion, São Tomé.
        let folded = out.map { c -> String in
            switch c {
            case "ü": return "u"
            case "ô", "ó": return "o"
            case "é", "è": return "e"
            case "ç": return "c"
            case "ã", "á": return "a"
            case "í": return "i"
            default: return String(c)
            }
        }.joined()
        return folded
    }

    private static let entries: [(String, [String])] = [
        ("AD", ["Andorra"]), ("AE", ["United Arab Emirates", "UAE", "U.A.E."]), ("AF", ["Afghanistan"]),
        ("AG", ["Antigua and Barbuda"]), ("AI", ["Anguilla"]), ("AL", ["Albania"]), ("AM", ["Armenia"]),
        ("AO", ["Angola"]), ("AQ", ["Antarctica"]), ("AR", ["Argentina"]), ("AS", ["American Samoa"]),
        ("AT", ["Austria"]), ("AU", ["Australia"]), ("AW", ["Aruba"]), ("AX", ["Aland Islands", "Åland Islands"]),
        ("AZ", ["Azerbaijan"]), ("BA", ["Bosnia and Herzegovina", "Bosnia-Herzegovina", "Bosnia"]),
        ("BB", ["Barbados"]), ("BD", ["Bangladesh"]), ("BE", ["Belgium"]), ("BF", ["Burkina Faso"]),
        ("BG", ["Bulgaria"]), ("BH", ["Bahrain"]), ("BI", ["Burundi"]), ("BJ", ["Benin"]),
        ("BL", ["Saint Barthelemy"]), ("BM", ["Bermuda"]), ("BN", ["Brunei", "Brunei Darussalam"]),
        ("BO", ["Bolivia", "Bolivia (Plurinational State of)", "Plurinational State of Bolivia"]),
        ("BQ", ["Bonaire, Sint Eustatius and Saba", "Caribbean Netherlands"]), ("BR", ["Brazil"]),
        ("BS", ["Bahamas", "Bahamas, The"]), ("BT", ["Bhutan"]), ("BV", ["Bouvet Island"]), ("BW", ["Botswana"]),
        ("BY", ["Belarus", "Republic of Belarus", "Byelorussia", "Belorussia"]), ("BZ", ["Belize"]),
        ("CA", ["Canada"]), ("CC", ["Cocos (Keeling) Islands"]),
        ("CD", ["Congo, Democratic Republic of the", "Democratic Republic of the Congo", "DR Congo", "DRC",
                "Congo (Democratic Republic)", "Congo, The Democratic Republic of the", "Zaire"]),
        ("CF", ["Central African Republic"]),
        ("CG", ["Congo", "Congo, Republic of the", "Republic of the Congo", "Congo-Brazzaville"]),
        ("CH", ["Switzerland"]), ("CI", ["Cote d'Ivoire", "Cote d Ivoire", "Côte d'Ivoire", "Ivory Coast"]),
        ("CK", ["Cook Islands"]), ("CL", ["Chile"]), ("CM", ["Cameroon"]),
        ("CN", ["China", "People's Republic of China", "PRC", "China, People's Republic of"]),
        ("CO", ["Colombia"]), ("CR", ["Costa Rica"]), ("CU", ["Cuba"]), ("CV", ["Cabo Verde", "Cape Verde"]),
        ("CW", ["Curacao", "Curaçao"]), ("CX", ["Christmas Island"]), ("CY", ["Cyprus"]),
        ("CZ", ["Czech Republic", "Czechia"]), ("DE", ["Germany"]), ("DJ", ["Djibouti"]), ("DK", ["Denmark"]),
        ("DM", ["Dominica"]), ("DO", ["Dominican Republic"]), ("DZ", ["Algeria"]), ("EC", ["Ecuador"]),
        ("EE", ["Estonia"]), ("EG", ["Egypt"]), ("EH", ["Western Sahara"]), ("ER", ["Eritrea"]), ("ES", ["Spain"]),
        ("ET", ["Ethiopia"]), ("FI", ["Finland"]), ("FJ", ["Fiji"]), ("FK", ["Falkland Islands"]),
        ("FM", ["Micronesia", "Micronesia, Federated States of"]), ("FO", ["Faroe Islands"]), ("FR", ["France"]),
        ("GA", ["Gabon"]),
        ("GB", ["United Kingdom", "United Kingdom of Great Britain and Northern Ireland", "UK", "Great Britain",
                "Britain", "England", "Scotland", "Wales", "Northern Ireland"]),
        ("GD", ["Grenada"]), ("GE", ["Georgia"]), ("GF", ["French Guiana"]), ("GG", ["Guernsey"]), ("GH", ["Ghana"]),
        ("GI", ["Gibraltar"]), ("GL", ["Greenland"]), ("GM", ["Gambia", "Gambia, The", "The Gambia"]),
        ("GN", ["Guinea"]), ("GP", ["Guadeloupe"]), ("GQ", ["Equatorial Guinea"]), ("GR", ["Greece"]),
        ("GS", ["South Georgia and the South Sandwich Islands"]), ("GT", ["Guatemala"]), ("GU", ["Guam"]),
        ("GW", ["Guinea-Bissau"]), ("GY", ["Guyana"]),
        ("HK", ["Hong Kong", "China, Hong Kong Special Administrative Region", "Hong Kong SAR", "Hong Kong, China",
                "Hong Kong Special Administrative Region"]),
        ("HM", ["Heard Island and McDonald Islands"]), ("HN", ["Honduras"]), ("HR", ["Croatia"]), ("HT", ["Haiti"]),
        ("HU", ["Hungary"]), ("ID", ["Indonesia"]), ("IE", ["Ireland"]), ("IL", ["Israel"]),
        ("IM", ["Isle of Man", "Man, Isle of"]), ("IN", ["India"]), ("IO", ["British Indian Ocean Territory"]),
        ("IQ", ["Iraq"]), ("IR", ["Iran", "Iran (Islamic Republic of)", "Islamic Republic of Iran", "Iran, Islamic Republic of"]),
        ("IS", ["Iceland"]), ("IT", ["Italy"]), ("JE", ["Jersey"]), ("JM", ["Jamaica"]), ("JO", ["Jordan"]),
        ("JP", ["Japan"]), ("KE", ["Kenya"]), ("KG", ["Kyrgyzstan", "Kyrgyz Republic", "Kirghizia"]),
        ("KH", ["Cambodia"]), ("KI", ["Kiribati"]), ("KM", ["Comoros"]),
        ("KN", ["Saint Kitts and Nevis", "St. Kitts and Nevis", "St. Kitts & Nevis", "St Kitts and Nevis"]),
        ("KP", ["Korea, North", "North Korea", "Democratic People's Republic of Korea", "DPRK",
                "Korea, Democratic People's Republic of", "Korea (Democratic People's Republic of)"]),
        ("KR", ["Korea, South", "South Korea", "Republic of Korea", "Korea, Republic of", "Korea"]),
        ("KW", ["Kuwait"]), ("KY", ["Cayman Islands"]), ("KZ", ["Kazakhstan", "Republic of Kazakhstan", "Kazakstan"]),
        ("LA", ["Laos", "Lao People's Democratic Republic", "Lao PDR"]), ("LB", ["Lebanon"]),
        ("LC", ["Saint Lucia", "St. Lucia"]), ("LI", ["Liechtenstein"]), ("LK", ["Sri Lanka"]), ("LR", ["Liberia"]),
        ("LS", ["Lesotho"]), ("LT", ["Lithuania"]), ("LU", ["Luxembourg"]), ("LV", ["Latvia"]),
        ("LY", ["Libya", "Libyan Arab Jamahiriya"]), ("MA", ["Morocco"]), ("MC", ["Monaco"]),
        ("MD", ["Moldova", "Republic of Moldova", "Moldova, Republic of"]), ("ME", ["Montenegro"]),
        ("MF", ["Saint Martin"]), ("MG", ["Madagascar"]), ("MH", ["Marshall Islands"]),
        ("MK", ["North Macedonia", "North Macedonia, The Republic of", "Macedonia",
                "The former Yugoslav Republic of Macedonia"]),
        ("ML", ["Mali", "Region: Northern Mali"]), ("MM", ["Burma", "Myanmar"]), ("MN", ["Mongolia"]),
        ("MO", ["Macau", "Macao", "China, Macao Special Administrative Region"]),
        ("MP", ["Northern Mariana Islands"]), ("MQ", ["Martinique"]), ("MR", ["Mauritania"]), ("MS", ["Montserrat"]),
        ("MT", ["Malta"]), ("MU", ["Mauritius"]), ("MV", ["Maldives"]), ("MW", ["Malawi"]), ("MX", ["Mexico"]),
        ("MY", ["Malaysia"]), ("MZ", ["Mozambique"]), ("NA", ["Namibia"]), ("NC", ["New Caledonia"]),
        ("NE", ["Niger"]), ("NF", ["Norfolk Island"]), ("NG", ["Nigeria"]), ("NI", ["Nicaragua"]),
        ("NL", ["Netherlands", "Holland", "The Netherlands"]), ("NO", ["Norway"]), ("NP", ["Nepal"]),
        ("NR", ["Nauru"]), ("NU", ["Niue"]), ("NZ", ["New Zealand"]), ("OM", ["Oman"]), ("PA", ["Panama"]),
        ("PE", ["Peru"]), ("PF", ["French Polynesia"]), ("PG", ["Papua New Guinea"]), ("PH", ["Philippines"]),
        ("PK", ["Pakistan"]), ("PL", ["Poland"]), ("PM", ["Saint Pierre and Miquelon"]), ("PN", ["Pitcairn"]),
        ("PR", ["Puerto Rico"]),
        ("PS", ["Palestine", "State of Palestine", "Palestinian Territories", "Occupied Palestinian Territory",
                "West Bank", "Gaza", "Region: Gaza", "Region: West Bank", "Region: North Gaza", "Region: Northern Gaza",
                "Palestinian"]),
        ("PT", ["Portugal"]), ("PW", ["Palau"]), ("PY", ["Paraguay"]), ("QA", ["Qatar"]),
        ("RE", ["Reunion", "Réunion"]), ("RO", ["Romania"]), ("RS", ["Serbia", "Republic of Serbia"]),
        ("RU", ["Russia", "Russian Federation", "Region: Russia", "Rossiya", "Rossiyskaya Federatsiya"]),
        ("RW", ["Rwanda"]), ("SA", ["Saudi Arabia"]), ("SB", ["Solomon Islands"]), ("SC", ["Seychelles"]),
        ("SD", ["Sudan"]), ("SE", ["Sweden"]), ("SG", ["Singapore"]), ("SH", ["Saint Helena"]), ("SI", ["Slovenia"]),
        ("SJ", ["Svalbard and Jan Mayen"]), ("SK", ["Slovakia", "Slovak Republic"]), ("SL", ["Sierra Leone"]),
        ("SM", ["San Marino"]), ("SN", ["Senegal"]), ("SO", ["Somalia"]), ("SR", ["Suriname"]),
        ("SS", ["South Sudan"]), ("ST", ["Sao Tome and Principe", "São Tomé and Príncipe"]),
        ("SV", ["El Salvador"]), ("SX", ["Sint Maarten"]), ("SY", ["Syria", "Syrian Arab Republic"]),
        ("SZ", ["Eswatini", "Swaziland"]), ("TC", ["Turks and Caicos Islands"]), ("TD", ["Chad"]),
        ("TF", ["French Southern Territories"]), ("TG", ["Togo"]), ("TH", ["Thailand"]),
        ("TJ", ["Tajikistan", "Republic of Tajikistan"]), ("TK", ["Tokelau"]),
        ("TL", ["Timor-Leste", "East Timor"]), ("TM", ["Turkmenistan"]), ("TN", ["Tunisia"]), ("TO", ["Tonga"]),
        ("TR", ["Turkey", "Türkiye", "Turkiye", "Republic of Turkey", "Republic of Türkiye"]),
        ("TT", ["Trinidad and Tobago"]), ("TV", ["Tuvalu"]), ("TW", ["Taiwan", "Taiwan, Province of China", "Chinese Taipei"]),
        ("TZ", ["Tanzania", "United Republic of Tanzania", "Tanzania, United Republic of"]),
        ("UA", ["Ukraine", "Region: Crimea", "Crimea"]), ("UG", ["Uganda"]),
        ("UM", ["United States Minor Outlying Islands"]),
        ("US", ["United States", "United States of America", "USA", "U.S.A.", "US", "U.S."]),
        ("UY", ["Uruguay"]), ("UZ", ["Uzbekistan", "Republic of Uzbekistan"]),
        ("VA", ["Holy See", "Vatican", "Vatican City"]),
        ("VC", ["Saint Vincent and the Grenadines", "St. Vincent and the Grenadines"]),
        ("VE", ["Venezuela", "Venezuela (Bolivarian Republic of)", "Bolivarian Republic of Venezuela"]),
        ("VG", ["British Virgin Islands", "Virgin Islands, British"]), ("VI", ["Virgin Islands, U.S.", "US Virgin Islands"]),
        ("VN", ["Vietnam", "Viet Nam"]), ("VU", ["Vanuatu"]), ("WF", ["Wallis and Futuna"]), ("WS", ["Samoa"]),
        ("XK", ["Kosovo"]), ("YE", ["Yemen"]), ("YT", ["Mayotte"]), ("ZA", ["South Africa"]), ("ZM", ["Zambia"]),
        ("ZW", ["Zimbabwe"]),
        ("AN", ["Netherlands Antilles"]),
    ]

    private static let codes: Set<String> = Set(entries.map { $0.0 })

    private static let table: [String: String] = {
        var t: [String: String] = [:]
        for (code, names) in entries {
            for n in names { t[key(n)] = code }
        }
        return t
    }()
}
