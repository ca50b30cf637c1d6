/// Parses the US Consolidated Screening List CSV (trade.gov): SDN, SSI, BIS Entity List, MEU, UVL, DPL, ISN, DTC….
///
/// The header names the columns (29 of them: `_id,source,entity_number,type,programs,name,title,addresses,…,
/// alt_names,citizenships,dates_of_birth,nationalities,places_of_birth,source_information_url,ids`); they are
/// found by name, and `_id`, `source` and `name` must be present. Multi-valued fields are `; `-separated.
/// `ids` items are `Type, Number, Country`; `SWIFT/BIC` items become BICs, the rest identifiers. BICs written
/// in `remarks` are read too. Addresses end in an ISO-2 country code, which goes into `countries`.
///
/// `sourceId` is `_id`; when a record repeats an `_id` (one entity on two sub-lists) it becomes `_id/ABBR`.
/// Tolerated with a warning: a repeated header row, and a last record cut off mid-field (the file ended inside
/// quotes or with too few columns). Any other record with the wrong number of columns refuses the file.
///
/// JSON (a `.json` file): the trade.gov API's answer `{"total": …, "results": [ … ]}` (or a bare array of
/// records) with the same field names, multi-valued fields as arrays, `addresses` as objects (`address`,
/// `city`, `state`, `postal_code`, `country`) and `ids` as objects (`type`, `number`, `country`). Each record
/// goes through the same mapping as a CSV row; a record without a name or an id is skipped with a warning.
enum CSLParser {
    static func parse(_ f: ListFile) throws(ListFileError) -> ParsedList {
        if f.fileExtension == "json" { return try parseJSON(f) }
        try f.requireUTF8()
        var reader = CSVReader(file: f)
        guard let headRec = try reader.next() else { throw f.error(line: 1, "empty file") }
        let header = CSVHeader(headRec.fields)
        guard let cId = header.column("_id"), let cName = header.column("name"), header.column("source") != nil else {
            throw f.error(line: headRec.line, "not a Consolidated Screening List CSV: the header needs _id, source and name columns")
        }
        let cSource = header.column("source"), cEntNum = header.column("entity_number")

        var warnings: [String] = []
        var entries: [ListEntry] = []
        var repeatedHeaders = 0
        var seen = Set<String>()
        var duplicateIds = 0

        while let rec = try reader.next() {
            if header.isRepeat(of: rec.fields) { repeatedHeaders += 1; continue }
            if rec.fields.count != header.names.count || rec.truncated {
                // Only the last record may be cut off.
                let isLast = rec.truncated ? true : (try reader.next()) == nil
                if isLast {
                    warnings.append("\(f.name):\(rec.line): the last record is cut off (\(rec.fields.count) of \(header.names.count) columns) and was skipped")
                    break
                }
                throw f.error(line: rec.line, "expected \(header.names.count) columns, found \(rec.fields.count)")
            }
            let r = rec.fields
            let name = r.field(cName)
            var id = r.field(cId)
            if id.isEmpty { id = r.field(cEntNum) }
            // One bad record does not refuse the list: it is skipped and named in a warning kept with the version.
            if name.isEmpty || id.isEmpty {
                warnings.append("\(f.name):\(rec.line): a record without \(name.isEmpty ? "a name" : "an _id") was skipped")
                continue
            }
            if !seen.insert(id).inserted {
                // The same OFAC ent_num is listed on two sub-lists (SSI and NS-MBS, SDN and PLC): both records are
                // kept, the second with the sub-list's abbreviation ("17016/SSI") so source ids stay unique.
                let alt = "\(id)/\(abbreviation(r.field(cSource)))"
                guard seen.insert(alt).inserted else { duplicateIds += 1; continue }
                id = alt
            }

            entries.append(entry(id: id, name: name) { r.field(header.column($0)) })
        }
        if repeatedHeaders > 0 {
            warnings.insert("\(f.name): \(repeatedHeaders) repeated header row\(repeatedHeaders == 1 ? "" : "s") skipped", at: 0)
        }
        if duplicateIds > 0 { warnings.append("\(f.name): \(duplicateIds) records repeated an _id and were skipped") }
        return ParsedList(source: .csl, entries: entries, warnings: warnings)
    }

    static func parseJSON(_ f: ListFile) throws(ListFileError) -> ParsedList {
        try f.requireUTF8()
        let root: JSONValue
        do { root = try JSONValue.parse(f.bytes[f.contentStart...]) } catch {
            throw f.error(line: nil, "not JSON: \(error.message)")
        }
        let records: [JSONValue]
        if case .array(let a) = root {
            records = a
        } else if case .array(let a)? = root["results"] {
            records = a
        } else {
            throw f.error(line: nil, "not a Consolidated Screening List JSON: expected {\"results\": [...]} or an array of records")
        }
        var entries: [ListEntry] = []
        var warnings: [String] = []
        var seen = Set<String>()
        for (k, r) in records.enumerated() {
            func text(_ v: JSONValue?) -> String {
                switch v {
                case .string(let s)?: return s.trimmed
                case .number(let n)?: return n == n.rounded() ? String(Int(n)) : String(n)
                default: return ""
                }
            }
            func get(_ key: String) -> String {
                guard case .array(let items)? = r[key] else { return text(r[key]) }
                let parts: [String] = items.map { item in
                    switch key {
                    case "addresses":
                        return ["address", "city", "state", "postal_code", "country"].map { text(item[$0]) }.filter { !$0.isEmpty }
                            .joined(separator: ", ")
                    case "ids":
                        return ["type", "number", "country"].map { text(item[$0]) }.filter { !$0.isEmpty }.joined(separator: ", ")
                    default:
                        return text(item)
                    }
                }
                return parts.filter { !$0.isEmpty }.joined(separator: "; ")
            }
            let name = get("name")
            var id = [get("id"), get("_id"), get("entity_number")].first { !$0.isEmpty } ?? ""
            guard !name.isEmpty, !id.isEmpty else {
                warnings.append("\(f.name): record \(k + 1) has no \(name.isEmpty ? "name" : "id") and was skipped")
                continue
            }
            if !seen.insert(id).inserted {
                let alt = "\(id)/\(abbreviation(get("source")))"
                guard seen.insert(alt).inserted else {
                    warnings.append("\(f.name): record \(k + 1) repeats id \(id) and was skipped")
                    continue
                }
                id = alt
            }
            entries.append(entry(id: id, name: name, get))
        }
        return ParsedList(source: .csl, entries: entries, warnings: warnings)
    }

    /// One record, whichever file it came from: `get` gives a column (CSV) or a field (JSON) as CSV writes it,
    /// multi-valued fields `; `-separated.
    static func entry(id: String, name: String, _ get: (String) -> String) -> ListEntry {
        let type: EntryType
        switch get("type").lowercased() {
        case "individual": type = .person
        case "vessel": type = .vessel
        case "aircraft": type = .aircraft
        default: type = .entity  // "Entity", and "" for the BIS/State lists, which name organisations
        }
        var e = ListEntry(sourceId: id, type: type, names: [EntryName(name: name, kind: "primary", strength: .strong)])
        for alt in get("alt_names").splitList("; ") {
            let n = EntryName(name: alt, kind: "aka", strength: .strong)
            if !e.names.contains(n) { e.names.append(n) }
        }
        e.programs = get("programs").splitList("; ")
        for a in get("addresses").splitList("; ") {
            e.addresses.appendUnique(a)
            if let comma = a.lastIndex(of: ",") {
                let tail = a[a.index(after: comma)...].trimmed
                if let c = Countries.iso2(tail) { e.countries.appendUnique(c) }
            } else if let c = Countries.iso2(a) {
                e.countries.appendUnique(c)
            }
        }
        for c in get("citizenships").splitList("; ") + get("nationalities").splitList("; ") {
            if let code = Countries.codeOrName(c) { e.countries.appendUnique(code) }
        }
        for item in get("ids").splitList("; ") {
            let parts = item.splitList(", ")
            guard parts.count >= 2 else { continue }
            let idType = parts[0]
            var rest = Array(parts.dropFirst())
            var country: String?
            if rest.count >= 2, let code = Countries.iso2(rest.last!), rest.last!.utf8.count == 2 {
                country = code
                rest.removeLast()
            }
            let value = rest.joined(separator: ", ")
            if idType.uppercased().contains("SWIFT") || idType.uppercased() == "BIC" {
                if let bic = BIC.normalize(value) { e.bics.appendUnique(bic); continue }
            }
            e.identifiers.appendUnique(EntryIdentifier(type: idType, value: value, country: country))
        }
        let remarks = get("remarks")
        if !remarks.isEmpty {
            e.remarks = remarks
            for b in BIC.extract(fromText: remarks) { e.bics.appendUnique(b) }
        }
        let title = get("title")
        if !title.isEmpty { e.identifiers.append(EntryIdentifier(type: "Title", value: title)) }
        let callSign = get("call_sign")
        if !callSign.isEmpty { e.identifiers.append(EntryIdentifier(type: "Call Sign", value: callSign)) }
        let flag = get("vessel_flag")
        if !flag.isEmpty { e.identifiers.append(EntryIdentifier(type: "Vessel Flag", value: flag, country: Countries.iso2(flag))) }
        let src = get("source")
        e.subList = src.isEmpty ? nil : src
        return e
    }

    /// "Sectoral Sanctions Identifications List (SSI) - Treasury Department" → "SSI".
    static func abbreviation(_ source: String) -> String {
        if let open = source.firstIndex(of: "("), let close = source[open...].firstIndex(of: ")") {
            let inside = source[source.index(after: open)..<close].trimmed
            if !inside.isEmpty { return inside }
        }
        return source.isEmpty ? "dup" : source
    }
}
