import XML

/// Parses the UN Security Council Consolidated List XML (`CONSOLIDATED_LIST/INDIVIDUALS/INDIVIDUAL`,
/// `…/ENTITIES/ENTITY`).
///
/// - `sourceId` = `DATAID`; `REFERENCE_NUMBER` (e.g. `KPe.001`) is kept as an identifier.
/// - Primary name = `FIRST_NAME` … `FOURTH_NAME` joined by spaces (given names first, as the UN writes them);
///   an entity name holding two names separated by `;` gives the second as an `aka`, and an `ALIAS_NAME`
///   listing several spellings separated by `;` gives one alias each.
/// - `*_ALIAS/ALIAS_NAME` with `QUALITY`: `Good` → strong `aka`, `Low` → weak (`weak_aka`), `a.k.a.`/`f.k.a.`
///   (used on entities) → strong `aka`/`fka`. `NAME_ORIGINAL_SCRIPT` → strong `original_script`.
/// - BICs are only in the free text of `COMMENTS1` (`SWIFT: X`, `SWIFT/BIC: X`).
/// - Countries from `NATIONALITY/VALUE` and address `COUNTRY` (names → ISO codes); programs from `UN_LIST_TYPE`.
/// - Documents → identifiers (`TYPE_OF_DOCUMENT`, `NUMBER`, `ISSUING_COUNTRY`).
enum UNParser {
    static func parse(_ f: ListFile) throws(ListFileError) -> ParsedList {
        let root = try ListXML.parse(f)
        guard root.name == "CONSOLIDATED_LIST" else {
            throw f.error(line: root.line, "not a UN consolidated list: the root element is <\(root.name)>, expected <CONSOLIDATED_LIST>")
        }
        var entries: [ListEntry] = []
        // One bad record does not refuse the list: it is skipped and named in a warning kept with the version.
        var warnings: [String] = []
        for (group, item, type) in [("INDIVIDUALS", "INDIVIDUAL", EntryType.person), ("ENTITIES", "ENTITY", EntryType.entity)] {
            for g in root.children(group) {
                for x in g.children(item) {
                    do {
                        entries.append(try entry(x, type: type, prefix: item, f))
                    } catch {
                        warnings.append("\(f.name) line \(x.line): \(error.message); skipped")
                    }
                }
            }
        }
        return ParsedList(source: .un, entries: entries, warnings: warnings)
    }

    private static func entry(_ x: XMLTree.Element, type: EntryType, prefix: String, _ f: ListFile) throws(ListFileError) -> ListEntry {
        let id = x.childText("DATAID")
        guard !id.isEmpty else { throw f.error(line: x.line, "<\(prefix)> without DATAID") }
        let joined = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"].map { x.childText($0) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        // An entity may carry two names in one field: "COMPAGNIE AERIENNE DES GRANDS LACS (CAGL) ; GREAT LAKES …".
        let parts = type == .entity ? joined.splitList(";") : (joined.isEmpty ? [] : [joined])
        guard let name = parts.first else { throw f.error(line: x.line, "<\(prefix)> \(id) has no name") }
        var e = ListEntry(sourceId: id, type: type, names: [EntryName(name: name, kind: "primary", strength: .strong)])
        for other in parts.dropFirst() { e.names.append(EntryName(name: other, kind: "aka", strength: .strong)) }
        let original = x.childText("NAME_ORIGINAL_SCRIPT")
        if !original.isEmpty { e.names.append(EntryName(name: original, kind: "original_script", strength: .strong)) }
        for a in x.children(prefix + "_ALIAS") {
            let q = a.childText("QUALITY").lowercased()
            // One alias element may list spellings separated by ";" ("Azim Adhajani; Azim Agha-Jani").
            for n in a.childText("ALIAS_NAME").splitList(";") {
                let en: EntryName
                switch q {
                case "low": en = EntryName(name: n, kind: "weak_aka", strength: .weak)
                case "f.k.a.", "fka": en = EntryName(name: n, kind: "fka", strength: .strong)
                default: en = EntryName(name: n, kind: "aka", strength: .strong)  // Good, a.k.a., empty
                }
                if !e.names.contains(where: { $0.name == en.name }) { e.names.append(en) }
            }
        }
        let listType = x.childText("UN_LIST_TYPE")
        if !listType.isEmpty { e.programs = [listType] }
        let ref = x.childText("REFERENCE_NUMBER")
        if !ref.isEmpty { e.identifiers.append(EntryIdentifier(type: "UN Reference Number", value: ref)) }
        for n in x.children("NATIONALITY") {
            for v in n.children("VALUE") {
                if let c = Countries.codeOrName(v.text.collapsedWhitespace) { e.countries.appendUnique(c) }
            }
        }
        for a in x.children(prefix + "_ADDRESS") {
            let country = a.childText("COUNTRY")
            let parts = ["STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE"].map { a.childText($0) } + [country]
            let text = parts.filter { !$0.isEmpty }.joined(separator: ", ")
            if !text.isEmpty { e.addresses.appendUnique(text) }
            if let c = Countries.codeOrName(country) { e.countries.appendUnique(c) }
        }
        for d in x.children(prefix + "_DOCUMENT") {
            let number = d.childText("NUMBER")
            if number.isEmpty { continue }
            var t = d.childText("TYPE_OF_DOCUMENT")
            let t2 = d.childText("TYPE_OF_DOCUMENT2")
            if !t2.isEmpty { t = t.isEmpty ? t2 : "\(t) (\(t2))" }
            let issuer = d.childText("ISSUING_COUNTRY").isEmpty ? d.childText("COUNTRY_OF_ISSUE") : d.childText("ISSUING_COUNTRY")
            e.identifiers.appendUnique(EntryIdentifier(type: t.isEmpty ? "Document" : t, value: number, country: Countries.codeOrName(issuer)))
        }
        let comments = x.childText("COMMENTS1")
        if !comments.isEmpty {
            e.remarks = comments
            e.bics = BIC.extract(fromText: comments)
        }
        return e
    }
}
