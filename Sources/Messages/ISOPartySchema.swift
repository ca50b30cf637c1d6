/// The content ISO 20022 allows inside party and agent blocks, so that a block the schema would reject is
/// refused (held as `unparseable`) rather than screened on what happened to be readable.
///
/// The union of the pacs.008/pacs.009 versions in use (001.02 to 001.12): `PartyIdentification` 32/135/272,
/// `BranchAndFinancialInstitutionIdentification` 4/6/8 with `FinancialInstitutionIdentification` 7/18/23,
/// `PostalAddress` 6/24/27, `Contact` 2/4/13. A text-bearing element (`leaf`) may not have children; any other
/// element may not have text; no element in these blocks has attributes; a child not listed is refused.
enum ISOPartySchema {
    /// The shape of an element's content.
    indirect enum Shape {
        case leaf
        /// Text, or these elements (an address type or scheme name is a code in older versions, a
        /// `Cd`/`Prtry` choice in newer ones).
        case leafOr([String: Shape])
        case elements([String: Shape])
    }

    static let code: Shape = .leafOr(["Cd": .leaf, "Prtry": .leaf])
    static let genericId: Shape = .elements(["Id": .leaf, "SchmeNm": code, "Issr": .leaf])
    static let postalAddress: Shape = .elements([
        "AdrTp": .leafOr(["Cd": .leaf, "Prtry": genericId]),
        "CareOf": .leaf, "Dept": .leaf, "SubDept": .leaf, "StrtNm": .leaf, "BldgNb": .leaf, "BldgNm": .leaf, "Flr": .leaf,
        "UnitNb": .leaf, "PstBx": .leaf, "Room": .leaf, "PstCd": .leaf, "TwnNm": .leaf, "TwnLctnNm": .leaf, "DstrctNm": .leaf,
        "CtrySubDvsn": .leaf, "Ctry": .leaf, "AdrLine": .leaf,
    ])
    static let contact: Shape = .elements([
        "NmPrfx": .leaf, "Nm": .leaf, "PhneNb": .leaf, "MobNb": .leaf, "FaxNb": .leaf, "URLAdr": .leaf, "EmailAdr": .leaf,
        "EmailPurp": .leaf, "JobTitl": .leaf, "Rspnsblty": .leaf, "Dept": .leaf, "PrefrdMtd": .leaf,
        "Othr": .elements(["ChanlTp": .leaf, "Id": .leaf]),
    ])
    /// `Dbtr`, `Cdtr`, `UltmtDbtr`, `UltmtCdtr`, `InitgPty` of a customer transfer.
    static let party: Shape = .elements([
        "Nm": .leaf, "PstlAdr": postalAddress, "CtryOfRes": .leaf, "CtctDtls": contact,
        "Id": .elements([
            "OrgId": .elements(["AnyBIC": .leaf, "BICOrBEI": .leaf, "LEI": .leaf, "Othr": genericId]),
            "PrvtId": .elements([
                "DtAndPlcOfBirth": .elements(["BirthDt": .leaf, "PrvcOfBirth": .leaf, "CityOfBirth": .leaf, "CtryOfBirth": .leaf]),
                "Othr": genericId,
            ]),
        ]),
    ])
    /// Every agent, and `Dbtr`/`Cdtr` of a bank-to-bank transfer.
    static let institution: Shape = .elements([
        "FinInstnId": .elements([
            "BICFI": .leaf, "BIC": .leaf, "LEI": .leaf, "Nm": .leaf, "PstlAdr": postalAddress, "Othr": genericId,
            "ClrSysMmbId": .elements(["ClrSysId": code, "MmbId": .leaf]),
        ]),
        "BrnchId": .elements(["Id": .leaf, "LEI": .leaf, "Nm": .leaf, "PstlAdr": postalAddress]),
    ])

    /// The first departure from `shape` in the subtree of `e`, as a sentence naming the element path.
    static func problem(in tree: XMLTree, _ e: Int, shape: Shape, path: String) -> String? {
        let node = tree.nodes[e]
        if let a = node.attributes.first(where: { $0.name != "xmlns" && !$0.name.hasPrefix("xmlns:") }) {
            return "\(path) has an attribute \(a.name), which the ISO 20022 schema does not allow there"
        }
        switch shape {
        case .leaf:
            if node.firstChild >= 0 { return "\(path)/\(tree.nodes[Int(node.firstChild)].name) is not allowed: \(path) holds text only" }
            return nil
        case .leafOr(let allowed):
            if node.firstChild < 0 { return nil }
            return problem(in: tree, e, shape: .elements(allowed), path: path)
        case .elements(let allowed):
            if !node.text.isEmpty { return "\(path) holds text where the ISO 20022 schema allows only elements" }
            for c in tree.children(e) {
                let name = tree.nodes[c].name
                guard let child = allowed[name] else { return "\(path)/\(name) is not an element the ISO 20022 schema allows there" }
                if let p = problem(in: tree, c, shape: child, path: path + "/" + name) { return p }
            }
            return nil
        }
    }
}
