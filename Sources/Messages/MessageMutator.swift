/// A seeded generator of broken variants of valid messages, for fuzzing the parsers.
///
/// The same seed gives the same sequence of mutants, so a failure found by the test suite or by
/// `chokepoint-bench fuzz-messages` can be replayed from the seed and iteration it prints. Mutations work on
/// UTF-8 bytes (byte flips, insertions of syntax tokens, deletions, duplications that deepen nesting, truncation,
/// splices of two messages); the result is turned back into a String, so invalid UTF-8 becomes U+FFFD as it
/// would for any text the daemon reads.
public struct MessageMutator: Sendable {
    /// SplitMix64: tiny, fast and good enough to drive mutations; its whole state is the seed.
    public struct Generator: RandomNumberGenerator, Sendable {
        public private(set) var state: UInt64
        public init(seed: UInt64) { state = seed }
        public mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Tokens that mean something to one of the parsers; inserting them finds more paths than random bytes.
    static let tokens: [[UInt8]] = [
        "{", "}", ":", "-}", "\r\n", "\n", "{1:", "{2:", "{3:", "{4:", "{5:", "{119:COV}", ":20:", ":32A:", ":50K:", ":59F:",
        ":57A:", ":72:", "/INS/", "1/", "3/RU/", "/", "$", "<", ">", "</", "/>", "&", "&amp;", "&#x41;", "&#0;", "&#xD800;",
        "&lt", "<!--", "-->", "<![CDATA[", "]]>", "<?xml version=\"1.0\"?>", "<!DOCTYPE x>", "<!ENTITY", "<a>", "</a>",
        "<Dbtr><Nm>", "</Nm></Dbtr>", "<UndrlygCstmrCdtTrf>", "=", "\"", "'", " ", "\t", "\u{0}", "\u{1F}", "\u{FEFF}",
        "\u{0416}", "\u{00E9}", "9999999999999999999", ",", "XXX",
    ].map { Array($0.utf8) }

    public private(set) var generator: Generator
    let corpus: [[UInt8]]

    /// Creates a mutator over valid sample messages; `seed` fixes the whole sequence of mutants.
    public init(corpus: [String], seed: UInt64) {
        self.corpus = corpus.map { Array($0.utf8) }.filter { !$0.isEmpty }
        self.generator = Generator(seed: seed)
    }

    /// Returns the next mutant: a corpus message with one to eight random mutations applied.
    public mutating func next() -> String {
        guard !corpus.isEmpty else { return "" }
        var bytes = corpus[Int(generator.next() % UInt64(corpus.count))]
        let rounds = 1 + Int(generator.next() % 8)
        for _ in 0..<rounds { mutate(&bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(generator.next() % UInt64(n)) }

    mutating func mutate(_ b: inout [UInt8]) {
        switch below(9) {
        case 0 where !b.isEmpty:
            b[below(b.count)] = UInt8(truncatingIfNeeded: generator.next())
        case 1:
            b.insert(contentsOf: Self.tokens[below(Self.tokens.count)], at: below(b.count + 1))
        case 2 where !b.isEmpty:
            let start = below(b.count)
            b.removeSubrange(start..<min(b.count, start + 1 + below(64)))
        case 3 where !b.isEmpty:
            // Duplicate a chunk: repeated tags and nesting beyond the limits.
            let start = below(b.count)
            let chunk = Array(b[start..<min(b.count, start + 1 + below(256))])
            let times = 1 + below(below(4) == 0 ? 80 : 3)
            let at = below(b.count + 1)
            for _ in 0..<times { b.insert(contentsOf: chunk, at: at) }
        case 4 where !b.isEmpty:
            b.removeSubrange(below(b.count)...)
        case 5 where !corpus.isEmpty:
            let other = corpus[below(corpus.count)]
            let cut = below(b.count + 1)
            let from = below(other.count + 1)
            b = Array(b[..<cut]) + Array(other[from...])
        case 6 where !b.isEmpty:
            // Swap a line end style or a letter case: the near-misses real systems produce.
            let k = below(b.count)
            if b[k] == 0x0A { b.insert(0x0D, at: k) } else if b[k] &- 0x41 < 26 { b[k] |= 0x20 } else { b[k] ^= 0x01 }
        case 7 where !b.isEmpty:
            b[below(b.count)] = [0x00, 0x0D, 0x0A, 0x7B, 0x7D, 0x3C, 0x3E, 0x26, 0x24, 0xFF, 0xC3][below(11)]
        default:
            let k = below(b.count + 1)
            b.insert(contentsOf: (0..<(1 + below(16))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, at: k)
        }
    }
}
