import XML

/// Parses OFAC's `sdn.xml` (and the same schema for `consolidated.xml`), recognised by the `.xml` extension.
///
/// Schema (https://www.treasury.gov/ofac/downloads/sdn.xsd): `sdnList/sdnEntry` with `uid`, `firstName`,
/// `lastName`, `title`, `sdnType` (Individual, Entity, Vessel, Aircraft), `remarks`, `programList/program`,
/// `idList/id` (`idType`, `idNumber`, `idCountry`; `idType` "SWIFT/BIC" → BICs), `akaList/aka` (`type`
/// a.k.a./f.k.a./n.k.a., `category` strong/weak, `lastName`, `firstName`), `addressList/address`
/// (`address1..3`, `city`, `stateOrProvince`, `postalCode`, `country`), `nationalityList`/`citizenshipList`
/// (`country`), `vesselInfo` (`callSign`, `vesselFlag`, `vesselOwner`).
/// Names are rendered as in the CSV (`LAST, First`), so both formats give the same entries.
enum OFACXMLParser {
    static func parse(_ f: ListFile) throws(ListFileError) -> ParsedList {
        try parse(ListXML.parse(f), f)
    }

    static func parse(_ root: XMLTree.Element, _ f: ListFile) throws(ListFileError) -> ParsedList {
        guard root.name == "sdnList" else {
            throw f.error(line: root.line, "not an OFAC XML list: the root element is <\(root.name)>, expected <sdnList> (sdn.xml, "
                + "consolidated.xml) or <Sanctions> (sdn_advanced.xml, cons_advanced.xml)")
        }
        var entries: [ListEntry] = []
        // One bad record does not refuse the list: it is skipped and named in a warning kept with the version.
        var warnings: [String] = []
        for s in root.children("sdnEntry") {
            let uid = s.childText("uid")
            let name = joinName(last: s.childText("lastName"), first: s.childText("firstName"))
            guard !uid.isEmpty, !name.isEmpty else {
                warnings.append("\(f.name) line \(s.line): an sdnEntry without \(uid.isEmpty ? "uid" : "a name (uid \(uid))") was skipped")
                continue
            }
            let type: EntryType
            switch s.childText("sdnType").lowercased() {
            case "individual": type = .person
            case "vessel": type = .vessel
            case "aircraft": type = .aircraft
            case "entity", "": type = .entity
            default: type = .other
            }
            var e = ListEntry(sourceId: uid, type: type, names: [EntryName(name: name, kind: "primary", strength: .strong)])
            e.programs = (s.child("programList")?.children("program") ?? []).map { $0.text.trimmed }.filter { !$0.isEmpty }
            for a in s.child("akaList")?.children("aka") ?? [] {
                let n = joinName(last: a.childText("lastName"), first: a.childText("firstName"))
                if n.isEmpty { continue }
                let weak = a.childText("category").lowercased() == "weak"
                var kind = a.childText("type").lowercased().replacingDots()
                if !["aka", "fka", "nka"].contains(kind) { kind = "aka" }
                let en = EntryName(name: n, kind: weak ? "weak_" + kind : kind, strength: weak ? .weak : .strong)
                if !e.names.contains(en) { e.names.append(en) }
            }
            for id in s.child("idList")?.children("id") ?? [] {
                let t = id.childText("idType"), v = id.childText("idNumber")
                if v.isEmpty { continue }
                if t.uppercased().contains("SWIFT"), let bic = BIC.normalize(v) { e.bics.appendUnique(bic); continue }
                e.identifiers.appendUnique(EntryIdentifier(type: t, value: v, country: Countries.codeOrName(id.childText("idCountry"))))
            }
            for a in s.child("addressList")?.children("address") ?? [] {
                let country = a.childText("country")
                let parts = ["address1", "address2", "address3", "city", "stateOrProvince", "postalCode"].map { a.childText($0) } + [country]
                let text = parts.filter { !$0.isEmpty }.joined(separator: ", ")
                if !text.isEmpty { e.addresses.appendUnique(text) }
                if let c = Countries.codeOrName(country) { e.countries.appendUnique(c) }
            }
            for list in ["nationalityList", "citizenshipList"] {
                for n in s.child(list)?.children ?? [] {
                    if let c = Countries.codeOrName(n.childText("country")) { e.countries.appendUnique(c) }
                }
            }
            if let v = s.child("vesselInfo") {
                let cs = v.childText("callSign")
                if !cs.isEmpty { e.identifiers.append(EntryIdentifier(type: "Call Sign", value: cs)) }
                let flag = v.childText("vesselFlag")
                if !flag.isEmpty { e.identifiers.append(EntryIdentifier(type: "Vessel Flag", value: flag, country: Countries.iso2(flag))) }
                let owner = v.childText("vesselOwner")
                if !owner.isEmpty { e.identifiers.append(EntryIdentifier(type: "Vessel Owner", value: owner)) }
            }
            let remarks = s.childText("remarks")
            if !remarks.isEmpty {
                e.remarks = remarks
                let r = OFACRemarks(remarks)
                for n in r.weakNames where !e.names.contains(where: { $0.name == n.name }) { e.names.append(n) }
                for b in r.bics { e.bics.appendUnique(b) }
            }
            entries.append(e)
        }
        return ParsedList(source: .ofacSDN, entries: entries, warnings: warnings)
    }

    /// `LAST, First` as in the CSV; an entity has only `lastName`.
    static func joinName(last: String, first: String) -> String {
        if first.isEmpty { return last }
        if last.isEmpty { return first }
        return "\(last), \(first)"
    }
}
