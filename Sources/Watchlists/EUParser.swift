import XML

/// Parses the EU Financial Sanctions Files XML (`xmlFullSanctionsList_1_1`, namespace
/// `http://eu.europa.ec/fpi/fsd/export`).
///
/// Layout: `export/sanctionEntity` (attributes `logicalId`, `euReferenceNumber`, `unitedNationId`) with
/// - `subjectType@code` — `person` → person, `enterprise` → entity (also `vessel`/`aircraft` if present);
/// - `nameAlias` (`wholeName`, or `firstName`/`middleName`/`lastName`; `strong` = "false" → weak alias, the
///   file's mark of a low-quality alias). The primary name is the entry's own name by the file's conventions:
///   a strong alias in the regulation's language (or with no language), written with its parts (first and
///   last name) where there are any, the first such in file order; the others are a.k.a.s;
/// - `identification` also keeps `latinNumber` (the number in Latin script when `number` is not);
/// - country code `00` ("UNKNOWN") is no country;
/// - a sanctionEntity without logicalId or without any name is skipped with a warning naming its line;
/// - `identification` (`identificationTypeCode`, `identificationTypeDescription`, `number`, `countryIso2Code`);
///   type code `swiftbic` (or a description naming SWIFT/BIC) → BICs;
/// - `address` (`street`, `city`, `zipCode`, `region`, `place`, `poBox`, `countryIso2Code`, `countryDescription`);
/// - `citizenship@countryIso2Code`; `regulation@programme` → programs; `remark` text (BICs are read from it too).
/// Namespace prefixes are ignored. `sourceId` is `logicalId`; `euReferenceNumber` is kept as an identifier.
enum EUParser {
    static func parse(_ f: ListFile) throws(ListFileError) -> ParsedList {
        let root = try ListXML.parse(f)
        guard root.name == "export" else {
            throw f.error(line: root.line, "not an EU Financial Sanctions File: the root element is <\(root.name)>, expected <export>")
        }
        var entries: [ListEntry] = []
        var warnings: [String] = []
        for s in root.children("sanctionEntity") {
            let id = s.attr("logicalId")
            guard !id.isEmpty else {
                warnings.append("\(f.name) line \(s.line): a sanctionEntity without logicalId was skipped")
                continue
            }
            let type: EntryType
            switch (s.child("subjectType")?.attr("code") ?? "").lowercased() {
            case "person": type = .person
            case "enterprise": type = .entity
            case "vessel": type = .vessel
            case "aircraft": type = .aircraft
            default: type = .entity
            }
            // (name, weak, rank): lower rank is a better candidate for the primary name.
            var aliases: [(name: String, weak: Bool, rank: Int)] = []
            for a in s.children("nameAlias") {
                let parts = [a.attr("firstName"), a.attr("middleName"), a.attr("lastName")].filter { !$0.isEmpty }
                var n = a.attr("wholeName")
                if n.isEmpty { n = parts.joined(separator: " ") }
                if n.isEmpty || aliases.contains(where: { $0.name == n }) { continue }
                let weak = a.attr("strong").lowercased() == "false"
                let language = a.attr("nameLanguage").lowercased()
                let regulation = a.attr("regulationLanguage").lowercased()
                let ownLanguage = language.isEmpty || language == (regulation.isEmpty ? "en" : regulation)
                aliases.append((n, weak, (weak ? 4 : 0) + (ownLanguage ? 0 : 2) + (parts.isEmpty ? 1 : 0)))
            }
            guard let best = aliases.indices.min(by: { aliases[$0].rank < aliases[$1].rank }) else {
                warnings.append("\(f.name) line \(s.line): sanctionEntity \(id) has no nameAlias and was skipped")
                continue
            }
            var names = [EntryName(name: aliases[best].name, kind: "primary", strength: .strong)]
            for (i, a) in aliases.enumerated() where i != best {
                names.append(EntryName(name: a.name, kind: a.weak ? "weak_aka" : "aka", strength: a.weak ? .weak : .strong))
            }
            var e = ListEntry(sourceId: id, type: type, names: names)
            let euRef = s.attr("euReferenceNumber")
            if !euRef.isEmpty { e.identifiers.append(EntryIdentifier(type: "EU Reference Number", value: euRef)) }
            let unId = s.attr("unitedNationId")
            if !unId.isEmpty { e.identifiers.append(EntryIdentifier(type: "UN Reference Number", value: unId)) }
            for r in s.children("regulation") {
                let p = r.attr("programme")
                if !p.isEmpty { e.programs.appendUnique(p) }
            }
            for i in s.children("identification") {
                let number = i.attr("number")
                if number.isEmpty { continue }
                let code = i.attr("identificationTypeCode").lowercased()
                let desc = i.attr("identificationTypeDescription")
                if ["swiftbic", "swift", "bic", "swift_bic"].contains(code) || desc.uppercased().contains("SWIFT"),
                   let bic = BIC.normalize(number) {
                    e.bics.appendUnique(bic)
                    continue
                }
                let iso = i.attr("countryIso2Code").uppercased()
                let described = i.attr("countryDescription")
                let country = iso == "00" || described.uppercased() == "UNKNOWN" ? nil : iso.isEmpty ? Countries.codeOrName(described) : iso
                let type = desc.isEmpty ? code : desc
                e.identifiers.appendUnique(EntryIdentifier(type: type, value: number, country: country))
                let latin = i.attr("latinNumber")
                if !latin.isEmpty, latin != number { e.identifiers.appendUnique(EntryIdentifier(type: type, value: latin, country: country)) }
            }
            for a in s.children("address") {
                let iso = a.attr("countryIso2Code").uppercased()
                let countryText = a.attr("countryDescription")
                let parts = ["street", "poBox", "zipCode", "city", "place", "region"].map { a.attr($0) } + [countryText]
                let text = parts.filter { !$0.isEmpty }.joined(separator: ", ")
                if !text.isEmpty { e.addresses.appendUnique(text) }
                if iso.utf8.count == 2, iso != "00" { e.countries.appendUnique(iso) }
                else if let c = Countries.codeOrName(countryText) { e.countries.appendUnique(c) }
            }
            for c in s.children("citizenship") {
                let iso = c.attr("countryIso2Code").uppercased()
                if iso.utf8.count == 2, iso != "00" { e.countries.appendUnique(iso) }
                else if let code = Countries.codeOrName(c.attr("countryDescription")) { e.countries.appendUnique(code) }
            }
            let remark = s.children("remark").map { $0.text.collapsedWhitespace }.filter { !$0.isEmpty }.joined(separator: " ")
            if !remark.isEmpty {
                e.remarks = remark
                for b in BIC.extract(fromText: remark) { e.bics.appendUnique(b) }
            }
            entries.append(e)
        }
        return ParsedList(source: .eu, entries: entries, warnings: warnings)
    }
}
