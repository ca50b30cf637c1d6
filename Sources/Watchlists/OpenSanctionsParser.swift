/// Parses OpenSanctions data: FollowTheMoney entities as JSON lines, or (for a `.csv` file) the
/// OpenSanctions "consolidated" CSV layout, as in `eu/opensanctions_oj/32014R0269.csv`.
///
/// JSON lines (`entities.ftm.json`, also the `nested` export): one object a line with `id`, `schema` and
/// `properties` (each a list of strings, or of nested entity objects in the nested export). Subjects are kept:
/// `Person` → person; `Company`, `Organization`, `LegalEntity`, `PublicBody` → entity; `Vessel` → vessel;
/// `Airplane` → aircraft; `Asset` → other. Relation and detail schemas (`Sanction`, `Address`, `Ownership`,
/// `Identification`, …) are skipped and counted in a warning, and so are entities with `"target": false` (in
/// the data only as context: relatives, associates). Address entities are read only to resolve the
/// `addressEntity` ids of the flat export. Properties used: `caption` (the primary name; else the first
/// `name`), `name` (aka), `alias` (aka), `weakAlias` (weak), `previousName` (fka), `swiftBic`, `country`/`nationality`/
/// `citizenship`/`jurisdiction`/`mainCountry` (ISO codes, upper-cased), `program`/`programId`, `address` and
/// nested `addressEntity`, `notes`, and identifier properties (`registrationNumber`, `taxNumber`, `innCode`,
/// `ogrnCode`, `leiCode`, `imoNumber`, `passportNumber`, `idNumber`, …). `topics` `fin.bank` keeps the type
/// entity (the BICs carry the bank). Blank lines are skipped; a line that is not a JSON object refuses the file.
///
/// CSV: header with `schema`, `name`, `alias` (`; `-separated), `weakAlias`, `previousName`, `country`,
/// `nationality`, `jurisdiction`, `swiftBic`, `address` (`; `-separated), identifier columns as above,
/// `programKey`; the simple export's plural columns `aliases`, `countries`, `addresses`, `identifiers` (`;`-separated);
/// `sourceId` is `celex-annex-recordId` (e.g. `32014R0833-IV-12`; the name when `recordId` is
/// empty), or `id` without `celex`.
enum OpenSanctionsParser {
    static func parse(_ f: ListFile) throws(ListFileError) -> ParsedList {
        if f.fileExtension == "csv" { return try parseCSV(f) }
        return try parseJSONLines(f)
    }

    private static let subjectTypes: [String: EntryType] = [
        "Person": .person, "Company": .entity, "Organization": .entity, "LegalEntity": .entity,
        "PublicBody": .entity, "Vessel": .vessel, "Airplane": .aircraft, "Asset": .other,
    ]

    private static let identifierProperties = [
        "registrationNumber", "taxNumber", "innCode", "ogrnCode", "kppCode", "okpoCode", "leiCode", "vatCode",
        "dunsCode", "imoNumber", "mmsi", "callSign", "passportNumber", "idNumber", "isin", "uscCode",
    ]

    private static let countryProperties = ["country", "nationality", "citizenship", "jurisdiction", "mainCountry"]

    // MARK: JSON lines

    private static func parseJSONLines(_ f: ListFile) throws(ListFileError) -> ParsedList {
        try f.requireUTF8()
        let b = f.bytes
        var entries: [ListEntry] = []
        var skipped: [String: Int] = [:]
        var nonTargets = 0
        var nameless = 0
        var seen = Set<String>()
        var duplicates = 0
        var line = 0
        var start = f.contentStart
        // Address entities by id (the flat export refers to them from `addressEntity`), and each entry's
        // references, resolved once the whole file is read.
        var addressText: [String: String] = [:]
        var addressRefs: [(entry: Int, id: String)] = []
        while start < b.count {
            line += 1
            var end = start
            while end < b.count, b[end] != 0x0A { end += 1 }
            let slice = b[start..<end]
            start = end + 1
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let v: JSONValue
            do { v = try JSONValue.parse(slice) } catch {
                throw f.error(line: line, "not a JSON object: \(error.message)")
            }
            guard case .object = v else { throw f.error(line: line, "expected one JSON object per line") }
            guard let schema = v["schema"]?.string, let id = v["id"]?.string, !id.isEmpty else {
                throw f.error(line: line, "not a FollowTheMoney entity: needs \"id\" and \"schema\"")
            }
            let props = v["properties"] ?? .object([:])
            if schema == "Address" {
                if let text = props["full"]?.strings.first ?? v["caption"]?.string { addressText[id] = text.trimmed }
            }
            guard let type = subjectTypes[schema] else { skipped[schema, default: 0] += 1; continue }
            // FollowTheMoney's `target`: false marks an entity that is in the data only as context (a relative, an
            // associate, a position holder's family), not as a sanctioned or listed party itself.
            if case .bool(false)? = v["target"] { nonTargets += 1; continue }
            func values(_ key: String) -> [String] {
                guard case .array(let a)? = props[key] else { return props[key]?.strings ?? [] }
                return a.compactMap { item -> String? in
                    if let s = item.string { return s.trimmed }
                    // Nested entity: its caption, else its full/name property.
                    if let c = item["caption"]?.string { return c.trimmed }
                    let p = item["properties"]
                    return (p?["full"]?.strings.first ?? p?["name"]?.strings.first)?.trimmed
                }.filter { !$0.isEmpty }
            }
            let allNames = values("name")
            // The caption is the entity's display name as OpenSanctions chose it among the names.
            let caption = v["caption"]?.string?.trimmed ?? ""
            guard let primary = caption.isEmpty ? allNames.first : caption else {
                nameless += 1
                continue
            }
            if !seen.insert(id).inserted { duplicates += 1; continue }
            var e = ListEntry(sourceId: id, type: type, names: [EntryName(name: primary, kind: "primary", strength: .strong)])
            addNames(&e, allNames + values("alias"), kind: "aka", strength: .strong)
            addNames(&e, values("previousName"), kind: "fka", strength: .strong)
            addNames(&e, values("weakAlias"), kind: "weak_aka", strength: .weak)
            for s in values("swiftBic") { if let bic = BIC.normalize(s) { e.bics.appendUnique(bic) } }
            for k in countryProperties { for c in values(k) { addCountry(&e, c) } }
            for k in ["program", "programId"] { for p in values(k) { e.programs.appendUnique(p) } }
            // Nested export: programs sit on the Sanction entities under "sanctions".
            if case .array(let sanctions)? = props["sanctions"] {
                for s in sanctions { for p in s["properties"]?["program"]?.strings ?? [] { e.programs.appendUnique(p) } }
            }
            for a in values("address") { e.addresses.appendUnique(a) }
            // `addressEntity`: nested Address objects (their caption), or ids of Address entities in the file.
            if case .array(let refs)? = props["addressEntity"] {
                for r in refs {
                    if let ref = r.string { addressRefs.append((entries.count, ref.trimmed)) } else if let text = r["caption"]?.string {
                        e.addresses.appendUnique(text.trimmed)
                    }
                }
            }
            for k in identifierProperties {
                for value in values(k) { e.identifiers.appendUnique(EntryIdentifier(type: k, value: value)) }
            }
            let notes = values("notes").joined(separator: " ")
            if !notes.isEmpty {
                e.remarks = notes
                for bic in BIC.extract(fromText: notes) { e.bics.appendUnique(bic) }
            }
            if let ds = v["datasets"]?.strings, !ds.isEmpty { e.subList = ds.joined(separator: ", ") }
            entries.append(e)
        }
        var unresolved = 0
        for (i, ref) in addressRefs {
            if let text = addressText[ref], !text.isEmpty { entries[i].addresses.appendUnique(text) } else { unresolved += 1 }
        }
        var warnings: [String] = []
        if !skipped.isEmpty {
            let detail = skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            warnings.append("\(f.name): \(skipped.values.reduce(0, +)) non-subject entities skipped (\(detail))")
        }
        if nameless > 0 { warnings.append("\(f.name): \(nameless) entities without any name skipped") }
        if nonTargets > 0 { warnings.append("\(f.name): \(nonTargets) entities that are not targets (\"target\": false) skipped") }
        if unresolved > 0 { warnings.append("\(f.name): \(unresolved) address references point at no Address entity in the file") }
        if duplicates > 0 { warnings.append("\(f.name): \(duplicates) entities repeated an id and were skipped") }
        return ParsedList(source: .openSanctions, entries: entries, warnings: warnings)
    }

    // MARK: CSV

    private static func parseCSV(_ f: ListFile) throws(ListFileError) -> ParsedList {
        try f.requireUTF8()
        var reader = CSVReader(file: f)
        guard let headRec = try reader.next() else { throw f.error(line: 1, "empty file") }
        let h = CSVHeader(headRec.fields)
        guard let cName = h.column("name"), let cSchema = h.column("schema") else {
            throw f.error(line: headRec.line, "an OpenSanctions CSV needs schema and name columns in its header")
        }
        let cCelex = h.column("celex"), cRecord = h.column(anyOf: ["recordid", "id"])
        var entries: [ListEntry] = []
        var skipped = 0
        var seen = Set<String>()
        while let rec = try reader.next() {
            if rec.truncated { throw f.error(line: rec.line, "the file ends inside a quoted field (truncated?)") }
            let r = rec.fields
            guard r.count == h.names.count else {
                throw f.error(line: rec.line, "expected \(h.names.count) columns, found \(r.count)")
            }
            let name = r.field(cName)
            guard let type = subjectTypes[r.field(cSchema)], !name.isEmpty else { skipped += 1; continue }
            // recordId restarts in each annex section and is empty in some annexes (then the name stands in),
            // so the id is celex-annex-recordId (or celex-annex-name); a repeat gets "#2", "#3"….
            var id = r.field(cRecord)
            if id.isEmpty { id = name }
            let celex = r.field(cCelex)
            if !celex.isEmpty { id = [celex, r.field(h.column("annex")), id].filter { !$0.isEmpty }.joined(separator: "-") }
            if !seen.insert(id).inserted {
                var k = 2
                while !seen.insert("\(id)#\(k)").inserted { k += 1 }
                id = "\(id)#\(k)"
            }
            func col(_ n: String) -> String { r.field(h.column(n)) }
            var e = ListEntry(sourceId: id, type: type, names: [EntryName(name: name, kind: "primary", strength: .strong)])
            addNames(&e, col("alias").splitList("; "), kind: "aka", strength: .strong)
            // targets.simple.csv: plural columns separated by ";".
            addNames(&e, Self.plural(col("aliases")), kind: "aka", strength: .strong)
            for c in Self.plural(col("countries")) { addCountry(&e, c) }
            for a in Self.plural(col("addresses")) { e.addresses.appendUnique(a) }
            for i in Self.plural(col("identifiers")) { e.identifiers.appendUnique(EntryIdentifier(type: "OpenSanctions identifier", value: i)) }
            addNames(&e, col("previousname").splitList("; "), kind: "fka", strength: .strong)
            addNames(&e, col("weakalias").splitList("; "), kind: "weak_aka", strength: .weak)
            for s in col("swiftbic").splitList("; ") { if let bic = BIC.normalize(s) { e.bics.appendUnique(bic) } }
            for k in ["country", "nationality", "citizenship", "jurisdiction"] {
                for c in col(k).splitList("; ").flatMap({ $0.splitList(", ") }) { addCountry(&e, c) }
            }
            for a in col("address").splitList("; ") {
                e.addresses.appendUnique(a)
                if let comma = a.lastIndex(of: ","), let c = Countries.iso2(String(a[a.index(after: comma)...])) {
                    e.countries.appendUnique(c)
                }
            }
            for k in identifierProperties {
                for value in col(k.lowercased()).splitList("; ") { e.identifiers.appendUnique(EntryIdentifier(type: k, value: value)) }
            }
            let program = col("programkey")
            if !program.isEmpty { e.programs.append(program) }
            let annex = col("annex")
            if !celex.isEmpty { e.subList = annex.isEmpty ? celex : "\(celex) annex \(annex)" }
            let notes = [col("reason"), col("notes")].filter { !$0.isEmpty }.joined(separator: " ")
            if !notes.isEmpty {
                e.remarks = notes
                for bic in BIC.extract(fromText: notes) { e.bics.appendUnique(bic) }
            }
            entries.append(e)
        }
        var warnings: [String] = []
        if skipped > 0 { warnings.append("\(f.name): \(skipped) rows without a subject schema or a name skipped") }
        return ParsedList(source: .openSanctions, entries: entries, warnings: warnings)
    }

    /// A `;`-separated cell of the simple CSV export, trimmed, empties dropped.
    static func plural(_ cell: String) -> [String] {
        cell.split(separator: ";").map { String($0).trimmed }.filter { !$0.isEmpty }
    }

    private static func addNames(_ e: inout ListEntry, _ names: some Sequence<String>, kind: String, strength: AliasStrength) {
        for n in names where !n.isEmpty && !e.names.contains(where: { $0.name == n }) {
            e.names.append(EntryName(name: n, kind: kind, strength: strength))
        }
    }

    private static func addCountry(_ e: inout ListEntry, _ raw: String) {
        let t = raw.trimmed
        if t.isEmpty { return }
        if let c = Countries.iso2(t) ?? Countries.demonym(t) { e.countries.appendUnique(c) } else { e.countries.appendUnique(t) }
    }
}
