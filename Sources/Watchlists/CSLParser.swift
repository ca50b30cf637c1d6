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
enum CSLParser {
    static func parse(_ f: ListFile) throws(ListFileError) -> ParsedList {
        try f.requireUTF8()
        var reader = CSVReader(file: f)
        guard let headRec = try reader.next() else { throw f.error(line: 1, "empty file") }
        let header = CSVHeader(headRec.fields)
        guard let cId = header.column("_id"), let cName = header.column("name"), header.column("source") != nil else {
            throw f.error(line: headRec.line, "not a Consolidated Screening List CSV: the header needs _id, source and name columns")
        }
        let cSource = header.column("source"), cEntNum = header.column("entity_number"), cType = header.column("type")
        let cPrograms = header.column("programs"), cAddresses = header.column("addresses")
        let cRemarks = header.column("remarks"), cAlt = header.column("alt_names")
        let cCitizen = header.column("citizenships"), cNationalities = header.column("nationalities")
        let cIds = header.column("ids"), cTitle = header.column("title")
        let cCallSign = header.column("call_sign"), cFlag = header.column("vessel_flag")

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
            if name.isEmpty { throw f.error(line: rec.line, "record without a name") }
            var id = r.field(cId)
            if id.isEmpty { id = r.field(cEntNum) }
            if id.isEmpty { throw f.error(line: rec.line, "record without an _id") }
            if !seen.insert(id).inserted {
                // The same OFAC ent_num is listed on two sub-lists (SSI and NS-MBS, SDN and PLC): both records are
                // kept, the second with the sub-list's abbreviation ("17016/SSI") so source ids stay unique.
                let alt = "\(id)/\(abbreviation(r.field(cSource)))"
                guard seen.insert(alt).inserted else { duplicateIds += 1; continue }
                id = alt
            }

            let type: EntryType
            switch r.field(cType).lowercased() {
            case "individual": type = .person
            case "vessel": type = .vessel
            case "aircraft": type = .aircraft
            default: type = .entity  // "Entity", and "" for the BIS/State lists, which name organisations
            }
            var e = ListEntry(sourceId: id, type: type, names: [EntryName(name: name, kind: "primary", strength: .strong)])
            for alt in r.field(cAlt).splitList("; ") {
                let n = EntryName(name: alt, kind: "aka", strength: .strong)
                if !e.names.contains(n) { e.names.append(n) }
            }
            e.programs = r.field(cPrograms).splitList("; ")
            for a in r.field(cAddresses).splitList("; ") {
                e.addresses.appendUnique(a)
                if let comma = a.lastIndex(of: ",") {
                    let tail = a[a.index(after: comma)...].trimmed
                    if let c = Countries.iso2(tail) { e.countries.appendUnique(c) }
                } else if let c = Countries.iso2(a) {
                    e.countries.appendUnique(c)
                }
            }
            for c in r.field(cCitizen).splitList("; ") + r.field(cNationalities).splitList("; ") {
                if let code = Countries.codeOrName(c) { e.countries.appendUnique(code) }
            }
            for item in r.field(cIds).splitList("; ") {
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
            let remarks = r.field(cRemarks)
            if !remarks.isEmpty {
                e.remarks = remarks
                for b in BIC.extract(fromText: remarks) { e.bics.appendUnique(b) }
            }
            let title = r.field(cTitle)
            if !title.isEmpty { e.identifiers.append(EntryIdentifier(type: "Title", value: title)) }
            let callSign = r.field(cCallSign)
            if !callSign.isEmpty { e.identifiers.append(EntryIdentifier(type: "Call Sign", value: callSign)) }
            let flag = r.field(cFlag)
            if !flag.isEmpty { e.identifiers.append(EntryIdentifier(type: "Vessel Flag", value: flag, country: Countries.iso2(flag))) }
            let src = r.field(cSource)
            e.subList = src.isEmpty ? nil : src
            entries.append(e)
        }
        if repeatedHeaders > 0 {
            warnings.insert("\(f.name): \(repeatedHeaders) repeated header row\(repeatedHeaders == 1 ? "" : "s") skipped", at: 0)
        }
        if duplicateIds > 0 { warnings.append("\(f.name): \(duplicateIds) records repeated an _id and were skipped") }
        return ParsedList(source: .csl, entries: entries, warnings: warnings)
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
