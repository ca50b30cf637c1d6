import XML

/// Extracts a `Payment` from an ISO 20022 pacs.008 or pacs.009 document (any version, any wrapper).
///
/// The document may stand alone (`<Document>`) or sit in any wrapper element (`<Envelope>`, `<message>`) next to
/// a head.001 business application header, whose `Fr` and `To` become the `sender` and `receiver` agents. Element
/// names are matched without their namespace prefix. The business message is the only child of `Document`, or,
/// without a `Document`, the first `FIToFICstmrCdtTrf`/`FICdtTrf` element; it must be of the expected type (a
/// pacs.004 return, for instance, is `.wrongMessageType`), and so must the header's `MsgDefIdr` and the document
/// namespace when they name a message.
///
/// Every party and agent of every transaction goes into `parties`, in document order; roles inside
/// `UndrlygCstmrCdtTrf` (the customer payment a pacs.009 COV covers) get the prefix `underlying_`, like MT202COV
/// sequence B. A `Dbtr`/`Cdtr` identified by `FinInstnId` (pacs.009 bank-to-bank) is an agent with role
/// `debtor_institution`/`creditor_institution`. Besides the roles of `Party.role`, pacs.008 settlement
/// information can name `instructing_reimbursement_agent`, `instructed_reimbursement_agent`,
/// `third_reimbursement_agent`, and charges information `charges_agent`.
///
/// Every party, agent and account block, and the header's `Fr`/`To`, must follow the schema (`ISOPartySchema`),
/// and every party or agent must name someone: a customer by a name, BIC, other identifier or account, an
/// institution by a BIC, name, LEI, clearing or other id. Otherwise the message is refused as `.invalidField`
/// with the element path, so that nothing the parser could not read is released unscreened. The block's free
/// texts that are not its own name or address (contact details, issuers, account holder names) become the
/// party `<role>_contact`, screened like any other.
enum ISOParser {
    /// The XML parser's limits for a payment message, and the names the extractor switches on.
    static let xml = XMLParser.Configuration(maxDepth: 64, maxElements: 100_000, maxAttributes: 32, names: ISOName.lookup)

    static func parse(_ b: UnsafeBufferPointer<UInt8>, expected: MessageFormat) throws(MessageParseError) -> Payment {
        let tree: XMLTree
        do {
            tree = try XMLParser.parse(b, xml)
        } catch {
            throw MessageParseError(xml: error)
        }
        var extractor = ISOExtractor(tree: tree, format: expected)
        return try extractor.run()
    }
}

extension MessageParseError {
    /// The hold reason for a document the XML parser refused; the reason names no document text.
    init(xml error: XMLError) {
        let code: Code = switch error.category {
        case .forbidden: .forbiddenXML
        case .tooDeep: .tooDeep
        case .tooLarge: .tooLarge
        case .malformed: .malformedXML
        }
        self.init(code, error.description)
    }
}

/// Element names the extractor's walk acts on, numbered once per element by the XML parser.
enum ISOName: UInt16 {
    case unknown = 0
    case document, appHdr, fiToFICstmrCdtTrf, fiCdtTrf, grpHdr, cdtTrfTxInf, undrlygCstmrCdtTrf, msgId, pmtId
    case intrBkSttlmAmt, ttlIntrBkSttlmAmt, rmtInf, rltdRmtInf, purp, ctgyPurp, instrForCdtrAgt, instrForNxtAgt
    case rgltryRptg, tax, splmtryData

    /// A customer element (`Dbtr`, `Cdtr`, `UltmtDbtr`, `UltmtCdtr`, `InitgPty`) has the code `partyBase + k`,
    /// `ISOExtractor.partyRoles[k]` its role; an agent element (`DbtrAgt`, `IntrmyAgt1`, ...) `agentBase + k`
    /// (`agentRoles[k]`); an account element (`DbtrAcct`, `CdtrAgtAcct`, ...) `accountBase + k`, the account of
    /// the element `accountOwners[k]`. So the walk neither compares nor hashes their names.
    static let partyBase: UInt16 = 0x20
    static let agentBase: UInt16 = 0x40
    static let accountBase: UInt16 = 0x60

    /// `k` when `code` is `base + k` for one of `count` elements.
    @inline(__always) static func offset(_ code: UInt16, _ base: UInt16, _ count: Int) -> Int? {
        let k = Int(code) - Int(base)
        return k >= 0 && k < count ? k : nil
    }

    /// `table` as the XML parser looks names up.
    static let lookup = XMLNameTable(table)

    static let table: [String: UInt16] = {
        let t: [String: ISOName] = [
            "Document": .document, "AppHdr": .appHdr, "FIToFICstmrCdtTrf": .fiToFICstmrCdtTrf, "FICdtTrf": .fiCdtTrf,
            "GrpHdr": .grpHdr, "CdtTrfTxInf": .cdtTrfTxInf, "UndrlygCstmrCdtTrf": .undrlygCstmrCdtTrf, "MsgId": .msgId,
            "PmtId": .pmtId, "IntrBkSttlmAmt": .intrBkSttlmAmt, "TtlIntrBkSttlmAmt": .ttlIntrBkSttlmAmt, "RmtInf": .rmtInf,
            "RltdRmtInf": .rltdRmtInf, "Purp": .purp, "CtgyPurp": .ctgyPurp, "InstrForCdtrAgt": .instrForCdtrAgt,
            "InstrForNxtAgt": .instrForNxtAgt, "RgltryRptg": .rgltryRptg, "Tax": .tax, "SplmtryData": .splmtryData,
        ]
        var codes = t.mapValues(\.rawValue)
        precondition(codes.values.allSatisfy { $0 < partyBase } && ISOExtractor.partyRoles.count <= Int(agentBase - partyBase)
                     && ISOExtractor.agentRoles.count <= Int(accountBase - agentBase)
                     && Int(accountBase) + ISOExtractor.accountOwners.count <= Int(ISOPartySchema.codeBase), "element codes overlap")
        for (k, p) in ISOExtractor.partyRoles.enumerated() { codes[p.element] = partyBase + UInt16(k) }
        for (k, a) in ISOExtractor.agentRoles.enumerated() { codes[a.element] = agentBase + UInt16(k) }
        for (k, o) in ISOExtractor.accountOwners.enumerated() { codes[o + "Acct"] = accountBase + UInt16(k) }
        // The names inside party, agent and account blocks, numbered for the schema check (from 0x100 up).
        for (name, code) in ISOPartySchema.names {
            precondition(codes[name] == nil, "\(name) is both a name the walk acts on and one inside a party block")
            codes[name] = code
        }
        return codes
    }()
}

/// Walks a parsed pacs document and collects parties, agents, texts, amount and references.
struct ISOExtractor {
    let tree: XMLTree
    var payment: Payment
    /// Index into `payment.parties` of the last party read from each element name (with prefix), so that the
    /// account element that follows it (`DbtrAcct` after `Dbtr`) can be attached. A few entries: an array.
    var lastPartyByElement: [(element: String, party: Int)] = []
    /// Customers that name nobody so far (no name, BIC or other identifier), with their element path: `run`
    /// refuses the message unless an account was attached to them.
    var unnamed: [(party: Int, path: String)] = []

    init(tree: XMLTree, format: MessageFormat) {
        self.tree = tree
        self.payment = Payment(format: format, transactionCount: 0)
        payment.parties.reserveCapacity(12)
    }

    /// Agent elements and their roles (an element's code is `ISOName.agentBase` plus its place here).
    static let agentRoles: [(element: String, role: String)] = [
        ("DbtrAgt", "debtor_agent"), ("CdtrAgt", "creditor_agent"),
        ("IntrmyAgt1", "intermediary_agent_1"), ("IntrmyAgt2", "intermediary_agent_2"), ("IntrmyAgt3", "intermediary_agent_3"),
        ("InstgAgt", "instructing_agent"), ("InstdAgt", "instructed_agent"),
        ("PrvsInstgAgt1", "previous_instructing_agent_1"), ("PrvsInstgAgt2", "previous_instructing_agent_2"),
        ("PrvsInstgAgt3", "previous_instructing_agent_3"),
        ("InstgRmbrsmntAgt", "instructing_reimbursement_agent"), ("InstdRmbrsmntAgt", "instructed_reimbursement_agent"),
        ("ThrdRmbrsmntAgt", "third_reimbursement_agent"), ("Agt", "charges_agent"),
    ]
    /// Customer elements and their roles (code: `ISOName.partyBase` plus the place here).
    static let partyRoles: [(element: String, role: String)] = [
        ("Dbtr", "debtor"), ("Cdtr", "creditor"), ("UltmtDbtr", "ultimate_debtor"), ("UltmtCdtr", "ultimate_creditor"),
        ("InitgPty", "initiating_party"),
    ]
    /// The elements whose account follows them as `<element>Acct` (code: `ISOName.accountBase` plus the place here).
    static let accountOwners: [String] = ["Dbtr", "Cdtr", "UltmtDbtr", "UltmtCdtr"] + agentRoles.map(\.element)

    var expectedRoot: String { payment.format == .pacs008 ? "FIToFICstmrCdtTrf" : "FICdtTrf" }
    var expectedFamily: String { payment.format.rawValue }

    mutating func run() throws(MessageParseError) -> Payment {
        let nodes = tree.nodes
        var documents: [Int] = []
        var header: Int? = nil
        for k in nodes.indices {
            if nodes[k].name == "Document" { documents.append(k) }
            if header == nil, nodes[k].name == "AppHdr" { header = k }
        }
        guard documents.count <= 1 else { throw MessageParseError(.wrongMessageType, "more than one document") }
        let root: Int
        if let doc = documents.first {
            let kids = Array(tree.children(doc))
            guard kids.count == 1 else { throw MessageParseError(.wrongMessageType, "document must hold one message") }
            root = kids[0]
            try checkNamespace(doc)
        } else if let r = nodes.indices.first(where: { nodes[$0].name == "FIToFICstmrCdtTrf" || nodes[$0].name == "FICdtTrf" }) {
            root = r
        } else {
            throw MessageParseError(.wrongMessageType, "no \(expectedFamily) document")
        }
        guard nodes[root].name == expectedRoot else {
            throw MessageParseError(.wrongMessageType, "document is not a \(expectedFamily) \(expectedRoot)")
        }
        try checkNamespace(root)
        if let h = header, !tree.isDescendant(h, of: root) {
            try appHeader(h)
        }
        walk(root, prefix: "")
        for u in unnamed where payment.parties[u.party].account == nil {
            refuse("\(u.path) names nobody (no name, BIC, other identifier or account)")
        }
        guard !invalidAmount else { throw MessageParseError(.invalidField, "invalid settlement amount or currency") }
        if let partyProblem { throw MessageParseError(.invalidField, partyProblem) }
        try checkTransactions(root)
        return payment
    }

    /// A namespace declared on the element that names another pacs message is a type mismatch.
    func checkNamespace(_ e: Int) throws(MessageParseError) {
        for a in tree.nodes[e].attributes where a.name == "xmlns" || a.name.hasPrefix("xmlns:") {
            if Self.contains(a.value, "pacs."), !Self.contains(a.value, expectedFamily + ".") {
                throw MessageParseError(.wrongMessageType, "namespace is not \(expectedFamily)")
            }
        }
    }

    /// Whether `needle` occurs in `haystack`, byte for byte (the generic `String.contains` of a string is
    /// many times slower, and this runs for every message).
    static func contains(_ haystack: String, _ needle: String) -> Bool {
        var haystack = haystack, needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in
                guard !n.isEmpty else { return true }
                guard h.count >= n.count else { return false }
                for i in 0...(h.count - n.count) where h[i] == n[0] && UnsafeBufferPointer(rebasing: h[i..<(i + n.count)]).elementsEqual(n) {
                    return true
                }
                return false
            }
        }
    }

    /// Mandatory content: at least one transaction, each with its debtor and creditor (and those of the
    /// underlying customer transfer of a COV).
    func checkTransactions(_ root: Int) throws(MessageParseError) {
        var count = 0
        for tx in tree.children(root) where tree.nodes[tx].name == "CdtTrfTxInf" {
            count += 1
            guard tree.child(tx, "Dbtr") != nil else { throw MessageParseError(.missingField, "missing Dbtr") }
            guard tree.child(tx, "Cdtr") != nil else { throw MessageParseError(.missingField, "missing Cdtr") }
            if let u = tree.child(tx, "UndrlygCstmrCdtTrf") {
                guard tree.child(u, "Dbtr") != nil, tree.child(u, "Cdtr") != nil else {
                    throw MessageParseError(.missingField, "missing Dbtr or Cdtr in UndrlygCstmrCdtTrf")
                }
            }
        }
        guard count > 0 else { throw MessageParseError(.missingField, "missing CdtTrfTxInf") }
    }

    mutating func appHeader(_ h: Int) throws(MessageParseError) {
        for c in tree.children(h) {
            switch tree.nodes[c].name {
            case "Fr", "To":
                headerParty(c)
            case "MsgDefIdr":
                let def = tree.nodes[c].text
                if def.hasPrefix("pacs."), !def.hasPrefix(expectedFamily + ".") {
                    throw MessageParseError(.wrongMessageType, "header message definition is not \(expectedFamily)")
                }
            case "BizMsgIdr":
                if payment.reference == nil, !tree.nodes[c].text.isEmpty { payment.reference = tree.nodes[c].text }
            default:
                break
            }
        }
    }

    /// The header's `Fr` or `To`: one `FIId` (an institution) or one `OrgId` (an organisation), checked like
    /// the blocks of the document.
    mutating func headerParty(_ e: Int) {
        let name = tree.nodes[e].name
        let path = "AppHdr/" + name
        guard let screened = checked(e, ISOPartySchema.table.headerParty, prefix: "AppHdr/") else { return }
        let id = Int(tree.nodes[e].firstChild)
        guard id >= 0, tree.nodes[id].nextSibling < 0 else { return refuse("\(path) must hold one FIId or OrgId") }
        var p = Party(role: name == "Fr" ? "sender" : "receiver", kind: .agent, sourceField: path)
        let named: Bool
        if tree.nodes[id].name == "FIId" {
            guard tree.child(id, "FinInstnId") != nil else { return refuse("\(path)/FIId has no FinInstnId") }
            institution(id, into: &p)
            named = Self.namesInstitution(p)
        } else {
            partyDetails(id, into: &p)
            named = !(p.nameLines.isEmpty && p.bic == nil && p.identifiers.isEmpty)
        }
        guard named else { return refuse("\(path) names nobody (no BIC, name or other identifier)") }
        append(consume p, element: nil, contact: screened)
    }

    mutating func walk(_ e: Int, prefix: String) {
        for c in tree.children(e) {
            let code = tree.nodes[c].code
            if let k = ISOName.offset(code, ISOName.partyBase, Self.partyRoles.count) {
                party(c, role: Self.partyRoles[k].role, prefix: prefix)
                continue
            }
            if let k = ISOName.offset(code, ISOName.agentBase, Self.agentRoles.count) {
                agent(c, role: prefix + Self.agentRoles[k].role, prefix: prefix)
                continue
            }
            if let k = ISOName.offset(code, ISOName.accountBase, Self.accountOwners.count) {
                account(c, owner: prefix + Self.accountOwners[k], prefix: prefix)
                continue
            }
            switch ISOName(rawValue: code) ?? .unknown {
            case .cdtTrfTxInf:
                if prefix.isEmpty { payment.transactionCount += 1 }
                walk(c, prefix: prefix)
            case .undrlygCstmrCdtTrf:
                walk(c, prefix: "underlying_")
            case .msgId:
                if tree.nodes[e].code == ISOName.grpHdr.rawValue, !tree.nodes[c].text.isEmpty { payment.reference = tree.nodes[c].text }
            case .pmtId:
                if payment.uetr == nil { payment.uetr = tree.childText(c, "UETR") }
                if payment.reference == nil { payment.reference = tree.childText(c, "InstrId") }
            case .intrBkSttlmAmt, .ttlIntrBkSttlmAmt:
                // The group total, when given, is the message's settlement amount; else the first transaction's.
                let isTotal = tree.nodes[c].code == ISOName.ttlIntrBkSttlmAmt.rawValue
                if prefix.isEmpty, payment.amount == nil || (isTotal && !amountIsTotal) {
                    amountIsTotal = isTotal
                    payment.amount = tree.nodes[c].text
                    payment.currency = tree.nodes[c].attributes.first { $0.name == "Ccy" }?.value
                }
                if !Self.isAmount(tree.nodes[c].text) || !Self.isCurrency(tree.nodes[c].attributes.first { $0.name == "Ccy" }?.value) {
                    invalidAmount = true
                }
            case .tax, .splmtryData:
                // Tax parties carry tax ids only; supplementary data has no defined content.
                break
            case .rmtInf, .rltdRmtInf:
                remittance(c, prefix: prefix)
            case .purp, .ctgyPurp:
                addText(prefix + "purpose", tree.nodes[c].name, lines: leafTexts(c))
            case .instrForCdtrAgt, .instrForNxtAgt:
                addText(prefix + "instructions", tree.nodes[c].name, lines: leafTexts(c))
            case .rgltryRptg:
                addText(prefix + "regulatory_reporting", tree.nodes[c].name, lines: leafTexts(c))
            default:
                if tree.nodes[c].firstChild >= 0 { walk(c, prefix: prefix) }
            }
        }
    }

    var amountIsTotal = false
    /// Set when a settlement amount is not a decimal number with a currency code; `run` then refuses the message.
    var invalidAmount = false
    /// The first party or agent block the schema would reject; `run` then refuses the message.
    var partyProblem: String?

    mutating func refuse(_ problem: String) {
        if partyProblem == nil { partyProblem = problem }
    }

    /// `ActiveCurrencyAndAmount`: digits with at most one '.' between digits.
    static func isAmount(_ s: String) -> Bool {
        var digits = 0
        var point = false
        for c in s.utf8 {
            if Bytes.isDigit(c) { digits += 1 } else if c == UInt8(ascii: "."), !point, digits > 0 { point = true } else { return false }
        }
        return digits > 0 && s.utf8.last.map(Bytes.isDigit) == true && s.utf8.count <= 19
    }

    static func isCurrency(_ s: String?) -> Bool {
        guard let s, s.utf8.count == 3 else { return false }
        return s.utf8.allSatisfy(Bytes.isUpper)
    }

    /// Appends a party (remembered as the one read from `element`, for its account), and after it its contact
    /// `<role>_contact` when the block has free text to screen.
    @discardableResult
    mutating func append(_ p: consuming Party, element: String?, contact: [String]) -> Int {
        let index = payment.parties.count
        if let element {
            if let k = lastPartyByElement.firstIndex(where: { $0.element == element }) {
                lastPartyByElement[k].party = index
            } else {
                lastPartyByElement.append((element, index))
            }
        }
        payment.parties.append(p)
        if !contact.isEmpty { appendContact(contact, of: index) }
        return index
    }

    /// Adds lines to the contact of the party at `owner`: the party right after it, or a new one.
    mutating func appendContact(_ lines: [String], of owner: Int) {
        // The owner's fields read one by one: a copy of the whole party costs more than the rest of this.
        let role = payment.parties[owner].role + "_contact"
        if owner + 1 < payment.parties.count, payment.parties[owner + 1].role == role {
            payment.parties[owner + 1].nameLines.append(contentsOf: lines)
        } else {
            var c = Party(role: role, kind: payment.parties[owner].kind, sourceField: payment.parties[owner].sourceField)
            c.nameLines = lines
            payment.parties.append(c)
        }
    }

    /// Whether an institution read by `institution` is named: by a BIC, a name (its own or its branch's), an LEI,
    /// a clearing member id or another id; a branch id alone names a branch of nobody.
    static func namesInstitution(_ p: Party) -> Bool {
        p.bic != nil || !p.nameLines.isEmpty || p.identifiers.contains { !$0.hasPrefix("BRNCH:") }
    }

    /// Checks the block `e` against `shape` (see `ISOPartySchema`): its free texts to screen as the party's
    /// contact, or nil, the problem noted, when the schema would reject it.
    mutating func checked(_ e: Int, _ shape: ISOPartySchema.Shape, prefix: String) -> [String]? {
        var screened: [String] = []
        if let problem = ISOPartySchema.check(tree, e, shape, screened: &screened) {
            refuse(ISOPartySchema.describe(problem, in: tree, block: e, prefix: prefix))
            return nil
        }
        return screened
    }

    mutating func addText(_ field: String, _ source: String, lines: [String]) {
        guard !lines.isEmpty else { return }
        payment.texts.append(FreeText(field: field, sourceField: source, lines: lines))
    }

    /// `Ustrd` lines are kept one per element; structured remittance contributes the text of every leaf.
    mutating func remittance(_ e: Int, prefix: String) {
        let field = prefix.isEmpty ? "remittance" : "underlying_remittance"
        let source = tree.nodes[e].name
        var unstructured: [String] = []
        for c in tree.children(e) {
            if tree.nodes[c].name == "Ustrd" {
                Self.appendLines(tree.nodes[c].text, to: &unstructured)
            } else {
                addText(field, source + "/" + tree.nodes[c].name, lines: leafTexts(c))
            }
        }
        addText(field, source + "/Ustrd", lines: unstructured)
    }

    /// The text of `e` and of every element under it, split into lines.
    func leafTexts(_ e: Int) -> [String] {
        var out = lines(tree.nodes[e].text)
        for d in tree.descendants(e) { Self.appendLines(tree.nodes[d].text, to: &out) }
        return out
    }

    /// Splits element text at line breaks, trimming each line and dropping blank ones.
    func lines(_ text: String) -> [String] { Self.lines(text) }

    static func lines(_ text: String) -> [String] {
        var out: [String] = []
        appendLines(text, to: &out)
        return out
    }

    /// Appends the lines of `text` (`lines(_:)`) to `out`, with no array of its own for the usual one-line text.
    static func appendLines(_ text: String, to out: inout [String]) {
        guard !text.isEmpty else { return }
        guard text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else { return out.append(text) }
        for line in text.split(whereSeparator: \.isNewline) {
            let t = line.trimmingWhitespace()
            if !t.isEmpty { out.append(String(t)) }
        }
    }

    /// A `Dbtr`, `Cdtr`, ultimate party or initiating party: a customer, or, in a bank-to-bank pacs.009 (outside
    /// `UndrlygCstmrCdtTrf`), an institution.
    ///
    /// A block the schema would reject is refused; so is a customer that names nobody (no name, BIC, other
    /// identifier, nor an account after it: checked by `run`). Free texts the extractor does not read (contact
    /// details, identifiers' issuers and proprietary schemes) are screened as the party `<role>_contact`.
    mutating func party(_ e: Int, role: String, prefix: String) {
        let name = tree.nodes[e].name
        if payment.format == .pacs009, prefix.isEmpty, name != "InitgPty" {
            agent(e, role: role + (name == "Dbtr" || name == "Cdtr" ? "_institution" : ""), prefix: prefix)
            return
        }
        guard let screened = checked(e, ISOPartySchema.table.party, prefix: prefix) else { return }
        var p = Party(role: prefix + role, kind: .party, sourceField: name)
        partyDetails(e, into: &p)
        let namesNobody = p.nameLines.isEmpty && p.bic == nil && p.identifiers.isEmpty
        let index = append(consume p, element: prefix + name, contact: screened)
        if namesNobody { unnamed.append((index, prefix + name)) }
    }

    /// An agent, or a bank-to-bank debtor or creditor: a `FinInstnId` (and `BrnchId`) that names an institution.
    mutating func agent(_ e: Int, role: String, prefix: String) {
        let name = tree.nodes[e].name
        guard let screened = checked(e, ISOPartySchema.table.institution, prefix: prefix) else { return }
        guard tree.child(e, "FinInstnId") != nil else { return refuse("\(prefix + name) has no FinInstnId") }
        var p = Party(role: role, kind: .agent, sourceField: name)
        institution(e, into: &p)
        guard Self.namesInstitution(p) else {
            return refuse("\(prefix + name) names no institution (no BIC, name, LEI, clearing or other id)")
        }
        append(consume p, element: prefix + name, contact: screened)
    }

    /// PartyIdentification: `Nm`, `PstlAdr`, `Id` (organisation or private), `CtryOfRes`, contact details.
    func partyDetails(_ e: Int, into p: inout Party) {
        for c in tree.children(e) {
            let node = tree.nodes[c]
            switch node.name {
            case "Nm": Self.appendLines(node.text, to: &p.nameLines)
            case "PstlAdr": address(c, into: &p)
            case "CtryOfRes": if !node.text.isEmpty { p.otherCountries.append(node.text) }
            case "Id": identification(c, into: &p)
            case "CtctDtls":
                // Screened as the `<role>_contact` party (see `ISOPartySchema`); kept with the raw lines as written.
                if let n = tree.childText(c, "Nm") { p.rawLines.append(n) }
            default: break
            }
        }
    }

    /// `Id` of a party: `OrgId` (AnyBIC, LEI, Othr) or `PrvtId` (DtAndPlcOfBirth, Othr).
    func identification(_ e: Int, into p: inout Party) {
        for d in tree.descendants(e) {
            let node = tree.nodes[d]
            guard !node.text.isEmpty else { continue }
            switch node.name {
            case "AnyBIC", "BICOrBEI", "BIC":
                if p.bic == nil { p.bic = node.text } else { p.identifiers.append("BIC:" + node.text) }
            case "LEI": p.identifiers.append("LEI:" + node.text)
            case "BirthDt": p.identifiers.append("DOB:" + node.text)
            case "CityOfBirth": p.identifiers.append("POB:" + node.text)
            case "CtryOfBirth": p.otherCountries.append(node.text)
            case "Id":
                // Othr/Id, with its scheme when given: "TXID:12345" or "ID:12345".
                let othr = Int(node.parent)
                var scheme = "ID"
                if let s = tree.child(othr, "SchmeNm"), let code = tree.childText(s, "Cd") ?? tree.childText(s, "Prtry") {
                    scheme = code
                }
                p.identifiers.append(scheme + ":" + node.text)
            default: break
            }
        }
    }

    /// An institution (`FinInstnId` and `BrnchId` under the element): BIC, clearing id, LEI, name, address, other id.
    func institution(_ e: Int, into p: inout Party) {
        for c in tree.children(e) {
            let name = tree.nodes[c].name
            guard name == "FinInstnId" || name == "BrnchId" else { continue }
            for f in tree.children(c) {
                let node = tree.nodes[f]
                switch node.name {
                case "BICFI", "BIC", "AnyBIC":
                    if p.bic == nil, !node.text.isEmpty { p.bic = node.text } else if !node.text.isEmpty { p.identifiers.append("BIC:" + node.text) }
                case "ClrSysMmbId":
                    if let member = tree.childText(f, "MmbId") {
                        let system = tree.child(f, "ClrSysId").flatMap { tree.childText($0, "Cd") ?? tree.childText($0, "Prtry") }
                        p.identifiers.append("CLR:" + (system.map { $0 + ":" } ?? "") + member)
                    }
                case "LEI": if !node.text.isEmpty { p.identifiers.append("LEI:" + node.text) }
                case "Nm": Self.appendLines(node.text, to: &p.nameLines)
                case "PstlAdr": address(f, into: &p)
                case "Othr", "Id":
                    let id = node.name == "Id" ? (node.text.isEmpty ? nil : node.text) : tree.childText(f, "Id")
                    if let id { p.identifiers.append((name == "BrnchId" ? "BRNCH:" : "ID:") + id) }
                default: break
                }
            }
        }
    }

    /// A postal address: `Ctry` sets the country; every other part and each `AdrLine` becomes an address line.
    func address(_ e: Int, into p: inout Party) {
        for c in tree.children(e) {
            let node = tree.nodes[c]
            guard !node.text.isEmpty else { continue }
            switch node.name {
            case "Ctry":
                if p.country == nil { p.country = node.text } else if p.country != node.text { p.otherCountries.append(node.text) }
            case "AdrTp":
                continue
            default:
                Self.appendLines(node.text, to: &p.addressLines)
            }
        }
    }

    /// `XAcct` belongs to the party read from element `X` just before: IBAN or other id becomes its account;
    /// the holder's name and other free texts are screened as that party's contact.
    mutating func account(_ e: Int, owner: String, prefix: String) {
        guard let screened = checked(e, ISOPartySchema.table.account, prefix: prefix) else { return }
        guard let index = lastPartyByElement.first(where: { $0.element == owner })?.party else {
            return refuse("\(prefix + tree.nodes[e].name) does not follow the party it belongs to")
        }
        var number: String? = nil
        for d in tree.descendants(e) where tree.nodes[d].name == "IBAN" || tree.nodes[d].name == "Id" {
            if !tree.nodes[d].text.isEmpty { number = tree.nodes[d].text; break }
        }
        if let number {
            if payment.parties[index].account == nil { payment.parties[index].account = number } else {
                payment.parties[index].identifiers.append("ACCT:" + number)
            }
        }
        if let holder = tree.childText(e, "Nm") { payment.parties[index].rawLines.append(holder) }
        if !screened.isEmpty { appendContact(screened, of: index) }
    }
}
