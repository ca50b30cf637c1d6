/// A SWIFT MT field tag: its number and option letter, e.g. `59F`, `59` (no letter), `32A`.
struct MTTag: Equatable {
    var number: UInt8
    /// ASCII option letter, or 0 when the tag has none.
    var option: UInt8

    /// "59F", "20": written from the bytes (every party's `sourceField`; interpolating the number cost a tenth
    /// of an MT103's parse).
    /// Tags are made from two digits and an optional upper-case letter (`parseTag`, `tag`), so the name is ASCII.
    var name: String {
        String(unsafeUninitializedCapacity: 3) { buf in
            buf[0] = 0x30 + number / 10
            buf[1] = 0x30 + number % 10
            guard option != 0 else { return 2 }
            buf[2] = option
            return 3
        }
    }
}

/// Validates the fields of block 4 and turns them into parties, texts, reference and amount.
struct MTTextReader {
    let b: UnsafeBufferPointer<UInt8>
    let format: MessageFormat

    /// Which part of the message a field belongs to; MT202COV has a sequence B for the underlying customer payment.
    /// No raw type, on purpose: with `Int` raw values `==` got slower, and fields are compared by sequence
    /// often enough (the repetition check) to cost MT103 parsing over a tenth of its throughput.
    enum Sequence {
        case mt103, mt202, covB

        /// The sequence's bit in `FieldRule.sequences`.
        var bit: UInt8 {
            switch self {
            case .mt103: 1
            case .mt202: 2
            case .covB: 4
            }
        }
    }

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
}

// MARK: - The field grammar, as tables

extension MTTextReader {
    /// The field list of each sequence: tag number → its option letters, `-` standing for the tag without a letter.
    static let fieldOptions: [Sequence: [UInt8: String]] = [
        .mt103: [
            20: "-", 36: "-", 70: "-", 72: "-", 13: "C", 23: "BE", 26: "T", 32: "A", 33: "B", 50: "AFK", 51: "A", 52: "AD",
            53: "ABD", 54: "ABD", 55: "ABD", 56: "ACD", 57: "ABCD", 59: "-AF", 71: "AFG", 77: "B",
        ],
        .mt202: [20: "-", 21: "-", 72: "-", 13: "C", 32: "A", 52: "AD", 56: "AD", 58: "AD", 53: "ABD", 54: "ABD", 57: "ABD"],
        .covB: [70: "-", 72: "-", 33: "B", 50: "AFK", 52: "AD", 56: "ACD", 57: "ABCD", 59: "-AF"],
    ]

    /// Fields that may occur more than once in a sequence.
    static let repeatableFields: [MTTag] = ["13C", "23E", "71F"].map(tag)
    /// Tag numbers whose options are different fields (13C; 23B and 23E; 71A, 71F and 71G); under any other
    /// number the options exclude each other.
    static let separateOptionNumbers: [UInt8] = [13, 23, 71]

    /// The shape of a field that is not a party: one line of at most `line` characters, or at most `lines`
    /// lines of 35. (Party fields are checked by `party`, option by option.)
    enum Shape { case line(Int), lines(Int) }
    static let fieldShapes: [(tag: String, shape: Shape)] = [
        ("20", .line(16)), ("21", .line(16)), ("13C", .line(18)), ("23B", .line(4)), ("23E", .line(35)), ("26T", .line(3)),
        ("36", .line(12)), ("32A", .line(24)), ("33B", .line(18)), ("71A", .line(3)), ("71F", .line(18)), ("71G", .line(18)),
        ("70", .lines(4)), ("72", .lines(6)), ("77B", .lines(3)),
    ]

    /// The role a party or agent field gives, by tag number (`underlying_` in sequence B of a cover payment).
    static let roles: [UInt8: String] = [
        50: "ordering_customer", 51: "sending_institution", 52: "ordering_institution", 53: "senders_correspondent",
        54: "receivers_correspondent", 55: "third_reimbursement_institution", 56: "intermediary",
        57: "account_with_institution", 58: "beneficiary_institution", 59: "beneficiary",
    ]
    static let underlyingRoles: [UInt8: String] = roles.mapValues { "underlying_" + $0 }

    /// Mandatory fields of each format, in the order they are checked, with the name an error gives.
    static let mandatoryMT103: [(number: UInt8, sequence: Sequence, name: String)] = [
        (20, .mt103, "20"), (32, .mt103, "32A"), (50, .mt103, "50a"), (59, .mt103, "59a"),
    ]
    static let mandatoryMT202: [(number: UInt8, sequence: Sequence, name: String)] = [
        (20, .mt202, "20"), (21, .mt202, "21"), (32, .mt202, "32A"), (58, .mt202, "58a"),
    ]
    static let mandatoryMT202COV = mandatoryMT202 + [(50, .covB, "50a (sequence B)"), (59, .covB, "59a (sequence B)")]

    // MARK: The tables compiled for lookup

    /// What the tables say of one tag, in one record so that a field costs one lookup.
    struct FieldRule {
        /// The `bit` of each sequence whose field list has the tag (`fieldOptions`).
        var sequences: UInt8 = 0
        var repeatable = false
        /// Its number is one of `separateOptionNumbers`.
        var separateOptions = false
        var shape: Shape? = nil
    }

    /// A tag written as in the tables (`59`, `59F`).
    static func tag(_ s: String) -> MTTag {
        let u = Array(s.utf8)
        return MTTag(number: (u[0] - 48) * 10 + (u[1] - 48), option: u.count > 2 ? u[2] : 0)
    }

    /// Position of a tag in `rules`: number × 27 + option (0 without a letter, 1–26 for `A`–`Z`), or nil for
    /// an option that is no capital letter.
    @inline(__always) static func slot(_ t: MTTag) -> Int? {
        if t.option == 0 { return Int(t.number) * 27 }
        guard t.option >= UInt8(ascii: "A"), t.option <= UInt8(ascii: "Z") else { return nil }
        return Int(t.number) * 27 + Int(t.option - 64)
    }

    /// The tables above by `slot`.
    static let rules: [FieldRule] = {
        var rules = [FieldRule](repeating: FieldRule(), count: 100 * 27)
        for (seq, list) in fieldOptions {
            for (number, options) in list {
                for c in options.utf8 {
                    rules[slot(MTTag(number: number, option: c == UInt8(ascii: "-") ? 0 : c))!].sequences |= seq.bit
                }
            }
        }
        for t in repeatableFields { rules[slot(t)!].repeatable = true }
        for i in rules.indices where separateOptionNumbers.contains(UInt8(i / 27)) { rules[i].separateOptions = true }
        for (t, shape) in fieldShapes { rules[slot(tag(t))!].shape = shape }
        return rules
    }()

    // MARK: Checks

    /// Field `idx` against the grammar (`rules`, passed in so that a message reads the table once): in the
    /// field list of its sequence, not a repetition of an earlier field, and of its shape.
    func check(_ fields: [Field], _ idx: Int, _ rules: [FieldRule]) throws(MessageParseError) {
        let f = fields[idx]
        let t = f.tag
        guard let slot = Self.slot(t), rules[slot].sequences & f.sequence.bit != 0 else {
            throw MessageParseError(.invalidField, "unexpected field \(t.name)")
        }
        let rule = rules[slot]
        if !rule.repeatable {
            for g in fields[..<idx] where g.sequence == f.sequence && g.tag.number == t.number
                && (!rule.separateOptions || g.tag.option == t.option) {
                throw MessageParseError(.invalidField, "repeated field \(t.name)")
            }
        }
        switch rule.shape {
        case .line(let max)?: try single(f, max: max)
        case .lines(let maxLines)?: try textLines(f, maxLines: maxLines)
        case nil: break   // a party field: `party` checks it, option by option
        }
    }

    func single(_ f: Field, max: Int) throws(MessageParseError) {
        guard f.lines.count == 1, f.lines.first!.count <= max else {
            throw MessageParseError(.invalidField, "invalid field \(f.tag.name)")
        }
    }

    func textLines(_ f: Field, maxLines: Int) throws(MessageParseError) {
        guard f.lines.count <= maxLines else { throw MessageParseError(.invalidField, "too many lines in field \(f.tag.name)") }
        for r in f.lines where r.count > 35 { throw MessageParseError(.invalidField, "line over 35 characters in field \(f.tag.name)") }
    }

    func checkMandatory(_ fields: [Field]) throws(MessageParseError) {
        let mandatory = format == .mt103 ? Self.mandatoryMT103 : format == .mt202cov ? Self.mandatoryMT202COV : Self.mandatoryMT202
        let missing = mandatory.first { m in !fields.contains { $0.tag.number == m.number && $0.sequence == m.sequence } }
        if let missing { throw MessageParseError(.missingField, "missing field \(missing.name)") }
    }
}
