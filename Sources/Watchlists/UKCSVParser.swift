/// Parses the CSV editions of the UK list: the FCDO's `UK_Sanctions_List.csv` and OFSI's `ConList.csv`.
///
/// Both have one row per name (the FCDO's also one per address), grouped into one entry per designation, and
/// a line or two before the header (`Report Date: 08-Oct-2026`; ConList: `Last Updated,03/06/2026`). The header
/// is the first row with a `Name 6` column, within the first lines.
/// - FCDO (`Unique ID` column): `Unique ID` → `sourceId`; `OFSI Group ID`, `UN Reference Number`, `Name 1`…`Name 6`,
///   `Name type`, `Alias strength`, `Name non-latin script`, `Regime Name`, `Designation Type` (Individual, Entity,
///   Ship), `Other Information`, `Address Line 1`…`6`, `Address Postal Code`, `Address Country`, `Nationality(/ies)`,
///   `National Identifier number`, `Passport number`, `Business registration number (s)`, `IMO number` — the fields
///   of the XML edition, mapped as `UKParser` maps them (tested equal).
/// - OFSI ConList (`Group ID` column): `Name 1`…`Name 6`, `Name Non-Latin Script`, `Alias Type`, `Alias Quality`,
///   `Group Type`, `Regime`, `Address 1`…`6`, `Post/Zip Code`, `Country`, `Nationality`, `Passport Number`,
///   `National Identification Number`, `Other Information`, `Group ID`. The entry's id is the UK Sanctions List
///   reference that `Other Information` carries (`(UK Sanctions List Ref):RUS0251`), as in the FCDO editions, else
///   the Group ID. ConList has no registration or IMO number columns.
/// A field holding several values separates them with `|` or numbers them `(1) … (2) …`. A row without its id is
/// skipped with a warning, as is a designation without any name; a header without the columns the entry needs,
/// a row with another number of fields than the header, or a cut-off quoted field refuses the file.
enum UKCSVParser {
    /// The columns of one edition, lower case as `CSVHeader` keeps them.
    private struct Layout {
        var edition: String
        var id: String
        var required: [String]
        var nameType: String, strength: String, nonLatin: String, regime: String, type: String
        var addressLines: [String], postalCode: String, country: String, nationality: String
        var passport: String, nationalId: String, registration: String?, imo: String?
        var groupId: String?, unReference: String?

        static let fcdo = Layout(
            edition: "FCDO UK Sanctions List", id: "unique id",
            required: ["unique id", "name 6", "name type", "designation type", "regime name"],
            nameType: "name type", strength: "alias strength", nonLatin: "name non-latin script", regime: "regime name",
            type: "designation type", addressLines: (1...6).map { "address line \($0)" }, postalCode: "address postal code",
            country: "address country", nationality: "nationality(/ies)", passport: "passport number",
            nationalId: "national identifier number", registration: "business registration number (s)", imo: "imo number",
            groupId: "ofsi group id", unReference: "un reference number")

        static let conList = Layout(
            edition: "OFSI ConList", id: "group id",
            required: ["group id", "name 6", "alias type", "group type", "regime"],
            nameType: "alias type", strength: "alias quality", nonLatin: "name non-latin script", regime: "regime",
            type: "group type", addressLines: (1...6).map { "address \($0)" }, postalCode: "post/zip code",
            country: "country", nationality: "nationality", passport: "passport number",
            nationalId: "national identification number", registration: nil, imo: nil, groupId: "group id", unReference: nil)
    }

    /// Lines before the header that are looked through for it.
    private static let headerSearchLines = 5

    static func parse(_ f: ListFile) throws(ListFileError) -> ParsedList {
        try f.requireUTF8()
        var reader = CSVReader(file: f)
        var header: CSVHeader?
        var headerLine = 1
        while header == nil, let rec = try reader.next() {
            if rec.fields.contains(where: { $0.trimmed.lowercased() == "name 6" }) {
                header = CSVHeader(rec.fields)
                headerLine = rec.line
            } else if rec.line > headerSearchLines {
                break
            }
        }
        guard let header else {
            throw f.error(line: nil, "no header row with a Name 6 column in the first \(headerSearchLines) lines: "
                + "not a UK Sanctions List (FCDO) or ConList (OFSI) CSV")
        }
        let layout = header.column("unique id") != nil ? Layout.fcdo : Layout.conList
        let missing = layout.required.filter { header.column($0) == nil }
        guard missing.isEmpty else {
            throw f.error(line: headerLine, "the header lacks the column(s) \(missing.map { "'\($0)'" }.joined(separator: ", ")) "
                + "of the \(layout.edition) CSV")
        }

        var order: [String] = []
        var rows: [String: [(fields: [String], line: Int)]] = [:]
        var warnings: [String] = []
        while let rec = try reader.next() {
            if rec.truncated { throw f.error(line: rec.line, "truncated: a quoted field is not closed before the end of the file") }
            guard rec.fields.count == header.names.count else {
                throw f.error(line: rec.line, "\(rec.fields.count) fields where the header has \(header.names.count)")
            }
            var id = rec.fields.field(header.column(layout.id))
            if layout.id == "group id", let ref = listReference(rec.fields.field(header.column("other information"))) { id = ref }
            guard !id.isEmpty else {
                warnings.append("\(f.name) line \(rec.line): a row without \(layout.id == "unique id" ? "Unique ID" : "Group ID") was skipped")
                continue
            }
            if rows[id] == nil { order.append(id) }
            rows[id, default: []].append((rec.fields, rec.line))
        }

        var entries: [ListEntry] = []
        for id in order {
            let group = rows[id]!
            if let e = entry(id, group.map(\.fields), header, layout) {
                entries.append(e)
            } else {
                warnings.append("\(f.name) line \(group[0].line): designation \(id) has no name and was skipped")
            }
        }
        return ParsedList(source: .uk, entries: entries, warnings: warnings)
    }

    /// One designation from its rows; nil when no row names it.
    private static func entry(_ id: String, _ rows: [[String]], _ h: CSVHeader, _ l: Layout) -> ListEntry? {
        func values(_ column: String?) -> [String] {
            guard let column, let c = h.column(column) else { return [] }
            var out: [String] = []
            for r in rows { for v in split(r.field(c)) { out.appendUnique(v) } }
            return out
        }
        let nameColumns = (1...6).map { h.column("name \($0)") }
        let written = rows.map { r in
            UKNames.Written(text: UKNames.join(nameColumns.map { r.field($0) }), nameType: r.field(h.column(l.nameType)),
                            strength: r.field(h.column(l.strength)))
        }
        let names = UKNames.assemble(written, nonLatin: values(l.nonLatin))
        guard !names.isEmpty else { return nil }
        var e = ListEntry(sourceId: id, type: UKNames.entryType(rows[0].field(h.column(l.type))), names: names)
        for (column, label) in [(l.groupId, "OFSI Group ID"), (l.unReference, "UN Reference Number")] {
            for v in values(column) { e.identifiers.appendUnique(EntryIdentifier(type: label, value: v)) }
        }
        for r in values(l.regime) { e.programs.appendUnique(r) }
        let addressColumns = (l.addressLines + [l.postalCode, l.country]).map { h.column($0) }
        for r in rows {
            let text = addressColumns.map { r.field($0) }.filter { !$0.isEmpty }.joined(separator: ", ")
            if !text.isEmpty { e.addresses.appendUnique(text) }
        }
        for c in values(l.country) + values(l.nationality) {
            if let code = Countries.codeOrName(c) { e.countries.appendUnique(code) }
        }
        // The labels of the XML edition's elements, in their order, so that both editions agree.
        let columns = [l.imo, l.passport, l.nationalId, l.registration]
        for (column, label) in zip(columns, UKNames.identifierLabels.map(\.1)) {
            for v in values(column) { e.identifiers.appendUnique(EntryIdentifier(type: label, value: v)) }
        }
        let other = values("other information").joined(separator: " ")
        if !other.isEmpty {
            e.remarks = other
            e.bics = BIC.extract(fromText: other)
        }
        return e
    }

    /// The UK Sanctions List reference in ConList's `Other Information`: `(UK Sanctions List Ref):RUS0251.` → RUS0251.
    static func listReference(_ other: String) -> String? {
        guard let r = other.range(ofLiteral: "(UK Sanctions List Ref):") else { return nil }
        let id = other[r.upperBound...].trimmed.prefix { $0.isLetter || $0.isNumber }
        return id.isEmpty ? nil : String(id)
    }

    /// The values of a field that holds several: `a|b`, or `(1) a (2) b`; one value otherwise.
    static func split(_ field: String) -> [String] {
        if field.contains("|") { return field.split(separator: "|").map(\.trimmed).filter { !$0.isEmpty } }
        guard field.hasPrefix("(1)") else { return field.isEmpty ? [] : [field] }
        var out: [String] = []
        var rest = Substring(field)
        var n = 1
        while rest.hasPrefix("(\(n))") {
            rest = rest.dropFirst("(\(n))".count)
            let next = rest.range(ofLiteral: "(\(n + 1))")
            let value = (next.map { rest[..<$0.lowerBound] } ?? rest).trimmed
            if !value.isEmpty { out.append(value) }
            guard let next else { break }
            rest = rest[next.lowerBound...]
            n += 1
        }
        return out
    }
}
