/// A SWIFT MT field tag: its number and option letter, e.g. `59F`, `59` (no letter), `32A`.
struct MTTag: Equatable {
    var number: UInt8
    /// ASCII option letter, or 0 when the tag has none.
    var option: UInt8

    var name: String {
        let digits = number < 10 ? "0\(number)" : "\(number)"
        return option == 0 ? digits : digits + String(UnicodeScalar(option))
    }
}

/// The parts of an MT message that the block reader finds, as byte ranges into the message.
struct MTBlocks {
    var hasBasicHeader = false
    /// The BIC of the logical terminal in block 1 (the sender of an input message, the receiver of an output one).
    var localBIC: String?
    var senderBIC: String?
    var receiverBIC: String?
    /// The three digits of the message type from block 2.
    var messageType: Range<Int>?
    var uetr: Range<Int>?
    /// Block 3 tag 119 (validation flag: `COV`, `STP`, `REMIT`).
    var validationFlag: Range<Int>?
    var hasTextBlock = false
    /// Lines of block 4 between the opening line break and `-}`, without line ends.
    var textLines: [Range<Int>] = []
}

/// Parser for SWIFT FIN user-to-user messages MT103, MT202 and MT202COV.
///
/// Reads blocks 1–5 (and a trailer block `S`), requires blocks 1, 2 and 4, checks the message type against the
/// expected format, and then the text block field by field against the message type's tag list: an unknown tag,
/// a repeated tag, a line too long, a character outside the SWIFT X set or a missing mandatory field is an error.
///
/// Leniency, on purpose and only where no payment content can hide: line ends may be CRLF or LF, blank lines
/// inside a field are dropped, whitespace between blocks is skipped, and stray `{`/`}` after the last block are
/// ignored (both seen in real traffic samples).
///
/// Free-text party fields (options K and D, and 59 without a letter) keep every line after the optional
/// account line as `nameLines` (the name starts on the first, and where it ends is not marked: names wrap at
/// 35 characters, often mid-word) and all lines as written in `rawLines`; `addressLines` stays empty.
enum MTParser {
    static func parse(_ b: UnsafeBufferPointer<UInt8>, expected: MessageFormat) throws(MessageParseError) -> Payment {
        let blocks = try readBlocks(b)
        guard let type = blocks.messageType else { throw MessageParseError(.malformedBlocks, "missing block 2") }
        guard blocks.hasTextBlock else { throw MessageParseError(.malformedBlocks, "missing block 4") }
        let expectedType: StaticString = expected == .mt103 ? "103" : "202"
        guard Bytes.hasPrefix(b, type, expectedType) else {
            throw MessageParseError(.wrongMessageType, "block 2 message type is not \(expectedType)")
        }
        var format = expected
        if expected != .mt103, let flag = blocks.validationFlag, Bytes.hasPrefix(b, flag, "COV"), flag.count == 3 {
            format = .mt202cov
        }
        var reader = MTTextReader(b: b, format: format)
        var payment = Payment(format: format)
        payment.uetr = blocks.uetr.map { Bytes.string(b, $0) }
        if let s = blocks.senderBIC {
            payment.parties.append(Party(role: "sender", kind: .agent, sourceField: "block2", bic: s))
        }
        if let r = blocks.receiverBIC {
            payment.parties.append(Party(role: "receiver", kind: .agent, sourceField: "block2", bic: r))
        }
        try reader.read(blocks.textLines, into: &payment)
        return payment
    }

    // MARK: blocks

    static func readBlocks(_ b: UnsafeBufferPointer<UInt8>) throws(MessageParseError) -> MTBlocks {
        let n = b.count
        var i = 0
        var out = MTBlocks()
        while i < n, Bytes.isSpace(b[i]) { i += 1 }
        guard i < n, b[i] == UInt8(ascii: "{") else {
            throw MessageParseError(.malformedBlocks, "message does not start with a block")
        }
        var lastID = 0
        while true {
            while i < n, Bytes.isSpace(b[i]) { i += 1 }
            if i == n || onlyBracesAndSpace(b, from: i) { break }
            guard b[i] == UInt8(ascii: "{") else { throw MessageParseError(.malformedBlocks, "data between blocks") }
            guard i + 2 < n else { throw MessageParseError(.truncated, "message ends inside a block") }
            let id: Int
            switch b[i + 1] {
            case UInt8(ascii: "1")...UInt8(ascii: "5"): id = Int(b[i + 1] - UInt8(ascii: "0"))
            case UInt8(ascii: "S"): id = 6
            default: throw MessageParseError(.malformedBlocks, "unknown block")
            }
            guard b[i + 2] == UInt8(ascii: ":") else { throw MessageParseError(.malformedBlocks, "unknown block") }
            guard id > lastID else { throw MessageParseError(.malformedBlocks, "blocks repeated or out of order") }
            lastID = id
            i += 3
            switch id {
            case 1, 2:
                let start = i
                while i < n, b[i] != UInt8(ascii: "}") {
                    guard Bytes.isUpperAlnum(b[i]) else { throw MessageParseError(.malformedBlocks, "invalid header block \(id)") }
                    i += 1
                }
                guard i < n else { throw MessageParseError(.truncated, "header block \(id) not closed") }
                if id == 1 { try basicHeader(b, start..<i, into: &out) } else { try applicationHeader(b, start..<i, into: &out) }
                i += 1
            case 4:
                try textBlock(b, &i, into: &out)
            default:
                try subblocks(b, &i, block: id) { tag, value in
                    guard id == 3, tag.count == 3 else { return }
                    if Bytes.hasPrefix(b, tag, "121") { out.uetr = value }
                    if Bytes.hasPrefix(b, tag, "119") { out.validationFlag = value }
                }
            }
        }
        guard out.hasBasicHeader else { throw MessageParseError(.malformedBlocks, "missing block 1") }
        return out
    }

    /// True when everything from `i` on is `{`, `}` or whitespace: tolerated junk after the last block.
    static func onlyBracesAndSpace(_ b: UnsafeBufferPointer<UInt8>, from i: Int) -> Bool {
        var j = i
        while j < b.count {
            let c = b[j]
            guard c == UInt8(ascii: "{") || c == UInt8(ascii: "}") || Bytes.isSpace(c) else { return false }
            // "{1:" and the like start a real block, handled by the caller.
            if c == UInt8(ascii: "{"), j + 2 < b.count, b[j + 2] == UInt8(ascii: ":") { return false }
            j += 1
        }
        return true
    }

    /// Block 1: `F01` + 12-character logical terminal + session and sequence numbers.
    static func basicHeader(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, into out: inout MTBlocks) throws(MessageParseError) {
        let s = r.lowerBound
        guard r.count >= 15, b[s] == UInt8(ascii: "F") || b[s] == UInt8(ascii: "A") || b[s] == UInt8(ascii: "L"),
              Bytes.isDigit(b[s + 1]), Bytes.isDigit(b[s + 2]) else {
            throw MessageParseError(.malformedBlocks, "invalid block 1")
        }
        guard b[s + 1] == UInt8(ascii: "0"), b[s + 2] == UInt8(ascii: "1") else {
            throw MessageParseError(.wrongMessageType, "service message (ACK/NAK), not a FIN user message")
        }
        guard r.count <= 25, (s + 15..<r.upperBound).allSatisfy({ Bytes.isDigit(b[$0]) }),
              let bic = bicFromLogicalTerminal(b, s + 3) else {
            throw MessageParseError(.malformedBlocks, "invalid block 1")
        }
        out.hasBasicHeader = true
        out.localBIC = bic
    }

    /// Block 2, input form `I103RECEIVERXXXX[N[1[003]]]` or output form
    /// `O103HHMM` + MIR (date, sender LT, session, ISN) + output date/time + priority.
    static func applicationHeader(_ b: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, into out: inout MTBlocks) throws(MessageParseError) {
        let s = r.lowerBound
        let bad = MessageParseError(.malformedBlocks, "invalid block 2")
        guard r.count >= 16, Bytes.isDigit(b[s + 1]), Bytes.isDigit(b[s + 2]), Bytes.isDigit(b[s + 3]) else { throw bad }
        out.messageType = s + 1..<s + 4
        let local = out.localBIC
        switch b[s] {
        case UInt8(ascii: "I"):
            guard r.count <= 21, let receiver = bicFromLogicalTerminal(b, s + 4) else { throw bad }
            out.receiverBIC = receiver
            out.senderBIC = local
        case UInt8(ascii: "O"):
            guard r.count == 46 || r.count == 47,
                  (s + 4..<s + 14).allSatisfy({ Bytes.isDigit(b[$0]) }),
                  (s + 26..<s + 46).allSatisfy({ Bytes.isDigit(b[$0]) }),
                  let sender = bicFromLogicalTerminal(b, s + 14) else { throw bad }
            out.senderBIC = sender
            out.receiverBIC = local
        default:
            throw bad
        }
    }

    /// The BIC of a 12-character logical terminal address: BIC8 + terminal code + branch. The terminal code is
    /// dropped; a branch of `XXX` (head office) gives the BIC8, any other branch the BIC11.
    static func bicFromLogicalTerminal(_ b: UnsafeBufferPointer<UInt8>, _ s: Int) -> String? {
        guard s + 12 <= b.count, Bytes.isBIC(b, s..<s + 8) else { return nil }
        for k in s + 8..<s + 12 where !Bytes.isUpperAlnum(b[k]) { return nil }
        if b[s + 9] == UInt8(ascii: "X"), b[s + 10] == UInt8(ascii: "X"), b[s + 11] == UInt8(ascii: "X") {
            return Bytes.string(b, s..<s + 8)
        }
        return Bytes.string(b, s..<s + 8) + Bytes.string(b, s + 9..<s + 12)
    }

    /// Reads `{tag:value}` sub-blocks up to the closing `}` of blocks 3, 5 and S.
    static func subblocks(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, block: Int,
                          _ each: (Range<Int>, Range<Int>) -> Void) throws(MessageParseError) {
        let n = b.count
        let bad = MessageParseError(.malformedBlocks, "invalid block \(block == 6 ? "S" : String(block))")
        while true {
            guard i < n else { throw MessageParseError(.truncated, "block not closed") }
            if b[i] == UInt8(ascii: "}") { i += 1; return }
            guard b[i] == UInt8(ascii: "{") else { throw bad }
            i += 1
            let tagStart = i
            while i < n, b[i] != UInt8(ascii: ":") {
                guard Bytes.isUpperAlnum(b[i]), i - tagStart < 4 else { throw bad }
                i += 1
            }
            guard i < n else { throw MessageParseError(.truncated, "block not closed") }
            guard i > tagStart else { throw bad }
            let tag = tagStart..<i
            i += 1
            let valueStart = i
            while i < n, b[i] != UInt8(ascii: "}") {
                guard b[i] >= 0x20, b[i] < 0x7F, b[i] != UInt8(ascii: "{") else { throw bad }
                i += 1
            }
            guard i < n else { throw MessageParseError(.truncated, "block not closed") }
            each(tag, valueStart..<i)
            i += 1
        }
    }

    /// Block 4: a line break, then lines up to one that starts with `-}`.
    static func textBlock(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int, into out: inout MTBlocks) throws(MessageParseError) {
        let n = b.count
        if i < n, b[i] == 0x0D { i += 1 }
        guard i < n else { throw MessageParseError(.truncated, "text block not terminated") }
        guard b[i] == 0x0A else { throw MessageParseError(.malformedBlocks, "text block must start on a new line") }
        i += 1
        out.hasTextBlock = true
        out.textLines.reserveCapacity(32)
        while true {
            let start = i
            if i + 1 < n, b[i] == UInt8(ascii: "-"), b[i + 1] == UInt8(ascii: "}") {
                i += 2
                return
            }
            while i < n, b[i] != 0x0A { i += 1 }
            guard i < n else { throw MessageParseError(.truncated, "text block not terminated") }
            var end = i
            if end > start, b[end - 1] == 0x0D { end -= 1 }
            out.textLines.append(start..<end)
            i += 1
        }
    }
}

/// Validates the fields of block 4 and turns them into parties, texts, reference and amount.
struct MTTextReader {
    let b: UnsafeBufferPointer<UInt8>
    let format: MessageFormat

    /// Which part of the message a field belongs to; MT202COV has a sequence B for the underlying customer payment.
    enum Sequence { case mt103, mt202, covB }

    struct Field {
        var tag: MTTag
        var sequence: Sequence
        var lines: ArraySlice<Range<Int>>
    }

    @inline(__always) static func isX(_ c: UInt8) -> Bool {
        switch c {
        case 0x61...0x7A, 0x41...0x5A, 0x30...0x39, 0x20, 0x27...0x29, 0x2B...0x2F, 0x3A, 0x3F: return true
        default: return false
        }
    }

    mutating func read(_ lines: [Range<Int>], into p: inout Payment) throws(MessageParseError) {
        // Split the lines into fields, checking characters as we go.
        var fieldLines: [Range<Int>] = []
        fieldLines.reserveCapacity(lines.count)
        var fields: [Field] = []
        fields.reserveCapacity(24)
        var sequence: Sequence = format == .mt103 ? .mt103 : .mt202
        var current: (tag: MTTag, start: Int)? = nil
        func close(_ c: (tag: MTTag, start: Int)?) throws(MessageParseError) {
            guard let c else { return }
            guard fieldLines.count > c.start else { throw MessageParseError(.invalidField, "empty field \(c.tag.name)") }
            fields.append(Field(tag: c.tag, sequence: sequence, lines: fieldLines[c.start...]))
        }
        for line in lines {
            for k in line where !Self.isX(b[k]) {
                throw MessageParseError(.invalidCharacters, "character outside the SWIFT X set in block 4")
            }
            var content = line
            if let first = line.first, b[first] == UInt8(ascii: ":") {
                guard let (tag, after) = parseTag(line) else { throw MessageParseError(.invalidField, "malformed field tag") }
                // Sequence B of a cover payment starts with the underlying ordering customer.
                let next: Sequence = (format == .mt202cov && tag.number == 50) ? .covB : sequence
                try close(current)
                sequence = next
                current = (tag, fieldLines.count)
                content = after..<line.upperBound
                if content.isEmpty { continue }
            } else if let first = line.first, b[first] == UInt8(ascii: "-") {
                throw MessageParseError(.invalidField, "line starts with '-'")
            } else if current == nil {
                throw MessageParseError(.invalidField, "text before the first field")
            }
            if content.isEmpty { continue }
            fieldLines.append(content)
        }
        try close(current)
        try apply(fields, into: &p)
    }

    /// `:NN:` or `:NNa:` at the start of a line; returns the tag and the index after the second colon.
    func parseTag(_ r: Range<Int>) -> (MTTag, Int)? {
        let s = r.lowerBound
        guard r.count >= 4, Bytes.isDigit(b[s + 1]), Bytes.isDigit(b[s + 2]) else { return nil }
        let number = (b[s + 1] - 48) * 10 + (b[s + 2] - 48)
        if b[s + 3] == UInt8(ascii: ":") { return (MTTag(number: number, option: 0), s + 4) }
        guard r.count >= 5, Bytes.isUpper(b[s + 3]), b[s + 4] == UInt8(ascii: ":") else { return nil }
        return (MTTag(number: number, option: b[s + 3]), s + 5)
    }

    /// Whether the tag belongs to the message type's field list (in this sequence).
    static func allowed(_ t: MTTag, in seq: Sequence) -> Bool {
        let o = t.option
        func any(_ s: StaticString) -> Bool {
            let p = s.utf8Start
            for i in 0..<s.utf8CodeUnitCount where p[i] == o { return true }
            return false
        }
        switch seq {
        case .mt103:
            switch t.number {
            case 20, 36, 70, 72: return o == 0
            case 13: return any("C")
            case 23: return any("BE")
            case 26: return any("T")
            case 32: return any("A")
            case 33: return any("B")
            case 50: return any("AFK")
            case 51: return any("A")
            case 52: return any("AD")
            case 53, 54, 55: return any("ABD")
            case 56: return any("ACD")
            case 57: return any("ABCD")
            case 59: return o == 0 || any("AF")
            case 71: return any("AFG")
            case 77: return any("B")
            default: return false
            }
        case .mt202:
            switch t.number {
            case 20, 21, 72: return o == 0
            case 13: return any("C")
            case 32: return any("A")
            case 52, 56, 58: return any("AD")
            case 53, 54, 57: return any("ABD")
            default: return false
            }
        case .covB:
            switch t.number {
            case 70, 72: return o == 0
            case 33: return any("B")
            case 50: return any("AFK")
            case 52: return any("AD")
            case 56: return any("ACD")
            case 57: return any("ABCD")
            case 59: return o == 0 || any("AF")
            default: return false
            }
        }
    }

    static func repeatable(_ t: MTTag) -> Bool {
        (t.number == 13 && t.option == UInt8(ascii: "C")) || (t.number == 23 && t.option == UInt8(ascii: "E"))
            || (t.number == 71 && t.option == UInt8(ascii: "F"))
    }

    static let roles: [UInt8: String] = [
        50: "ordering_customer", 51: "sending_institution", 52: "ordering_institution", 53: "senders_correspondent",
        54: "receivers_correspondent", 55: "third_reimbursement_institution", 56: "intermediary",
        57: "account_with_institution", 58: "beneficiary_institution", 59: "beneficiary",
    ]
    static let underlyingRoles: [UInt8: String] = roles.mapValues { "underlying_" + $0 }

    func apply(_ fields: [Field], into p: inout Payment) throws(MessageParseError) {
        var insCount = 0
        for (idx, f) in fields.enumerated() {
            let t = f.tag
            guard Self.allowed(t, in: f.sequence) else {
                throw MessageParseError(.invalidField, "unexpected field \(t.name)")
            }
            if !Self.repeatable(t) {
                // 13C, 23B/23E and 71A/71F/71G are different fields under one number; elsewhere options exclude each other.
                let optionsDiffer = t.number == 13 || t.number == 23 || t.number == 71
                for g in fields[..<idx] where g.sequence == f.sequence && g.tag.number == t.number
                    && (!optionsDiffer || g.tag.option == t.option) {
                    throw MessageParseError(.invalidField, "repeated field \(t.name)")
                }
            }
            let underlying = f.sequence == .covB
            switch t.number {
            case 20, 21:
                try single(f, max: 16)
                if t.number == 20 { p.reference = text(f.lines.first!) }
            case 13: try single(f, max: 18)
            case 23: try single(f, max: t.option == UInt8(ascii: "B") ? 4 : 35)
                if t.option == UInt8(ascii: "E") {
                    p.texts.append(FreeText(field: "instructions", sourceField: "23E", lines: [text(f.lines.first!)]))
                }
            case 26: try single(f, max: 3)
            case 36: try single(f, max: 12)
            case 32:
                try single(f, max: 24)
                let r = f.lines.first!
                guard r.count > 9, (r.lowerBound..<r.lowerBound + 6).allSatisfy({ Bytes.isDigit(b[$0]) }) else {
                    throw MessageParseError(.invalidField, "invalid field 32A")
                }
                let (ccy, amount) = try currencyAmount(r.lowerBound + 6..<r.upperBound, t)
                p.currency = ccy
                p.amount = amount
            case 33, 71:
                if t.option == UInt8(ascii: "A") {
                    try single(f, max: 3)
                } else {
                    try single(f, max: 18)
                    _ = try currencyAmount(f.lines.first!, t)
                }
            case 70:
                try textLines(f, maxLines: 4)
                p.texts.append(FreeText(field: underlying ? "underlying_remittance" : "remittance", sourceField: "70", lines: f.lines.map(text)))
            case 72:
                try textLines(f, maxLines: 6)
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
                try textLines(f, maxLines: 3)
                p.texts.append(FreeText(field: "regulatory_reporting", sourceField: "77B", lines: f.lines.map(text)))
            default:
                let role = (underlying ? Self.underlyingRoles : Self.roles)[t.number]!
                let kind: PartyKind = (t.number == 50 || t.number == 59) ? .party : .agent
                p.parties.append(try party(f, role: role, kind: kind))
            }
        }
        try checkMandatory(fields)
    }

    func checkMandatory(_ fields: [Field]) throws(MessageParseError) {
        func has(_ n: UInt8, _ seq: Sequence) -> Bool { fields.contains { $0.tag.number == n && $0.sequence == seq } }
        let missing: (UInt8, String)?
        switch format {
        case .mt103:
            missing = [(20, "20"), (32, "32A"), (50, "50a"), (59, "59a")].first { !has($0.0, .mt103) }
        default:
            if let m = [(20, "20"), (21, "21"), (32, "32A"), (58, "58a")].first(where: { !has($0.0, .mt202) }) {
                missing = m
            } else if format == .mt202cov {
                missing = [(50, "50a (sequence B)"), (59, "59a (sequence B)")].first { !has($0.0, .covB) }
            } else {
                missing = nil
            }
        }
        if let missing { throw MessageParseError(.missingField, "missing field \(missing.1)") }
    }

    @inline(__always) func text(_ r: Range<Int>) -> String { Bytes.string(b, r) }

    func single(_ f: Field, max: Int) throws(MessageParseError) {
        guard f.lines.count == 1, f.lines.first!.count <= max else {
            throw MessageParseError(.invalidField, "invalid field \(f.tag.name)")
        }
    }

    func textLines(_ f: Field, maxLines: Int) throws(MessageParseError) {
        guard f.lines.count <= maxLines else { throw MessageParseError(.invalidField, "too many lines in field \(f.tag.name)") }
        for r in f.lines where r.count > 35 { throw MessageParseError(.invalidField, "line over 35 characters in field \(f.tag.name)") }
    }

    /// `3!a15d`: ISO currency code and an amount with a comma decimal; returns the amount with a '.' ("1234.5").
    func currencyAmount(_ r: Range<Int>, _ t: MTTag) throws(MessageParseError) -> (String, String) {
        let bad = MessageParseError(.invalidField, "invalid amount in field \(t.name)")
        let s = r.lowerBound
        guard r.count >= 5, r.count <= 18, Bytes.isUpper(b[s]), Bytes.isUpper(b[s + 1]), Bytes.isUpper(b[s + 2]) else { throw bad }
        var comma = -1
        for k in s + 3..<r.upperBound {
            if b[k] == UInt8(ascii: ",") {
                guard comma < 0 else { throw bad }
                comma = k
            } else if !Bytes.isDigit(b[k]) {
                throw bad
            }
        }
        guard comma > s + 3 else { throw bad }
        var amount = text(s + 3..<comma)
        if comma + 1 < r.upperBound { amount += "." + text(comma + 1..<r.upperBound) }
        return (text(s..<s + 3), amount)
    }

    /// Reads a party or agent field in any of options A, B, C, D, F, K or no letter.
    func party(_ f: Field, role: String, kind: PartyKind) throws(MessageParseError) -> Party {
        let t = f.tag
        let bad = MessageParseError(.invalidField, "invalid field \(t.name)")
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
            guard lines.count == 1, let r = lines.first, Bytes.isBIC(b, r) else { throw bad }
            p.bic = text(r)
        case UInt8(ascii: "B"):
            guard lines.count <= 1 else { throw bad }
            p.addressLines = lines.map(text)
            p.rawLines = f.lines.map(text)
        case UInt8(ascii: "C"):
            guard lines.isEmpty, f.lines.count == 1 else { throw bad }
        case UInt8(ascii: "F"):
            guard !lines.isEmpty, lines.count <= 4 else { throw bad }
            try structured(lines, t, into: &p)
        default: // D, K, or 59 without a letter: free name and address
            guard !lines.isEmpty, lines.count <= 4 else { throw bad }
            p.nameLines = lines.map(text)
            p.rawLines = f.lines.map(text)
        }
        return p
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
