import XML

/// The content ISO 20022 allows inside party, agent and account blocks, so that a block the schema would reject
/// is refused (held as `unparseable`) rather than screened on what happened to be readable.
///
/// The union of the pacs.008/pacs.009 versions in use (001.02 to 001.12) and of the head.001 `Fr`/`To`:
/// `PartyIdentification` 32/135/272, `BranchAndFinancialInstitutionIdentification` 4/6/8 with
/// `FinancialInstitutionIdentification` 7/18/23, `PostalAddress` 6/24/27, `Contact` 2/4/13, `CashAccount`
/// 16/24/38/40, `Party9Choice`/`Party44Choice`. Refused: an element not listed where it occurs, text in an
/// element that holds elements, an element inside one that holds text, any attribute (namespace declarations
/// aside), a code longer than the five characters of the longest code these blocks use, a country that is
/// not two letters, a BIC that is not 8 or 11 letters and digits.
///
/// Every text of a block is either read by the extractor (a name, an address part, a BIC: screened; an
/// identifier or account number: kept as such), a code or a date, or free text the extractor does not read
/// (contact details, issuers, proprietary scheme names, account holder names): the check collects the last
/// kind, and the extractor screens it as the party `<role>_contact`.
///
/// The model below is compiled once into a table indexed by the element codes the XML parser already gives
/// (`ISOName.table` includes `names`), so a check costs a table lookup per element and builds no string
/// unless the block is refused.
enum ISOPartySchema {
    /// What one element may hold.
    indirect enum Model: Sendable {
        /// Text the extractor reads into the party itself: name, address part, identifier, account number.
        case text
        /// Free text the extractor does not read: screened as the party `<role>_contact`.
        case screened
        /// An ISO 20022 or external code, or a date: at most five characters (no code in these blocks is
        /// longer), so no name fits in one.
        case code
        /// An ISO 3166 alpha-2 country code.
        case country
        /// A BIC or BEI.
        case bic
        /// Text as `leaf` says (a code in older versions, free text in `ContactDetails2/Othr`), or these elements.
        case either(Model, [String: Model])
        case elements([String: Model])
    }

    static let choice: Model = .either(.code, ["Cd": .code, "Prtry": .screened])
    /// `GenericIdentification` of an organisation, a person, an institution or an account: `Id` is read as the
    /// identifier or account number.
    static let genericId: Model = .elements(["Id": .text, "SchmeNm": choice, "Issr": .screened])
    static let postalAddress: Model = .elements([
        "AdrTp": .either(.code, ["Cd": .code, "Prtry": .elements(["Id": .screened, "Issr": .screened, "SchmeNm": .screened])]),
        "CareOf": .text, "Dept": .text, "SubDept": .text, "StrtNm": .text, "BldgNb": .text, "BldgNm": .text, "Flr": .text,
        "UnitNb": .text, "PstBx": .text, "Room": .text, "PstCd": .text, "TwnNm": .text, "TwnLctnNm": .text, "DstrctNm": .text,
        "CtrySubDvsn": .text, "Ctry": .country, "AdrLine": .text,
    ])
    static let contact: Model = .elements([
        "NmPrfx": .code, "Nm": .screened, "PhneNb": .screened, "MobNb": .screened, "FaxNb": .screened, "URLAdr": .screened,
        "EmailAdr": .screened, "EmailPurp": .screened, "JobTitl": .screened, "Rspnsblty": .screened, "Dept": .screened,
        "PrefrdMtd": .code, "Othr": .either(.screened, ["ChanlTp": .screened, "Id": .screened]),
    ])
    /// `Dbtr`, `Cdtr`, `UltmtDbtr`, `UltmtCdtr`, `InitgPty` of a customer transfer.
    static let party: Model = .elements([
        "Nm": .text, "PstlAdr": postalAddress, "CtryOfRes": .country, "CtctDtls": contact,
        "Id": .elements([
            "OrgId": .elements(["AnyBIC": .bic, "BICOrBEI": .bic, "LEI": .text, "Othr": genericId]),
            "PrvtId": .elements([
                "DtAndPlcOfBirth": .elements(["BirthDt": .text, "PrvcOfBirth": .screened, "CityOfBirth": .text, "CtryOfBirth": .country]),
                "Othr": genericId,
            ]),
        ]),
    ])
    /// Every agent, and `Dbtr`, `Cdtr`, `UltmtDbtr`, `UltmtCdtr` of a bank-to-bank transfer (pacs.009 outside
    /// `UndrlygCstmrCdtTrf`).
    static let institution: Model = .elements([
        "FinInstnId": .elements([
            "BICFI": .bic, "BIC": .bic, "LEI": .text, "Nm": .text, "PstlAdr": postalAddress, "Othr": genericId,
            "ClrSysMmbId": .elements(["ClrSysId": choice, "MmbId": .text]),
        ]),
        "BrnchId": .elements(["Id": .text, "LEI": .text, "Nm": .text, "PstlAdr": postalAddress]),
    ])
    /// `DbtrAcct`, `CdtrAcct`, `CdtrAgtAcct`, …: the holder's name (`Nm`) and proxy are screened.
    static let account: Model = .elements([
        "Id": .elements(["IBAN": .text, "Othr": genericId]), "Tp": choice, "Ccy": .code, "Nm": .screened,
        "Prxy": .elements(["Tp": choice, "Id": .screened]),
    ])
    /// The business application header's `Fr` and `To`.
    static let headerParty: Model = .elements(["OrgId": party, "FIId": institution])

    // MARK: The compiled table

    /// The first element code of `names` (below it are the codes of `ISOName`).
    static let codeBase: UInt16 = 0x100

    /// What a compiled shape holds; the leaf cases are those of `Model`.
    enum Content: UInt8, Sendable {
        case text, screened, code, country, bic
        /// The shape's `leaf` when the element has no children, else elements.
        case either
        case elements
    }

    /// A compiled `Model`: an index into `Table`'s arrays.
    struct Shape: Equatable, Sendable {
        var id: UInt8
    }

    struct Table: Sendable {
        /// Every element name the model lists; the one at index k has the code `codeBase + k`.
        var names: [String] = []
        var content: [Content] = []
        /// For `.either` shapes, the content of the text-only form.
        var leaf: [Content] = []
        /// `children[shape * names.count + k]` is the shape of child `names[k]`, plus one; 0 when not allowed.
        var children: [UInt8] = []
        var party = Shape(id: 0), institution = Shape(id: 0), account = Shape(id: 0), headerParty = Shape(id: 0)
    }

    static let table: Table = {
        var t = Table()
        var index: [String: Int] = [:]
        func collectNames(_ m: Model) {
            switch m {
            case .text, .screened, .code, .country, .bic: break
            case .either(_, let kids), .elements(let kids):
                for (name, kid) in kids.sorted(by: { $0.key < $1.key }) {
                    if index[name] == nil { index[name] = t.names.count; t.names.append(name) }
                    collectNames(kid)
                }
            }
        }
        for m in [party, institution, account, headerParty] { collectNames(m) }
        let n = t.names.count
        func leafContent(_ m: Model) -> Content {
            switch m {
            case .text: .text
            case .screened: .screened
            case .code: .code
            case .country: .country
            case .bic: .bic
            case .either, .elements: preconditionFailure("an either's text form must be a leaf")
            }
        }
        func newShape(_ content: Content, leaf: Content) -> Int {
            let id = t.content.count
            precondition(id < 255, "too many shapes for UInt8")
            t.content.append(content)
            t.leaf.append(leaf)
            t.children.append(contentsOf: repeatElement(0, count: n))
            return id
        }
        // One shape per kind of leaf, shared.
        let leaves: [Content] = [.text, .screened, .code, .country, .bic]
        for c in leaves { _ = newShape(c, leaf: c) }
        func compile(_ m: Model) -> Shape {
            switch m {
            case .either(let leaf, let kids):
                let id = newShape(.either, leaf: leafContent(leaf))
                for (name, kid) in kids { t.children[id * n + index[name]!] = compile(kid).id + 1 }
                return Shape(id: UInt8(id))
            case .elements(let kids):
                let id = newShape(.elements, leaf: .text)
                for (name, kid) in kids { t.children[id * n + index[name]!] = compile(kid).id + 1 }
                return Shape(id: UInt8(id))
            default:
                return Shape(id: UInt8(leaves.firstIndex(of: leafContent(m))!))
            }
        }
        t.party = compile(party)
        t.institution = compile(institution)
        t.account = compile(account)
        // The header's choice points at the two shapes above rather than compiling them again.
        let header = newShape(.elements, leaf: .text)
        t.children[header * n + index["OrgId"]!] = t.party.id + 1
        t.children[header * n + index["FIId"]!] = t.institution.id + 1
        t.headerParty = Shape(id: UInt8(header))
        return t
    }()

    /// The element names of the model with their codes, for the XML parser's name table.
    static var names: [String: UInt16] {
        var out: [String: UInt16] = [:]
        for (k, name) in table.names.enumerated() { out[name] = codeBase + UInt16(k) }
        return out
    }

    // MARK: Checking a block

    /// Where a block departs from the schema: the element (or attribute) at fault, and how.
    struct Problem {
        enum Kind {
            case attribute(Int)
            case textAmongElements
            case elementInText
            case notAllowed
            case notACode
            case notACountry
            case notABIC
        }
        var node: Int
        var kind: Kind
    }

    /// Checks the element `e` and everything under it against `shape`, appending the lines of every free text
    /// the extractor does not read to `screened` (see the type's comment), in document order.
    static func check(_ tree: XMLTree, _ e: Int, _ shape: Shape, screened: inout [String]) -> Problem? {
        tree.nodes.withUnsafeBufferPointer { nodes in
            table.children.withUnsafeBufferPointer { children in
                check(nodes, children, e, shape.id, screened: &screened)
            }
        }
    }

    private static func check(_ nodes: UnsafeBufferPointer<XMLNode>, _ children: UnsafeBufferPointer<UInt8>, _ e: Int, _ shape: UInt8,
                              screened: inout [String]) -> Problem? {
        if !nodes[e].attributes.isEmpty {
            for (k, a) in nodes[e].attributes.enumerated() where !isNamespaceDeclaration(a.name) {
                return Problem(node: e, kind: .attribute(k))
            }
        }
        var content = table.content[Int(shape)]
        if content == .either { content = nodes[e].firstChild < 0 ? table.leaf[Int(shape)] : .elements }
        switch content {
        case .elements, .either:
            if !nodes[e].text.isEmpty { return Problem(node: e, kind: .textAmongElements) }
            let n = table.names.count
            var c = nodes[e].firstChild
            while c >= 0 {
                let k = Int(nodes[Int(c)].code) - Int(codeBase)
                guard k >= 0, k < n else { return Problem(node: Int(c), kind: .notAllowed) }
                let child = children[Int(shape) * n + k]
                guard child > 0 else { return Problem(node: Int(c), kind: .notAllowed) }
                if let p = check(nodes, children, Int(c), child - 1, screened: &screened) { return p }
                c = nodes[Int(c)].nextSibling
            }
            return nil
        case .text, .screened, .code, .country, .bic:
            if nodes[e].firstChild >= 0 { return Problem(node: Int(nodes[e].firstChild), kind: .elementInText) }
            let text = nodes[e].text
            if text.isEmpty { return nil }
            switch content {
            case .screened: screened.append(contentsOf: ISOExtractor.lines(text))
            case .code: if text.utf8.count > 5 { return Problem(node: e, kind: .notACode) }
            case .country: if !isCountry(text) { return Problem(node: e, kind: .notACountry) }
            case .bic: if !isBIC(text) { return Problem(node: e, kind: .notABIC) }
            default: break
            }
            return nil
        }
    }

    static func isNamespaceDeclaration(_ name: String) -> Bool {
        name == "xmlns" || name.utf8.starts(with: "xmlns:".utf8)
    }

    /// Two ASCII letters (either case: screening upper-cases countries).
    static func isCountry(_ s: String) -> Bool {
        var n = 0
        for c in s.utf8 {
            guard (c | 0x20) &- 0x61 < 26 else { return false }
            n += 1
        }
        return n == 2
    }

    /// Four letters or digits, two letters (the country), two letters or digits, and an optional branch of three
    /// (either case: screening upper-cases BICs).
    static func isBIC(_ s: String) -> Bool {
        var n = 0
        for c in s.utf8 {
            let letter = (c | 0x20) &- 0x61 < 26
            guard letter || (Bytes.isDigit(c) && !(4...5).contains(n)) else { return false }
            n += 1
        }
        return n == 8 || n == 11
    }

    /// The problem as a sentence naming the element path, from `prefix` and the block element `block` down.
    ///
    /// Names only, never the text of the message; and, like every parse error's reason, short and ASCII: a
    /// name is cut to 35 characters (an unknown element's name can have any length) with `?` for each
    /// non-ASCII character, and a path too long for `maxReason` loses its start.
    static func describe(_ p: Problem, in tree: XMLTree, block: Int, prefix: String) -> String {
        func path(_ node: Int) -> String {
            var names: [String] = []
            var k = node
            while k > block {
                names.append(shown(tree.nodes[k].name, limit: 35))
                k = Int(tree.nodes[k].parent)
            }
            names.append(shown(tree.nodes[block].name, limit: 35))
            return prefix + names.reversed().joined(separator: "/")
        }
        let here = path(p.node)
        switch p.kind {
        case .attribute(let k):
            return sentence(here, " has an attribute \(shown(tree.nodes[p.node].attributes[k].name, limit: 20)), which the schema does not allow")
        case .textAmongElements:
            return sentence(here, " holds text where the ISO 20022 schema allows only elements")
        case .elementInText:
            let parent = shown(tree.nodes[Int(tree.nodes[p.node].parent)].name, limit: 35)
            return sentence(here, " is not allowed: \(parent) holds text only")
        case .notAllowed:
            return sentence(here, " is not an element the ISO 20022 schema allows there")
        case .notACode:
            return sentence(here, " is longer than an ISO 20022 code")
        case .notACountry:
            return sentence(here, " is not a country code (two letters)")
        case .notABIC:
            return sentence(here, " is not a BIC (8 or 11 letters and digits)")
        }
    }

    /// The longest reason `describe` returns, in bytes.
    static let maxReason = 100

    /// `path` then `rest`, the path's start replaced by `...` when both would not fit in `maxReason` bytes.
    static func sentence(_ path: String, _ rest: String) -> String {
        let room = maxReason - rest.utf8.count
        guard path.utf8.count > room else { return path + rest }
        return "..." + String(decoding: path.utf8.suffix(room - 3), as: UTF8.self) + rest
    }

    /// A name as an error shows it: ASCII (`?` for each non-ASCII character), at most `limit` characters.
    static func shown(_ name: String, limit: Int) -> String {
        var out: [UInt8] = []
        for c in name.utf8 where out.count < limit {
            if c < 0x80 { out.append(c) } else if c >= 0xC0 { out.append(UInt8(ascii: "?")) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
