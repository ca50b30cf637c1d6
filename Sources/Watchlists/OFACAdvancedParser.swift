import XML

/// Parses OFAC's structured ("advanced") XML: `sdn_advanced.xml` and `cons_advanced.xml`, root `<Sanctions>`.
///
/// Layout (OFAC's "SDN Advanced" schema, namespace
/// `https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/ADVANCED_XML`, formerly
/// `http://www.un.org/sanctions/1.0`; namespaces are ignored, the element names are the same):
/// - `ReferenceValueSets/<Kind>Values/<Kind ID="…">text</Kind>`: every coded value (AliasType, PartySubType →
///   PartyType, NamePartType, FeatureType, IDRegDocType, Country (with `ISO2`), AreaCode, LocPartType, List,
///   SanctionsType, Script, DetailReference…). Data elements point at them by `…ID` attributes.
/// - `Locations/Location ID`: `LocationPart LocPartTypeID`/`LocationPartValue/Value`, `LocationCountry CountryID`,
///   `LocationAreaCode AreaCodeID`.
/// - `IDRegDocuments/IDRegDocument IDRegDocTypeID IdentityID IssuedBy-CountryID`, `IDRegistrationNo`.
/// - `DistinctParties/DistinctParty FixedRef` → `Profile PartySubTypeID` → `Identity` → `Alias AliasTypeID Primary
///   LowQuality` → `DocumentedName` → `DocumentedNamePart/NamePartValue NamePartGroupID ScriptID`; the groups are
///   typed in the identity's `NamePartGroups/MasterNamePartGroup/NamePartGroup ID NamePartTypeID` (Last Name, First
///   Name, Entity Name, Vessel Name…). `Profile/Feature FeatureTypeID` → `FeatureVersion` with `VersionDetail` (text
///   or `DetailReferenceID`), `VersionLocation LocationID` or `DatePeriod`.
/// - `SanctionsEntries/SanctionsEntry ProfileID ListID` with `SanctionsMeasure SanctionsTypeID`: the measure of
///   type "Program" names the programme in its `Comment`.
///
/// Entries come out as from `sdn.xml` and the CSV: `FixedRef` (OFAC's ent_num) is the source id, names are
/// written `LAST, First`, a.k.a./f.k.a./n.k.a. aliases with `LowQuality` ones weak, non-Latin names as
/// `original_script`, identifiers typed with the remarks' labels (`OFACRemarks.typed`), SWIFT/BIC codes as BICs,
/// Location, nationality and citizenship countries, vessel call sign/flag/owner as in the CSV. Dates and places of
/// birth, which `ListEntry` has no field for, go to `remarks` in the CSV's wording (`DOB 10 Dec 1948`).
///
/// An id that resolves to nothing (a reference value, a location, a name part group) means the file is
/// inconsistent, so it is refused whole with the element and line. A party without FixedRef or without a name is
/// skipped with a warning. Which parties are imported depends on `source`: `ofac-sdn` takes parties with an entry
/// on the "SDN List", `ofac-cons` those on any other list; the others are left out with a counted warning, and a
/// file with none for the source asked is refused naming the right one.
enum OFACAdvancedParser {
    static func parse(_ root: XMLTree.Element, _ f: ListFile, source: ListSource) throws(ListFileError) -> ParsedList {
        guard root.name == "Sanctions" else {
            throw f.error(line: root.line, "not an OFAC advanced XML: the root element is <\(root.name)>, expected <Sanctions>")
        }
        var doc = try Document(root, f)
        var entries: [ListEntry] = []
        var warnings: [String] = []
        var otherList = 0
        for party in root.child("DistinctParties")?.children("DistinctParty") ?? [] {
            let fixedRef = party.attr("FixedRef")
            guard !fixedRef.isEmpty, let profile = party.child("Profile") else {
                warnings.append("\(f.name) line \(party.line): a DistinctParty without \(fixedRef.isEmpty ? "FixedRef" : "Profile") was skipped")
                continue
            }
            let lists = try doc.lists(profile: profile.attr("ID"))
            let onSDN = lists.contains("SDN List")
            if !lists.isEmpty, source == .ofacSDN ? !onSDN : lists.allSatisfy({ $0 == "SDN List" }) {
                otherList += 1
                continue
            }
            guard var e = try doc.entry(fixedRef: fixedRef, profile: profile) else {
                warnings.append("\(f.name) line \(party.line): DistinctParty \(fixedRef) has no name and was skipped")
                continue
            }
            let comment = party.childText("Comment")
            if !comment.isEmpty {
                let r = OFACRemarks(comment)
                for n in r.weakNames where !e.names.contains(where: { $0.name == n.name }) { e.names.append(n) }
                for b in r.bics { e.bics.appendUnique(b) }
                e.remarks = [comment, e.remarks].compactMap { $0 }.joined(separator: "; ")
            }
            e.programs = try doc.programs(profile: profile.attr("ID"))
            if source == .ofacCons { e.subList = "OFAC Consolidated (non-SDN)" }
            entries.append(e)
        }
        if entries.isEmpty, otherList > 0 {
            let right: ListSource = source == .ofacSDN ? .ofacCons : .ofacSDN
            throw f.error(line: nil, "every party in this file is on \(source == .ofacSDN ? "OFAC's non-SDN lists" : "the SDN List"): "
                + "import it with --source \(right.rawValue)")
        }
        if otherList > 0 {
            let one = otherList == 1
            warnings.append("\(otherList) \(one ? "party" : "parties") of \(f.name) \(one ? "is" : "are") not on "
                + "\(source == .ofacSDN ? "the SDN List" : "a non-SDN list") and \(one ? "was" : "were") left out of \(source.rawValue)")
        }
        return ParsedList(source: source, entries: entries, warnings: warnings)
    }

    /// A date period as the CSV's remarks write a date: `10 Dec 1948`, `Dec 1948`, `1948` (OFAC codes a year or a
    /// month as a period from its first to its last day), or `01 Jan 1960 to 31 Dec 1962`. `Approximate` is not
    /// rendered: OFAC sets it on those whole-year periods, which the CSV writes as a bare year.
    static func date(_ period: XMLTree.Element) -> String? {
        func ymd(_ e: XMLTree.Element?) -> (y: Int, m: Int, d: Int)? {
            guard let e, let y = Int(e.childText("Year")) else { return nil }
            return (y, Int(e.childText("Month")) ?? 1, Int(e.childText("Day")) ?? 1)
        }
        let start = period.child("Start"), end = period.child("End")
        guard let a = ymd(start?.child("From")) ?? ymd(start?.child("To")) else { return nil }
        let b = ymd(end?.child("To")) ?? ymd(end?.child("From")) ?? ymd(start?.child("To")) ?? a
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func month(_ m: Int) -> String { (1...12).contains(m) ? months[m - 1] : String(m) }
        func day(_ d: Int) -> String { d < 10 ? "0\(d)" : String(d) }
        let text: String
        if a == b {
            text = "\(day(a.d)) \(month(a.m)) \(a.y)"
        } else if a.y == b.y, a.m == 1, a.d == 1, b.m == 12, b.d == 31 {
            text = String(a.y)
        } else if a.y == b.y, a.m == b.m, a.d == 1, b.d >= 28 {
            text = "\(month(a.m)) \(a.y)"
        } else {
            text = "\(day(a.d)) \(month(a.m)) \(a.y) to \(day(b.d)) \(month(b.m)) \(b.y)"
        }
        return text
    }

    /// The file's reference sets and cross-referenced sections, indexed by id, and the reads that resolve them.
    private struct Document {
        let file: ListFile
        /// Reference value kind (`AliasType`, `Country`…) → ID → the value's element and its text.
        var refs: [String: [String: (element: XMLTree.Element, text: String)]] = [:]
        var locations: [String: XMLTree.Element] = [:]
        var documentsByIdentity: [String: [XMLTree.Element]] = [:]
        var entriesByProfile: [String: [XMLTree.Element]] = [:]
        /// Locations rendered once: many parties share one.
        private var renderedLocations: [String: (text: String, country: String?, countryName: String?)] = [:]

        init(_ root: XMLTree.Element, _ f: ListFile) throws(ListFileError) {
            file = f
            guard let sets = root.child("ReferenceValueSets") else {
                throw f.error(line: root.line, "no <ReferenceValueSets>: every coded value of an advanced XML file is defined there")
            }
            for set in sets.children {
                for v in set.children { refs[v.name, default: [:]][v.attr("ID")] = (v, v.text.collapsedWhitespace) }
            }
            for l in root.child("Locations")?.children("Location") ?? [] { locations[l.attr("ID")] = l }
            for d in root.child("IDRegDocuments")?.children("IDRegDocument") ?? [] {
                documentsByIdentity[d.attr("IdentityID"), default: []].append(d)
            }
            for s in root.child("SanctionsEntries")?.children("SanctionsEntry") ?? [] {
                entriesByProfile[s.attr("ProfileID"), default: []].append(s)
            }
        }

        /// The reference value that `element`'s attribute `attribute` names, nil when the attribute is absent;
        /// refuses the file when the id is not defined.
        func ref(_ kind: String, _ element: XMLTree.Element, _ attribute: String) throws(ListFileError) -> XMLTree.Element? {
            try resolve(kind, element, attribute)?.element
        }

        func refText(_ kind: String, _ element: XMLTree.Element, _ attribute: String) throws(ListFileError) -> String {
            try resolve(kind, element, attribute)?.text ?? ""
        }

        private func resolve(_ kind: String, _ element: XMLTree.Element, _ attribute: String)
            throws(ListFileError) -> (element: XMLTree.Element, text: String)? {
            let id = element.attr(attribute)
            if id.isEmpty { return nil }
            guard let v = refs[kind]?[id] else {
                throw file.error(line: element.line, "<\(element.name)> \(attribute)=\"\(id)\" names no \(kind) in <ReferenceValueSets>")
            }
            return v
        }

        /// The names of the lists (`SDN List`, `Sectoral Sanctions Identifications List`…) the profile is on.
        func lists(profile: String) throws(ListFileError) -> [String] {
            var out: [String] = []
            for s in entriesByProfile[profile] ?? [] {
                let name = try refText("List", s, "ListID")
                if !name.isEmpty { out.appendUnique(name) }
            }
            return out
        }

        /// The programmes (`SDGT`, `RUSSIA-EO14024`…): the comments of the profile's measures of type "Program".
        func programs(profile: String) throws(ListFileError) -> [String] {
            var out: [String] = []
            for s in entriesByProfile[profile] ?? [] {
                for m in s.children("SanctionsMeasure") {
                    guard try refText("SanctionsType", m, "SanctionsTypeID") == "Program" else { continue }
                    let p = m.childText("Comment")
                    if !p.isEmpty { out.appendUnique(p) }
                }
            }
            return out
        }

        /// The entry of one profile, without programmes; nil when it has no name.
        mutating func entry(fixedRef: String, profile: XMLTree.Element) throws(ListFileError) -> ListEntry? {
            let type = try partyType(profile)
            var names: [EntryName] = []
            var primary: String?
            // The primary identity first: its primary name is the entry's.
            let all = profile.children("Identity")
            let identities = all.filter { $0.attr("Primary") == "true" } + all.filter { $0.attr("Primary") != "true" }
            for identity in identities {
                for (name, kind, strength) in try identityNames(identity) {
                    if kind == "primary", primary == nil {
                        primary = name
                    } else {
                        let k = kind == "primary" ? "aka" : kind
                        names.append(EntryName(name: name, kind: k, strength: strength))
                    }
                }
            }
            // No alias marked primary: the first Latin name stands in, as a list must name its entry somehow.
            if primary == nil, let first = names.firstIndex(where: { $0.kind != "original_script" }) {
                primary = names.remove(at: first).name
            }
            guard let primary else { return nil }
            var e = ListEntry(sourceId: fixedRef, type: type, names: [EntryName(name: primary, kind: "primary", strength: .strong)])
            for n in names where !e.names.contains(where: { $0.name == n.name }) { e.names.append(n) }
            var remarks: [String] = []
            for identity in identities {
                for d in documentsByIdentity[identity.attr("ID")] ?? [] { try addDocument(d, to: &e) }
            }
            for feature in profile.children("Feature") { try addFeature(feature, to: &e, remarks: &remarks) }
            if !remarks.isEmpty { e.remarks = remarks.joined(separator: "; ") }
            return e
        }

        /// Vessel and Aircraft are party sub-types; individuals and entities are sub-type "Unknown" of their
        /// party type.
        private func partyType(_ profile: XMLTree.Element) throws(ListFileError) -> EntryType {
            guard let sub = try ref("PartySubType", profile, "PartySubTypeID") else { return .entity }
            switch try refText("PartySubType", profile, "PartySubTypeID").lowercased() {
            case "vessel": return .vessel
            case "aircraft": return .aircraft
            default: break
            }
            switch try refText("PartyType", sub, "PartyTypeID").lowercased() {
            case "individual": return .person
            case "entity": return .entity
            default: return .other
            }
        }

        /// Every documented name of an identity with its kind (`primary` for the primary alias' Latin names) and
        /// strength.
        private func identityNames(_ identity: XMLTree.Element) throws(ListFileError) -> [(String, String, AliasStrength)] {
            var groupType: [String: String] = [:]
            for g in identity.child("NamePartGroups")?.descendants("NamePartGroup") ?? [] {
                groupType[g.attr("ID")] = try refText("NamePartType", g, "NamePartTypeID")
            }
            var out: [(String, String, AliasStrength)] = []
            for alias in identity.children("Alias") {
                let weak = alias.attr("LowQuality") == "true"
                var kind: String
                switch try refText("AliasType", alias, "AliasTypeID").uppercased() {
                case "NAME": kind = alias.attr("Primary") == "true" ? "primary" : "aka"
                case "F.K.A.": kind = "fka"
                case "N.K.A.": kind = "nka"
                default: kind = "aka"
                }
                if weak, kind != "primary" { kind = "weak_" + kind }
                for dn in alias.children("DocumentedName") {
                    guard let n = try documentedName(dn, groupType) else { continue }
                    let k = n.latin ? kind : "original_script"
                    out.append((n.name, k, weak && k != "primary" ? .weak : .strong))
                }
            }
            return out
        }

        /// A documented name written as OFAC writes it in the CSV: `LAST, First Middle`, or an entity's, vessel's or
        /// aircraft's whole name; and whether it is in Latin script.
        private func documentedName(_ dn: XMLTree.Element, _ groupType: [String: String]) throws(ListFileError) -> (name: String, latin: Bool)? {
            var last: [String] = [], other: [String] = []
            var latin = true
            for v in dn.descendants("NamePartValue") {
                let text = v.text.collapsedWhitespace
                if text.isEmpty { continue }
                if let script = try ref("Script", v, "ScriptID"), script.attr("ScriptCode") != "Latn", script.text.trimmed != "Latin" {
                    latin = false
                }
                let group = v.attr("NamePartGroupID")
                var partType = ""
                if !group.isEmpty {
                    guard let t = groupType[group] else {
                        throw file.error(line: v.line, "<NamePartValue> NamePartGroupID=\"\(group)\" names no NamePartGroup of its Identity")
                    }
                    partType = t
                }
                if partType == "Last Name" { last.append(text) } else { other.append(text) }
            }
            let name = OFACXMLParser.joinName(last: last.joined(separator: " "), first: other.joined(separator: " "))
            return name.isEmpty ? nil : (name, latin)
        }

        private func addDocument(_ d: XMLTree.Element, to e: inout ListEntry) throws(ListFileError) {
            let label = try refText("IDRegDocType", d, "IDRegDocTypeID")
            let number = d.childText("IDRegistrationNo")
            if number.isEmpty { return }
            if label.uppercased().contains("SWIFT"), let bic = BIC.normalize(number) {
                e.bics.appendUnique(bic)
                return
            }
            var id = OFACRemarks.typed(label: label, value: number)
            if let c = try ref("Country", d, "IssuedBy-CountryID") { id.country = countryCode(c) }
            e.identifiers.appendUnique(id)
        }

        /// Features that the CSV carries too: countries, addresses, vessel data, digital currency addresses and
        /// labelled numbers; birth dates and places into `remarks`. Others (gender, title, website…) are left out.
        private mutating func addFeature(_ feature: XMLTree.Element, to e: inout ListEntry, remarks: inout [String]) throws(ListFileError) {
            let label = try refText("FeatureType", feature, "FeatureTypeID")
            let key = label.lowercased()
            for version in feature.children("FeatureVersion") {
                var detail = ""
                if let d = version.child("VersionDetail") {
                    let reference = try refText("DetailReference", d, "DetailReferenceID")
                    detail = reference.isEmpty ? d.text.collapsedWhitespace : reference
                }
                var place: (text: String, country: String?, countryName: String?)?
                if let vl = version.child("VersionLocation") { place = try location(vl) }
                switch key {
                case "birthdate", "date of birth":
                    if let p = version.child("DatePeriod"), let d = OFACAdvancedParser.date(p) { remarks.append("DOB " + d) }
                case "place of birth":
                    let t = place?.text ?? detail
                    if !t.isEmpty { remarks.append("POB " + t) }
                case "location":
                    if let place {
                        if !place.text.isEmpty { e.addresses.appendUnique(place.text) }
                        if let c = place.country { e.countries.appendUnique(c) }
                    }
                case "nationality country", "citizenship country", "nationality", "citizenship":
                    if let c = place?.country ?? Countries.codeOrName(detail) { e.countries.appendUnique(c) }
                case "vessel call sign", "call sign":
                    if !detail.isEmpty { e.identifiers.appendUnique(EntryIdentifier(type: "Call Sign", value: detail)) }
                case "vessel flag":
                    let flag = detail.isEmpty ? place?.countryName ?? "" : detail
                    if !flag.isEmpty { e.identifiers.appendUnique(EntryIdentifier(type: "Vessel Flag", value: flag, country: Countries.iso2(flag))) }
                case "vessel owner":
                    if !detail.isEmpty { e.identifiers.appendUnique(EntryIdentifier(type: "Vessel Owner", value: detail)) }
                case "swift/bic":
                    if let bic = BIC.normalize(detail) { e.bics.appendUnique(bic) }
                default:
                    guard !detail.isEmpty else { continue }
                    if key.hasPrefix("digital currency address") {
                        e.identifiers.appendUnique(EntryIdentifier(type: label, value: detail))
                    } else if OFACRemarks.labelled(Substring(label + " " + detail)) != nil {
                        e.identifiers.appendUnique(OFACRemarks.typed(label: label, value: detail))
                    }
                }
            }
        }

        /// A location as address text (`ADDRESS1, ADDRESS2, ADDRESS3, CITY, STATE/PROVINCE, POSTAL CODE`, other
        /// parts, country, the order of `sdn.xml`) and its country code (ISO where known) and name.
        private mutating func location(_ ref: XMLTree.Element) throws(ListFileError) -> (text: String, country: String?, countryName: String?) {
            let id = ref.attr("LocationID")
            if let done = renderedLocations[id] { return done }
            guard let l = locations[id] else {
                throw file.error(line: ref.line, "<\(ref.name)> LocationID=\"\(id)\" names no Location in <Locations>")
            }
            var parts: [(String, String)] = []
            for p in l.children("LocationPart") {
                let type = try refText("LocPartType", p, "LocPartTypeID").uppercased()
                let value = p.child("LocationPartValue")?.childText("Value") ?? ""
                if !value.isEmpty { parts.append((type, value)) }
            }
            let order = ["ADDRESS1", "ADDRESS2", "ADDRESS3", "CITY", "STATE/PROVINCE", "POSTAL CODE"]
            var text = order.flatMap { t in parts.filter { $0.0 == t }.map(\.1) }
            text += parts.filter { !order.contains($0.0) }.map(\.1)
            var code: String?, name: String?
            if let c = l.child("LocationCountry"), let country = try self.ref("Country", c, "CountryID") {
                name = country.text.collapsedWhitespace
                code = countryCode(country)
            } else if let a = l.child("LocationAreaCode"), let area = try self.ref("AreaCode", a, "AreaCodeID") {
                name = area.attr("Description")
                code = Countries.codeOrName(name ?? "")
            }
            if name?.lowercased() == "undetermined" { name = nil; code = nil }
            if let name, !name.isEmpty { text.append(name) }
            let done = (text.joined(separator: ", "), code, name)
            renderedLocations[id] = done
            return done
        }

        /// The ISO code of a Country value (its `ISO2` attribute, else its name looked up), else the name.
        private func countryCode(_ country: XMLTree.Element) -> String? {
            let iso = country.attr("ISO2").uppercased()
            if Countries.isCode(iso) { return iso }
            let name = country.text.collapsedWhitespace
            return name.lowercased() == "undetermined" ? nil : Countries.codeOrName(name)
        }
    }
}
