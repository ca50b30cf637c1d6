/// Parses a `banks` list: institutions to hold for (e.g. Russian lenders), as CSV with a header row.
///
/// The header must name a `bic` column (also accepted: `swift`, `swift_bic`, `bic_code`) and a `name` column;
/// other columns are ignored except these optional ones:
/// - `country` / `countries` / `bic_country`: ISO codes or names, `;`- or `|`-separated → `countries`;
/// - `is_russia`: `yes`/`true`/`1` adds `RU` to `countries` (first), as in `russia/russian_bank_bics.csv`,
///   where IIBMHU22 has a Hungarian BIC but is flagged Russian;
/// - `programs`: `|`- or `;`-separated → `programs`.
/// Each entry has type `.bank`, `sourceId` = the BIC, the BIC in `bics`, and the name as primary name.
/// A BIC listed twice under different names becomes one entry with the other names as `aka`.
/// An invalid BIC refuses the file (a typo must not silently drop a bank from the hold list).
enum BanksParser {
    static func parse(_ f: ListFile) throws(ListFileError) -> ParsedList {
        try f.requireUTF8()
        var reader = CSVReader(file: f)
        guard let headRec = try reader.next() else { throw f.error(line: 1, "empty file") }
        let header = CSVHeader(headRec.fields)
        guard let cBic = header.column(anyOf: ["bic", "swift", "swift_bic", "swiftbic", "bic_code"]),
              let cName = header.column(anyOf: ["name", "bank_name", "institution"]) else {
            throw f.error(line: headRec.line, "a banks file needs a header row naming at least the columns bic and name (found: \(header.names.joined(separator: ",")))")
        }
        let cCountry = header.column(anyOf: ["country", "countries", "bic_country"])
        let cRussia = header.column("is_russia")
        let cPrograms = header.column("programs")

        var entries: [ListEntry] = []
        var index: [String: Int] = [:]
        while let rec = try reader.next() {
            if rec.truncated { throw f.error(line: rec.line, "the file ends inside a quoted field (truncated?)") }
            let r = rec.fields
            if r.allSatisfy({ $0.trimmed.isEmpty }) { continue }
            guard r.count == header.names.count else {
                throw f.error(line: rec.line, "expected \(header.names.count) columns, found \(r.count)")
            }
            let raw = r.field(cBic)
            guard let bic = BIC.normalize(raw) else {
                throw f.error(line: rec.line, "\"\(raw)\" is not a BIC (8 or 11 characters: 4 letters, 2-letter country, 2 and optionally 3 letters/digits)")
            }
            let name = r.field(cName)
            var countries: [String] = []
            if ["yes", "true", "1", "y"].contains(r.field(cRussia).lowercased()) { countries.append("RU") }
            for c in r.field(cCountry).split(whereSeparator: { $0 == ";" || $0 == "|" }) {
                if let code = Countries.codeOrName(String(c)) { countries.appendUnique(code) }
            }
            let programs = r.field(cPrograms).split(whereSeparator: { $0 == ";" || $0 == "|" }).map { $0.trimmed }.filter { !$0.isEmpty }

            if let idx = index[bic] {
                if !name.isEmpty, !entries[idx].names.contains(where: { $0.name == name }) {
                    entries[idx].names.append(EntryName(name: name, kind: "aka", strength: .strong))
                }
                for c in countries { entries[idx].countries.appendUnique(c) }
                for p in programs { entries[idx].programs.appendUnique(p) }
                continue
            }
            var e = ListEntry(sourceId: bic, type: .bank,
                              names: name.isEmpty ? [] : [EntryName(name: name, kind: "primary", strength: .strong)],
                              bics: [bic])
            e.countries = countries
            e.programs = programs
            index[bic] = entries.count
            entries.append(e)
        }
        return ParsedList(source: .banks, entries: entries, warnings: [])
    }
}
