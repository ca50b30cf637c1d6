import XML

/// Parses the EU Financial Sanctions Files XML (`xmlFullSanctionsList_1_1`, namespace
/// `http://eu.europa.ec/fpi/fsd/export`).
///
/// Layout: `export/sanctionEntity` (attributes `logicalId`, `euReferenceNumber`, `unitedNationId`) with
/// - `subjectType@code` — `person` → person, `enterprise` → entity (also `vessel`/`aircraft` if present);
/// - `nameAlias` (`wholeName`, or `firstName`/`middleName`/`lastName`; `strong` = "false" → weak alias);
///   the first name alias is the primary name;
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
        for s in root.children("sanctionEntity") {
            let id = s.attr("logicalId")
            guard !id.isEmpty else { throw f.error(line: s.line, "sanctionEntity without logicalId") }
            let type: EntryType
            switch (s.child("subjectType")?.attr("code") ?? "").lowercased() {
            case "person": type = .person
            case "enterprise": type = .entity
            case "vessel": type = .vessel
            case "aircraft": type = .aircraft
            default: type = .entity
            }
            var names: [EntryName] = []
            for a in s.children("nameAlias") {
                var n = a.attr("wholeName")
                if n.isEmpty {
                    n = [a.attr("firstName"), a.attr("middleName"), a.attr("lastName")].filter { !$0.isEmpty }.joined(separator: " ")
                }
                if n.isEmpty || names.contains(where: { $0.name == n }) { continue }
                let weak = a.attr("strong").lowercased() == "false"
                let kind = names.isEmpty ? "primary" : (weak ? "weak_aka" : "aka")
                names.append(EntryName(name: n, kind: kind, strength: names.isEmpty || !weak ? .strong : .weak))
            }
            guard !names.isEmpty else { throw f.error(line: s.line, "sanctionEntity \(id) has no nameAlias") }
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
                let country = i.attr("countryIso2Code").isEmpty ? Countries.codeOrName(i.attr("countryDescription")) : i.attr("countryIso2Code").uppercased()
                e.identifiers.appendUnique(EntryIdentifier(type: desc.isEmpty ? code : desc, value: number, country: country))
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
        return ParsedList(source: .eu, entries: entries, warnings: [])
    }
}
