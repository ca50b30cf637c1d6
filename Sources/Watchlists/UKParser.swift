import XML

/// Parses the UK Sanctions List XML published by the FCDO (`UK_Sanctions_List.xml`).
///
/// Chosen over OFSI's ConList CSV because the FCDO's UK Sanctions List covers every UK designation and has one
/// record per designation (ConList has one row per name, grouped by `Group ID`), and because OFSI has announced
/// that its Consolidated List is being replaced by this list. Layout: `Designations/Designation` with
/// - `UniqueID` (e.g. `RUS0251`) → `sourceId`; `OFSIGroupID`, `UNReferenceNumber` → identifiers;
/// - `Names/Name` with `Name1`…`Name5` (given names) and `Name6` (family name, or an organisation's whole name),
///   `NameType` (`Primary Name`, `Primary Name Variation`, `Alias`), optional `AliasStrength`
///   (`Good quality`/`Low quality`: low → weak);
/// - `NonLatinNames/NonLatinName/NameNonLatinScript` → `original_script`;
/// - `IndividualEntityShip` (`Individual` → person, `Entity` → entity, `Ship` → vessel);
/// - `RegimeName` → programs; `Addresses/Address` (`AddressLine1…6`, `AddressPostalCode`, `AddressCountry`);
///   `IndividualDetails/Individual/Nationalities/Nationality`; identifiers: `IMONumber`, `PassportNumber`,
///   `NationalIdentifierNumber`, `BusinessRegistrationNumber`;
/// - `OtherInformation` → remarks (BICs written there as `SWIFT/BIC X` are read).
/// Individuals' names are written `Name1 Name2 … Name6` (given names first). A Designation without UniqueID or
/// without a name is skipped with a warning naming its line; the rest of the file is imported.
enum UKParser {
    static func parse(_ f: ListFile) throws(ListFileError) -> ParsedList {
        let root = try ListXML.parse(f)
        guard root.name == "Designations" else {
            throw f.error(line: root.line, "not a UK Sanctions List XML: the root element is <\(root.name)>, expected <Designations>")
        }
        var entries: [ListEntry] = []
        // One bad record does not refuse the list: it is skipped, and named in a warning kept with the version.
        var warnings: [String] = []
        for d in root.children("Designation") {
            let id = d.childText("UniqueID")
            guard !id.isEmpty else {
                warnings.append("\(f.name) line \(d.line): a Designation without UniqueID was skipped")
                continue
            }
            let type = UKNames.entryType(d.childText("IndividualEntityShip"))
            var written: [UKNames.Written] = []
            for n in d.child("Names")?.children("Name") ?? [] {
                let parts = (1...6).map { n.childText("Name\($0)") }
                let full = UKNames.join(parts)
                written.append(UKNames.Written(text: full.isEmpty ? n.childText("Name") : full, nameType: n.childText("NameType"),
                                               strength: n.childText("AliasStrength")))
            }
            let names = UKNames.assemble(written, nonLatin: d.descendants("NameNonLatinScript").map { $0.text.collapsedWhitespace })
            guard !names.isEmpty else {
                warnings.append("\(f.name) line \(d.line): Designation \(id) has no name and was skipped")
                continue
            }
            var e = ListEntry(sourceId: id, type: type, names: names)
            for (tag, label) in [("OFSIGroupID", "OFSI Group ID"), ("UNReferenceNumber", "UN Reference Number")] {
                let v = d.childText(tag)
                if !v.isEmpty { e.identifiers.append(EntryIdentifier(type: label, value: v)) }
            }
            for r in d.children("RegimeName") {
                let t = r.text.collapsedWhitespace
                if !t.isEmpty { e.programs.appendUnique(t) }
            }
            for a in d.child("Addresses")?.children("Address") ?? [] {
                let country = a.childText("AddressCountry")
                let parts = (1...6).map { a.childText("AddressLine\($0)") } + [a.childText("AddressPostalCode"), country]
                let text = parts.filter { !$0.isEmpty }.joined(separator: ", ")
                if !text.isEmpty { e.addresses.appendUnique(text) }
                if let c = Countries.codeOrName(country) { e.countries.appendUnique(c) }
            }
            for n in d.descendants("Nationality") {
                if let c = Countries.codeOrName(n.text.collapsedWhitespace) { e.countries.appendUnique(c) }
            }
            // Identifiers: IMO numbers of ships, passports and national identifiers of individuals, registration
            // numbers of entities.
            for (tag, label) in UKNames.identifierLabels {
                for n in d.descendants(tag) {
                    let v = n.text.trimmed
                    if !v.isEmpty { e.identifiers.appendUnique(EntryIdentifier(type: label, value: v)) }
                }
            }
            let other = d.childText("OtherInformation")
            if !other.isEmpty {
                e.remarks = other
                e.bics = BIC.extract(fromText: other)
            }
            entries.append(e)
        }
        return ParsedList(source: .uk, entries: entries, warnings: warnings)
    }
}

/// What the FCDO's XML and CSV editions (and OFSI's ConList) share: how a designation's names are written and ranked,
/// its type, and the identifier labels, so that every edition gives the same entry.
enum UKNames {
    /// One name as a row or a `Name` element writes it.
    struct Written {
        var text: String
        /// `Primary Name`, `Primary Name Variation`, `Alias` (ConList: `Primary name`, `Primary name variation`, `AKA`).
        var nameType: String
        /// `Good quality` / `Low quality` (ConList's `Alias Quality` alike); low is weak.
        var strength: String
    }

    static func entryType(_ s: String) -> EntryType {
        switch s.trimmed.lowercased() {
        case "individual": return .person
        case "ship": return .vessel
        default: return .entity
        }
    }

    /// `Name1 … Name5 Name6`: given names first, then the family name (or an organisation's whole name in Name6).
    static func join(_ parts: [String]) -> String { parts.map(\.trimmed).filter { !$0.isEmpty }.joined(separator: " ") }

    /// The names in rank order: the primary name first (the first `Primary Name`; further ones are a.k.a.s, or the
    /// first other name when none is marked primary), variations and aliases, then non-Latin names; each text once.
    static func assemble(_ written: [Written], nonLatin: [String]) -> [EntryName] {
        var primary: [String] = []
        var others: [EntryName] = []
        for w in written where !w.text.isEmpty {
            let nameType = w.nameType.trimmed.lowercased()
            let weak = w.strength.trimmed.lowercased().hasPrefix("low")
            if nameType == "primary name" {
                primary.append(w.text)
            } else if nameType == "primary name variation" {
                others.append(EntryName(name: w.text, kind: "primary_variation", strength: .strong))
            } else {
                others.append(EntryName(name: w.text, kind: weak ? "weak_aka" : "aka", strength: weak ? .weak : .strong))
            }
        }
        var names: [EntryName] = []
        for p in primary where !names.contains(where: { $0.name == p }) {
            names.append(EntryName(name: p, kind: names.isEmpty ? "primary" : "aka", strength: .strong))
        }
        if names.isEmpty, let first = others.first {
            names.append(EntryName(name: first.name, kind: "primary", strength: .strong))
            others.removeFirst()
        }
        for o in others where !names.contains(where: { $0.name == o.name }) { names.append(o) }
        for t in nonLatin where !t.isEmpty && !names.contains(where: { $0.name == t }) {
            names.append(EntryName(name: t, kind: "original_script", strength: .strong))
        }
        return names
    }

    /// The XML element of each identifier of a party with the label stored: IMO numbers of ships, passports and
    /// national identifiers of individuals, registration numbers of entities.
    static let identifierLabels = [("IMONumber", "IMO"), ("PassportNumber", "Passport"), ("NationalIdentifierNumber", "National Identifier"),
                                   ("BusinessRegistrationNumber", "Business Registration Number")]
}
