/// What can be read out of an OFAC `remarks` text: weak aliases, BICs, identifiers, nationalities.
///
/// OFAC writes remarks as `; `-separated items, e.g.
/// `DOB 28 Jul 1963; POB Toledo District, Belize; Passport P0017003 (Belize); a.k.a. 'BURTON BURGESS'.`
/// Weak aliases (`a.k.a. 'X'`, also `f.k.a.`/`n.k.a.`) and SWIFT/BIC codes appear only here.
struct OFACRemarks {
    var weakNames: [EntryName] = []
    var bics: [String] = []
    var identifiers: [EntryIdentifier] = []
    /// Nationality and citizenship countries (ISO code where known).
    var countries: [String] = []

    /// Identifier items: the prefix as OFAC writes it → the identifier type we store.
    /// Matched after an optional `alt. `; the value runs to ` (` (the issuing country) or the end.
    private static let idPrefixes: [(String, String)] = [
        ("Tax ID No.", "Tax ID No."),
        ("Registration Number", "Registration Number"),
        ("Registration ID", "Registration ID"),
        ("Business Registration Number", "Business Registration Number"),
        ("Business Number", "Business Number"),
        ("Company Number", "Company Number"),
        ("UK Company Number", "UK Company Number"),
        ("Commercial Registry Number", "Commercial Registry Number"),
        ("Public Registration Number", "Public Registration Number"),
        ("Government Gazette Number", "Government Gazette Number"),
        ("Legal Entity Number", "LEI"),
        ("Unified Social Credit Code (USCC)", "USCC"),
        ("Vessel Registration Identification IMO", "IMO"),
        ("IMO", "IMO"),
        ("MMSI", "MMSI"),
        ("Passport", "Passport"),
        ("National ID No.", "National ID No."),
        ("Identification Number", "Identification Number"),
        ("Cedula No.", "Cedula No."),
        ("C.U.R.P.", "CURP"),
        ("R.F.C.", "RFC"),
        ("RFC", "RFC"),
        ("NIT #", "NIT"),
        ("V.A.T. Number", "VAT Number"),
        ("D-U-N-S Number", "D-U-N-S Number"),
        ("BIK (RU)", "BIK"),
        ("Aircraft Manufacturer's Serial Number (MSN)", "Aircraft MSN"),
        ("Aircraft Tail Number", "Aircraft Tail Number"),
        ("Aircraft Construction Number (also called L/N or S/N or F/N)", "Aircraft Construction Number"),
        ("Trade License No.", "Trade License No."),
        ("Chamber of Commerce Number", "Chamber of Commerce Number"),
        ("ISIN", "ISIN"),
        ("SSN", "SSN"),
    ]

    /// The stored type of an identifier item written `LABEL VALUE`, and the value after the label, when the
    /// label is one of `idPrefixes`.
    static func labelled(_ item: Substring) -> (type: String, value: Substring)? {
        for (prefix, type) in idPrefixes where item.hasPrefix(prefix + " ") { return (type, item.dropFirst(prefix.count + 1)) }
        return nil
    }

    /// The type and value to store for an identifier that a structured OFAC file gives as a type label and a
    /// number (`Vessel Registration Identification` and `IMO 9074729` → `IMO`, `9074729`): the remarks' table
    /// decides, so the CSV, sdn_advanced.xml and screening's identifier index name it alike. A label the table
    /// does not know is kept as written (`IdentifierKind.classify` reads OFAC's wording).
    static func typed(label: String, value: String) -> EntryIdentifier {
        let item = label + " " + value
        if let m = labelled(Substring(item)), !m.value.trimmed.isEmpty {
            return EntryIdentifier(type: m.type, value: m.value.trimmed)
        }
        return EntryIdentifier(type: label, value: value)
    }

    init(_ remarks: String) {
        guard !remarks.isEmpty else { return }
        bics = BIC.extract(fromText: remarks)
        for raw in remarks.splitList("; ") {
            var item = Substring(raw)
            // Weak aliases: a.k.a. 'NAME' (also f.k.a./n.k.a.), with an optional trailing period.
            for (marker, kind) in [("a.k.a. '", "weak_aka"), ("f.k.a. '", "weak_fka"), ("n.k.a. '", "weak_nka")] {
                if item.hasPrefix(marker) {
                    var name = item.dropFirst(marker.count)
                    // The name ends at the last quote; anything after it ("." or a note) is dropped.
                    if let close = name.lastIndex(of: "'") { name = name[..<close] }
                    let n = name.trimmed
                    if !n.isEmpty {
                        let e = EntryName(name: n, kind: kind, strength: .weak)
                        weakNames.appendUnique(e)
                    }
                    item = ""
                    break
                }
            }
            if item.isEmpty { continue }
            if item.hasPrefix("alt. ") { item = item.dropFirst(5) }
            if item.hasPrefix("nationality ") || item.hasPrefix("citizen ") {
                let c = item.drop { $0 != " " }.trimmed
                let clean = c.hasSuffix(".") ? String(c.dropLast()) : c
                if let code = Countries.codeOrName(clean) { countries.appendUnique(code) }
                continue
            }
            // `Digital Currency Address - XBT 1Abc…`: the currency is part of the type.
            if item.hasPrefix("Digital Currency Address - ") {
                let rest = item.dropFirst("Digital Currency Address - ".count)
                if let space = rest.firstIndex(of: " ") {
                    let value = rest[rest.index(after: space)...].trimmed
                    let clean = value.hasSuffix(".") ? String(value.dropLast()) : value
                    if !clean.isEmpty {
                        identifiers.appendUnique(EntryIdentifier(type: "Digital Currency Address - " + rest[..<space], value: clean))
                    }
                }
                continue
            }
            if let m = Self.labelled(item) {
                let type = m.type
                var rest = m.value
                if rest.hasSuffix(".") { rest = rest.dropLast() }
                var country: String?
                if rest.hasSuffix(")"), let open = rest.lastIndex(of: "(") {
                    let inside = rest[rest.index(after: open)..<rest.index(before: rest.endIndex)]
                    country = Countries.codeOrName(String(inside))
                    rest = rest[..<open]
                }
                let value = rest.trimmed
                if !value.isEmpty {
                    identifiers.appendUnique(EntryIdentifier(type: type, value: value, country: country))
                }
            }
        }
    }
}
