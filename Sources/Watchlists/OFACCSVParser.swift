/// Parses OFAC's legacy CSV set: `sdn.csv` with `alt.csv`, `add.csv`, `sdn_comments.csv`, or the non-SDN
/// consolidated set `cons_prim.csv` with `cons_alt.csv`, `cons_add.csv`, `cons_comments.csv`.
///
/// Files are recognised by name (case-insensitive; a directory part is ignored). The format: no header,
/// CRLF, quoted fields, `-0- ` as null, a final line holding only 0x1A. Rows link by `ent_num`.
/// - `remarks` is cut at 1000 characters; the rest is in the comments file under the same `ent_num`
///   and is concatenated without a separator (the cut is mid-word).
/// - Programs are joined by `] [`.
/// - Individuals keep their name as written (`LAST, First`): the matcher handles the order.
/// - Weak aliases, SWIFT/BIC codes, identifiers and nationalities are read out of the remarks.
/// - `sdn_type`: `individual` → person, `vessel`, `aircraft`, null → entity. A bank stays an entity but
///   carries its BICs.
/// - alt/add/comment rows whose `ent_num` has no primary row are skipped and counted in a warning.
/// A row with the wrong number of columns, or a non-numeric `ent_num`, refuses the file.
enum OFACCSVParser {
    enum Role: String { case primary, alt, add, comments }

    static func role(of file: ListFile) -> Role? {
        switch file.baseName {
        case "sdn.csv", "cons_prim.csv": return .primary
        case "alt.csv", "cons_alt.csv": return .alt
        case "add.csv", "cons_add.csv": return .add
        case "sdn_comments.csv", "cons_comments.csv": return .comments
        default: return nil
        }
    }

    private static let columns: [Role: Int] = [.primary: 12, .alt: 5, .add: 6, .comments: 2]

    static func parse(_ files: [ListFile]) throws(ListFileError) -> ParsedList {
        var byRole: [Role: [ListFile]] = [:]
        for f in files {
            guard let r = role(of: f) else {
                throw f.error(line: nil, "not an OFAC file name: expected sdn.csv, alt.csv, add.csv, sdn_comments.csv "
                    + "(or cons_prim.csv, cons_alt.csv, cons_add.csv, cons_comments.csv), or an sdn.xml")
            }
            byRole[r, default: []].append(f)
        }
        guard let primaries = byRole[.primary], !primaries.isEmpty else {
            throw files[0].error(line: nil, "an ofac-sdn import needs sdn.csv (or cons_prim.csv); alt/add/comments files alone point at nothing")
        }

        var warnings: [String] = []
        var entries: [ListEntry] = []
        var indexByEnt: [Int: Int] = [:]
        var remarksByEnt: [Int: String] = [:]
        var duplicates = 0

        for f in primaries {
            try f.requireUTF8()
            let consolidated = f.baseName.hasPrefix("cons_")
            var reader = CSVReader(file: f, ofacNulls: true)
            while let rec = try reader.next() {
                let fields = try checked(rec, f, .primary)
                let ent = try entNum(fields[0], f, rec.line)
                if indexByEnt[ent] != nil { duplicates += 1; continue }
                let name = fields.field(1)
                guard !name.isEmpty else {
                    warnings.append("\(f.name):\(rec.line): entry \(ent) has no name and was skipped")
                    continue
                }
                let type: EntryType
                switch fields.field(2).lowercased() {
                case "individual": type = .person
                case "vessel": type = .vessel
                case "aircraft": type = .aircraft
                case "": type = .entity
                default: type = .other
                }
                var e = ListEntry(sourceId: String(ent), type: type,
                                  names: [EntryName(name: name, kind: "primary", strength: .strong)])
                e.programs = programs(fields.field(3))
                let callSign = fields.field(5)
                if !callSign.isEmpty { e.identifiers.append(EntryIdentifier(type: "Call Sign", value: callSign)) }
                let flag = fields.field(9)
                if !flag.isEmpty {
                    e.identifiers.append(EntryIdentifier(type: "Vessel Flag", value: flag, country: Countries.iso2(flag)))
                }
                let owner = fields.field(10)
                if !owner.isEmpty { e.identifiers.append(EntryIdentifier(type: "Vessel Owner", value: owner)) }
                if consolidated { e.subList = "OFAC Consolidated (non-SDN)" }
                // Untrimmed: the 1000-character cut may fall just after a space that the continuation needs.
                remarksByEnt[ent] = fields[11]
                indexByEnt[ent] = entries.count
                entries.append(e)
            }
        }
        if duplicates > 0 { warnings.append("\(duplicates) primary rows repeated an ent_num and were skipped") }

        // Comments first: remarks must be complete before they are mined.
        for f in byRole[.comments] ?? [] {
            try f.requireUTF8()
            var orphans: [Int] = []
            var reader = CSVReader(file: f, ofacNulls: true)
            while let rec = try reader.next() {
                let fields = try checked(rec, f, .comments)
                let ent = try entNum(fields[0], f, rec.line)
                guard remarksByEnt[ent] != nil else { orphans.append(ent); continue }
                // Not trimmed: the continuation may start with the space the 1000-character cut fell on.
                remarksByEnt[ent]! += stripTrailingNewlines(fields[1])
            }
            if !orphans.isEmpty { warnings.append(orphanWarning(f, orphans)) }
        }

        for (ent, idx) in indexByEnt {
            let remarks = (remarksByEnt[ent] ?? "").trimmed
            guard !remarks.isEmpty else { continue }
            let r = OFACRemarks(remarks)
            entries[idx].remarks = remarks
            entries[idx].names.append(contentsOf: r.weakNames)
            entries[idx].bics = r.bics
            entries[idx].identifiers.append(contentsOf: r.identifiers)
            for c in r.countries { entries[idx].countries.appendUnique(c) }
        }

        for f in byRole[.alt] ?? [] {
            try f.requireUTF8()
            var orphans: [Int] = []
            var reader = CSVReader(file: f, ofacNulls: true)
            while let rec = try reader.next() {
                let fields = try checked(rec, f, .alt)
                let ent = try entNum(fields[0], f, rec.line)
                guard let idx = indexByEnt[ent] else { orphans.append(ent); continue }
                let name = fields.field(3)
                if name.isEmpty { continue }
                var kind = fields.field(2).lowercased().replacingDots()
                if !["aka", "fka", "nka"].contains(kind) { kind = "aka" }
                let n = EntryName(name: name, kind: kind, strength: .strong)
                // alt.csv is authoritative: a name also written as a weak a.k.a. in remarks is kept once, strong.
                entries[idx].names.removeAll { $0.strength == .weak && $0.name == name }
                if !entries[idx].names.contains(n) { entries[idx].names.append(n) }
            }
            if !orphans.isEmpty { warnings.append(orphanWarning(f, orphans)) }
        }

        for f in byRole[.add] ?? [] {
            try f.requireUTF8()
            var orphans: [Int] = []
            var reader = CSVReader(file: f, ofacNulls: true)
            while let rec = try reader.next() {
                let fields = try checked(rec, f, .add)
                let ent = try entNum(fields[0], f, rec.line)
                guard let idx = indexByEnt[ent] else { orphans.append(ent); continue }
                let country = fields.field(4)
                let parts = [fields.field(2), fields.field(3), country].filter { !$0.isEmpty }
                if !parts.isEmpty {
                    let address = parts.joined(separator: ", ")
                    entries[idx].addresses.appendUnique(address)
                }
                if let c = Countries.codeOrName(country) { entries[idx].countries.appendUnique(c) }
            }
            if !orphans.isEmpty { warnings.append(orphanWarning(f, orphans)) }
        }

        return ParsedList(source: .ofacSDN, entries: entries, warnings: warnings)
    }

    /// Programs as OFAC joins them: `UKRAINE-EO13662] [RUSSIA-EO14024` (sometimes with outer brackets).
    static func programs(_ s: String) -> [String] {
        var out: [String] = []
        for p in s.splitList("] [") {
            var t = Substring(p)
            if t.hasPrefix("[") { t = t.dropFirst() }
            if t.hasSuffix("]") { t = t.dropLast() }
            let v = t.trimmed
            if !v.isEmpty { out.appendUnique(v) }
        }
        return out
    }

    private static func checked(_ rec: CSVRecord, _ f: ListFile, _ role: Role) throws(ListFileError) -> [String] {
        if rec.truncated { throw f.error(line: rec.line, "the file ends inside a quoted field (truncated?)") }
        let want = columns[role]!
        guard rec.fields.count == want else {
            throw f.error(line: rec.line, "expected \(want) columns for an OFAC \(role.rawValue) file, found \(rec.fields.count)")
        }
        return rec.fields
    }

    private static func entNum(_ s: String, _ f: ListFile, _ line: Int) throws(ListFileError) -> Int {
        guard let v = Int(s.trimmed), v >= 0 else {
            throw f.error(line: line, "ent_num \"\(s.prefix(40))\" is not a number (a header row, or not an OFAC file?)")
        }
        return v
    }

    private static func stripTrailingNewlines(_ s: String) -> String {
        var t = Substring(s)
        while let l = t.last, l == "\n" || l == "\r" || l == "\r\n" { t = t.dropLast() }
        return String(t)
    }

    private static func orphanWarning(_ f: ListFile, _ ents: [Int]) -> String {
        let sample = ents.prefix(5).map(String.init).joined(separator: ", ")
        let more = ents.count > 5 ? ", …" : ""
        return "\(f.name): \(ents.count) rows point at no entry and were skipped (ent_num \(sample)\(more))"
    }
}

extension String {
    /// "a.k.a." → "aka".
    func replacingDots() -> String { String(filter { $0 != "." }) }
}
