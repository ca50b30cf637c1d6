/// Field decoders: each field of block 4, once the grammar has accepted it, into the payment.
extension MTTextReader {
    func apply(_ fields: [Field], into p: inout Payment) throws(MessageParseError) {
        var insCount = 0
        let rules = Self.rules
        for (idx, f) in fields.enumerated() {
            try check(fields, idx, rules)
            let t = f.tag
            let underlying = f.sequence == .covB
            switch t.number {
            case 20: p.reference = text(f.lines.first!)
            case 13, 21, 26, 36: break   // checked by `check`; nothing of them is kept
            case 23:
                if t.option == UInt8(ascii: "E") {
                    p.texts.append(FreeText(field: "instructions", sourceField: "23E", lines: [text(f.lines.first!)]))
                }
            case 32:
                let r = f.lines.first!
                guard r.count > 9, (r.lowerBound..<r.lowerBound + 6).allSatisfy({ Bytes.isDigit(b[$0]) }) else {
                    throw MessageParseError(.invalidField, "invalid field 32A")
                }
                let (ccy, amount) = try currencyAmount(r.lowerBound + 6..<r.upperBound, t)
                p.currency = ccy
                p.amount = amount
            case 33, 71:
                if t.option != UInt8(ascii: "A") { _ = try currencyAmount(f.lines.first!, t) }
            case 70:
                p.texts.append(FreeText(field: underlying ? "underlying_remittance" : "remittance", sourceField: "70", lines: f.lines.map(text)))
            case 72:
                p.texts.append(FreeText(field: underlying ? "underlying_sender_to_receiver" : "sender_to_receiver", sourceField: "72",
                                        lines: f.lines.map(text)))
                // /INS/ names the instructing institution of a previous leg (PrvsInstgAgt1 in ISO 20022).
                for r in f.lines where Bytes.hasPrefix(b, r, "/INS/") && Bytes.isBIC(b, r.lowerBound + 5..<r.upperBound) {
                    insCount += 1
                    guard insCount <= 3 else { break }
                    let role = (underlying ? "underlying_" : "") + "previous_instructing_agent_\(insCount)"
                    p.parties.append(Party(role: role, kind: .agent, sourceField: "72", bic: text(r.lowerBound + 5..<r.upperBound)))
                }
            case 77:
                p.texts.append(FreeText(field: "regulatory_reporting", sourceField: "77B", lines: f.lines.map(text)))
            default:
                let role = (underlying ? Self.underlyingRoles : Self.roles)[t.number]!
                let kind: PartyKind = (t.number == 50 || t.number == 59) ? .party : .agent
                p.parties.append(try party(f, role: role, kind: kind))
            }
        }
        try checkMandatory(fields)
    }

    @inline(__always) func text(_ r: Range<Int>) -> String { Bytes.string(b, r) }

    /// `3!a15d`: ISO currency code and an amount with a comma decimal; returns the amount with a '.' ("1234.5").
    func currencyAmount(_ r: Range<Int>, _ t: MTTag) throws(MessageParseError) -> (String, String) {
        // Made only when the field is refused: the tag's name is a string built from its number.
        func bad() -> MessageParseError { MessageParseError(.invalidField, "invalid amount in field \(t.name)") }
        let s = r.lowerBound
        guard r.count >= 5, r.count <= 18, Bytes.isUpper(b[s]), Bytes.isUpper(b[s + 1]), Bytes.isUpper(b[s + 2]) else { throw bad() }
        var comma = -1
        for k in s + 3..<r.upperBound {
            if b[k] == UInt8(ascii: ",") {
                guard comma < 0 else { throw bad() }
                comma = k
            } else if !Bytes.isDigit(b[k]) {
                throw bad()
            }
        }
        guard comma > s + 3 else { throw bad() }
        var amount = text(s + 3..<comma)
        if comma + 1 < r.upperBound { amount += "." + text(comma + 1..<r.upperBound) }
        return (text(s..<s + 3), amount)
    }

    /// Reads a party or agent field in any of options A, B, C, D, F, K or no letter.
    func party(_ f: Field, role: String, kind: PartyKind) throws(MessageParseError) -> Party {
        let t = f.tag
        func bad() -> MessageParseError { MessageParseError(.invalidField, "invalid field \(t.name)") }
        var p = Party(role: role, kind: kind, sourceField: t.name)
        var lines = f.lines
        // Agents allow [/1!a][/34x] (a debit/credit mark), customers [/34x]: 37 or 35 characters.
        let identifierMax = kind == .agent ? 37 : 35
        if let first = lines.first, b[first.lowerBound] == UInt8(ascii: "/") {
            guard first.count <= identifierMax else { throw MessageParseError(.invalidField, "line over 35 characters in field \(t.name)") }
            account(first, agent: kind == .agent, into: &p)
            lines = lines.dropFirst()
        } else if t.option == UInt8(ascii: "F"), let first = lines.first, isCodedIdentifier(first) {
            guard first.count <= 35 else { throw MessageParseError(.invalidField, "line over 35 characters in field \(t.name)") }
            p.identifiers.append(text(first))
            let cc = first.lowerBound + 5..<first.lowerBound + 7
            p.otherCountries.append(text(cc))
            lines = lines.dropFirst()
        }
        for r in lines where r.count > 35 { throw MessageParseError(.invalidField, "line over 35 characters in field \(t.name)") }
        switch t.option {
        case UInt8(ascii: "A"):
            guard lines.count == 1, let r = lines.first, Bytes.isBIC(b, r) else { throw bad() }
            p.bic = text(r)
        case UInt8(ascii: "B"):
            guard lines.count <= 1 else { throw bad() }
            p.addressLines = lines.map(text)
            p.rawLines = rawLines(f, sharing: p.addressLines)
        case UInt8(ascii: "C"):
            guard lines.isEmpty, f.lines.count == 1 else { throw bad() }
        case UInt8(ascii: "F"):
            guard !lines.isEmpty, lines.count <= 4 else { throw bad() }
            try structured(lines, t, into: &p)
        default: // D, K, or 59 without a letter: free name and address
            guard !lines.isEmpty, lines.count <= 4 else { throw bad() }
            p.nameLines = lines.map(text)
            p.rawLines = rawLines(f, sharing: p.nameLines)
        }
        return p
    }

    /// The field's lines as text, given the text of its lines after the account line (`rest`, which shares
    /// their strings instead of decoding them again).
    func rawLines(_ f: Field, sharing rest: [String]) -> [String] {
        f.lines.count == rest.count ? rest : f.lines.prefix(f.lines.count - rest.count).map(text) + rest
    }

    /// `4!a/2!a/27x`: a coded party identifier (e.g. `NIDN/DE/123456`) on the first line of option F.
    func isCodedIdentifier(_ r: Range<Int>) -> Bool {
        let s = r.lowerBound
        guard r.count >= 9 else { return false }
        for k in s..<s + 4 where !Bytes.isUpper(b[k]) { return false }
        return b[s + 4] == UInt8(ascii: "/") && Bytes.isUpper(b[s + 5]) && Bytes.isUpper(b[s + 6]) && b[s + 7] == UInt8(ascii: "/")
    }

    /// An account line: `/account`, `/D/account` (agents), or `//clearing-code`.
    func account(_ r: Range<Int>, agent: Bool, into p: inout Party) {
        let s = r.lowerBound
        if r.count >= 2, b[s + 1] == UInt8(ascii: "/") {
            if r.count > 2 { p.identifiers.append("CLR:" + text(s + 2..<r.upperBound)) }
        } else if agent, r.count > 3, Bytes.isUpper(b[s + 1]), b[s + 2] == UInt8(ascii: "/") {
            p.account = text(s + 3..<r.upperBound)
        } else if r.count > 1 {
            p.account = text(s + 1..<r.upperBound)
        }
    }

    /// Option F lines `n/text`: 1 name, 2 address, 3 country/town, 4 birth date, 5 birth place,
    /// 6 customer number, 7 national id, 8 more of 4–7.
    func structured(_ lines: ArraySlice<Range<Int>>, _ t: MTTag, into p: inout Party) throws(MessageParseError) {
        var sawCountryLine = false
        for r in lines {
            let s = r.lowerBound
            guard r.count >= 3, b[s] >= UInt8(ascii: "1"), b[s] <= UInt8(ascii: "8"), b[s + 1] == UInt8(ascii: "/") else {
                throw MessageParseError(.invalidField, "invalid line in field \(t.name)")
            }
            let body = s + 2..<r.upperBound
            switch b[s] {
            case UInt8(ascii: "1"): p.nameLines.append(text(body))
            case UInt8(ascii: "2"): p.addressLines.append(text(body))
            case UInt8(ascii: "3"):
                if !sawCountryLine, body.count >= 2, Bytes.isUpper(b[s + 2]), Bytes.isUpper(b[s + 3]),
                   body.count == 2 || b[s + 4] == UInt8(ascii: "/") {
                    p.country = text(s + 2..<s + 4)
                    if body.count > 3 { p.addressLines.append(text(s + 5..<r.upperBound)) }
                } else {
                    p.addressLines.append(text(body))
                }
                sawCountryLine = true
            case UInt8(ascii: "4"): p.identifiers.append("DOB:" + text(body))
            case UInt8(ascii: "5"), UInt8(ascii: "6"), UInt8(ascii: "7"):
                let label = b[s] == UInt8(ascii: "5") ? "POB:" : b[s] == UInt8(ascii: "6") ? "CUST:" : "NIDN:"
                p.identifiers.append(label + text(body))
                if body.count >= 2, Bytes.isUpper(b[s + 2]), Bytes.isUpper(b[s + 3]), body.count == 2 || b[s + 4] == UInt8(ascii: "/") {
                    p.otherCountries.append(text(s + 2..<s + 4))
                }
            default: p.identifiers.append("ADDL:" + text(body))
            }
        }
    }
}
