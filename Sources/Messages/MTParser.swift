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
