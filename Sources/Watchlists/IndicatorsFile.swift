/// The `indicators` file format: end-use keywords, exclusion phrases, HS codes and country sets in one CSV.
///
/// ```
/// # Lines starting with '#' are comments. UTF-8. The header row is required.
/// kind,value,attribute,description
/// keyword,INTEGRATED CIRCUITS,en,
/// keyword,МИКРОСХЕМЫ,ru,
/// keyword,MIKROSKHEMY,ru,transliterated
/// exclude,FOOD PROCESSORS,en,a keyword hit inside this phrase does not count
/// hs_code,8542.31,1,Electronic integrated circuits: Processors and controllers…
/// country,RU,risk,
/// country,Kazakhstan,transshipment,
/// country,,transshipment,an empty value declares the set (so it can be empty)
/// ```
/// - `keyword`: `value` is the phrase as written; `attribute` is its language (`en`, `tr`, `ru`, … ISO 639-1),
///   required. `description` is free text (ignored).
/// - `exclude`: a benign phrase containing a keyword (`FOOD PROCESSORS`); `attribute` is the language.
/// - `hs_code`: `value` is an HS6 code with or without separators (`8542.31`, `8542 31`, `854231`);
///   `attribute` is the tier (CHPL `1`, `2`, `3.A`, …; any label), required; `description` is kept.
/// - `country`: `value` is an ISO 3166 alpha-2 code or a country name the parser knows; `attribute` is the set
///   name (`risk`, `transshipment`, or any `[a-z0-9_]` name). An empty value only declares the set.
/// An import replaces the whole indicator set: what is not in the file is not in force.
/// Errors (unknown kind, missing attribute, bad code or country) name the file and line.
public enum IndicatorsFile {
    /// The header row every indicators file starts with (after comments).
    public static let header = "kind,value,attribute,description"

    /// Parses an indicators file.
    public static func parse(_ f: ListFile) throws(ListFileError) -> IndicatorSet {
        try f.requireUTF8()
        var set = IndicatorSet()
        var reader = CSVReader(file: f, comments: true)
        var sawHeader = false
        while let rec = try reader.next() {
            if rec.truncated { throw f.error(line: rec.line, "the file ends inside a quoted field (truncated?)") }
            let r = rec.fields
            if r.allSatisfy({ $0.trimmed.isEmpty }) { continue }
            if !sawHeader {
                let h = r.map { $0.trimmed.lowercased() }
                guard h.count >= 3, h[0] == "kind", h[1] == "value", h[2] == "attribute" else {
                    throw f.error(line: rec.line, "an indicators file starts with the header \(header)")
                }
                sawHeader = true
                continue
            }
            guard r.count >= 3, r.count <= 4 else {
                throw f.error(line: rec.line, "expected 3 or 4 columns (\(header)), found \(r.count)")
            }
            let kind = r.field(0).lowercased()
            let value = r.field(1).collapsedWhitespace
            let attribute = r.field(2)
            let description = r.field(3)
            switch kind {
            case "keyword", "exclude":
                guard !value.isEmpty else { throw f.error(line: rec.line, "\(kind) without a value") }
                let lang = attribute.lowercased()
                guard !lang.isEmpty, lang.allSatisfy({ $0.isASCII && $0.isLetter }), lang.count <= 3 else {
                    throw f.error(line: rec.line, "\(kind) \"\(value)\" needs a language code as attribute (en, tr, ru, …)")
                }
                let k = IndicatorSet.Keyword(text: value, language: lang)
                if kind == "keyword" { set.keywords.appendUnique(k) } else { set.exclusions.appendUnique(k) }
            case "hs_code":
                guard let code = normalizeHS(value) else {
                    throw f.error(line: rec.line, "\"\(value)\" is not a six-digit HS code (e.g. 8542.31)")
                }
                guard !attribute.isEmpty else { throw f.error(line: rec.line, "hs_code \(value) needs a tier as attribute") }
                if set.hsCodes.contains(where: { $0.code == code }) {
                    throw f.error(line: rec.line, "hs_code \(code) is listed twice")
                }
                set.hsCodes.append(IndicatorSet.HSCode(code: code, tier: attribute, description: description))
            case "country":
                let name = attribute.lowercased()
                guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    throw f.error(line: rec.line, "country \(value) needs a set name as attribute (risk, transshipment, …)")
                }
                var members = set.countrySets[name] ?? []
                if !value.isEmpty {
                    guard let code = Countries.iso2(value) else {
                        throw f.error(line: rec.line, "unknown country \"\(value)\" (use an ISO 3166 alpha-2 code)")
                    }
                    members.appendUnique(code)
                }
                set.countrySets[name] = members
            default:
                throw f.error(line: rec.line, "unknown kind \"\(kind)\" (keyword, exclude, hs_code or country)")
            }
        }
        guard sawHeader else { throw f.error(line: 1, "empty indicators file (the header \(header) is required)") }
        return set
    }

    /// Parses indicators from text (the form the lead stores in the database).
    public static func parse(text: String, name: String = "indicators") throws(ListFileError) -> IndicatorSet {
        try parse(ListFile(name: name, text: text))
    }

    /// Renders a set in the indicators file format; `parse(text: render(s)) == s` for any set the parser accepts.
    public static func render(_ set: IndicatorSet) -> String {
        var out = "# Chokepoint indicators: end-use keywords, exclusions, HS codes, country sets.\n\(header)\n"
        func row(_ fields: [String]) {
            out += fields.map(quote).joined(separator: ",") + "\n"
        }
        for k in set.keywords { row(["keyword", k.text, k.language, ""]) }
        for k in set.exclusions { row(["exclude", k.text, k.language, ""]) }
        for h in set.hsCodes { row(["hs_code", h.code, h.tier, h.description]) }
        for name in set.countrySets.keys.sorted() {
            let members = set.countrySets[name]!
            if members.isEmpty { row(["country", "", name, ""]) }
            for c in members { row(["country", c, name, ""]) }
        }
        return out
    }

    /// "8542.31", "8542 31", "854231" → "854231"; nil unless exactly six digits remain.
    public static func normalizeHS(_ s: String) -> String? {
        var digits = ""
        for ch in s {
            if ch.isASCII && ch.isNumber { digits.append(ch) }
            else if ch == "." || ch == " " { continue }
            else { return nil }
        }
        return digits.count == 6 ? digits : nil
    }

    private static func quote(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || s.hasPrefix("#") || s.hasPrefix(" ") || s.hasSuffix(" ") {
            return "\"" + s.replacingOccurrencesOfQuote() + "\""
        }
        return s
    }
}

extension String {
    fileprivate func replacingOccurrencesOfQuote() -> String {
        var out = ""
        for ch in self {
            if ch == "\"" { out += "\"\"" } else { out.append(ch) }
        }
        return out
    }
}
