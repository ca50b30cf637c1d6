/// Identifies one pattern of an automaton: its index in the array the automaton was built from.
public struct PatternID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32
    public init(_ rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ index: Int) { self.rawValue = UInt32(index) }
    public var index: Int { Int(rawValue) }
    public static func < (a: PatternID, b: PatternID) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "P\(rawValue)" }
}

/// One occurrence of a pattern: the half-open byte span `start..<end` of the searched text.
public struct Match: Hashable, Sendable, CustomStringConvertible {
    public var pattern: PatternID
    public var start: Int
    public var end: Int
    public init(pattern: PatternID, start: Int, end: Int) {
        self.pattern = pattern
        self.start = start
        self.end = end
    }
    public var description: String { "\(pattern)@\(start)..<\(end)" }
}

/// A multi-pattern Aho-Corasick automaton over raw bytes.
///
/// Building may fail (an empty pattern, or a table larger than the configured limit); searching
/// cannot. Match semantics are *overlapping*: every (pattern, end offset) pair at which a pattern
/// occurs is reported exactly once, in order of end offset; at one end offset, longer patterns come
/// first, and equal patterns in id order. See `DESIGN.md` for the representation and its invariants.
public struct AhoCorasick: Sendable {
    /// How the automaton is represented; both kinds report exactly the same matches.
    public enum Kind: Sendable, CaseIterable, CustomStringConvertible {
        /// Dense DFA: every (state, byte class) transition precomputed, one table lookup per byte.
        case dfa
        /// The trie with failure links (the same dense rows, unfilled): slower, kept as a
        /// structurally independent engine for tests and as a reference.
        case nfa
        public var description: String { self == .dfa ? "dfa" : "nfa" }
    }

    public struct Configuration: Sendable {
        public var kind: Kind
        /// Upper bound on the transition table's size; building fails beyond it.
        public var maxTableBytes: Int
        /// Walk inputs of 64 KiB or more as four interleaved segments (DFA only; same results).
        public var interleave: Bool
        public init(kind: Kind = .dfa, maxTableBytes: Int = 1 << 30, interleave: Bool = true) {
            self.kind = kind
            self.maxTableBytes = maxTableBytes
            self.interleave = interleave
        }
        public static let `default` = Configuration()
    }

    public enum BuildError: Error, Sendable, Equatable, CustomStringConvertible {
        /// An empty pattern would match at every offset; it is refused rather than silently ignored.
        case emptyPattern(PatternID)
        case tooManyPatterns(Int)
        /// The transition table would exceed `Configuration.maxTableBytes` (or 2^32 entries).
        case tooManyStates(states: Int, tableBytes: Int)
        public var description: String {
            switch self {
            case .emptyPattern(let id): return "pattern \(id.rawValue) is empty"
            case .tooManyPatterns(let n): return "too many patterns (\(n))"
            case .tooManyStates(let s, let b): return "automaton too large: \(s) states, \(b) table bytes"
            }
        }
    }

    public let kind: Kind
    /// byte -> class index (not premultiplied). Bytes that occur in no pattern share one class.
    let classes: [UInt32]
    /// Number of byte classes: the row width of `table`.
    let stride: Int
    /// Row-major transitions with premultiplied state ids (id = state index * stride).
    /// DFA: complete. NFA: trie children only, 0 = no child (the root, id 0, is never a child).
    let table: [UInt32]
    /// NFA only: failure link of each state, by state index, as a premultiplied id.
    let fail: [UInt32]
    /// States are numbered so that every match state has an id >= `firstMatch`.
    let firstMatch: UInt32
    /// For match state k (k = (id - firstMatch) / stride): patterns matchPatterns[matchOffsets[k]..<matchOffsets[k+1]].
    let matchOffsets: [UInt32]
    let matchPatterns: [UInt32]
    let patternLengths: [UInt32]
    /// Length of the longest pattern: how far back an interleaved stream must start.
    let maxPatternLength: Int
    /// Inputs at least this long are scanned as four interleaved streams (see `scan`). Internal
    /// so that tests can lower it and replay every property test through the interleaved path.
    var interleaveThreshold = 1 << 16

    public var patternCount: Int { patternLengths.count }
    public var stateCount: Int { table.count / stride }
    public var byteClassCount: Int { stride }
    /// Approximate heap bytes held by the automaton.
    public var memoryUsage: Int {
        (classes.count + table.count + fail.count + matchOffsets.count + matchPatterns.count + patternLengths.count) * 4
    }

    public init(patterns: [[UInt8]]) throws {
        try self.init(patterns: patterns, configuration: .default)
    }

    public init<S: StringProtocol>(strings: [S], configuration: Configuration = .default) throws {
        try self.init(patterns: strings.map { Array($0.utf8) }, configuration: configuration)
    }

    public init(patterns: [[UInt8]], configuration: Configuration) throws {
        kind = configuration.kind
        if !configuration.interleave { interleaveThreshold = Int.max }
        guard patterns.count < Int(UInt32.max) else { throw BuildError.tooManyPatterns(patterns.count) }

        // 1. Byte classes: each byte used by some pattern gets its own class; all others share one.
        var used = [Bool](repeating: false, count: 256)
        for (i, p) in patterns.enumerated() {
            if p.isEmpty { throw BuildError.emptyPattern(PatternID(i)) }
            for b in p { used[Int(b)] = true }
        }
        var classes = [UInt32](repeating: 0, count: 256)
        var nextClass: UInt32 = used.contains(false) ? 1 : 0
        for b in 0..<256 where used[b] {
            classes[b] = nextClass
            nextClass += 1
        }
        let stride = Int(max(nextClass, 1))
        self.classes = classes
        self.stride = stride

        // 2. Sparse trie: first-child / next-sibling lists, root children direct-mapped.
        var firstChild: [UInt32] = [0]
        var nextSibling: [UInt32] = [0]
        var label: [UInt16] = [0]
        var rootChild = [UInt32](repeating: 0, count: stride)
        var terminal = [UInt32](repeating: 0, count: patterns.count)
        patternLengths = patterns.map { UInt32($0.count) }
        maxPatternLength = patterns.reduce(0) { max($0, $1.count) }
        let limitStates = min(configuration.maxTableBytes / (4 * stride), Int(UInt32.max) / stride)
        for (pid, p) in patterns.enumerated() {
            var s: UInt32 = 0
            for b in p {
                let c = UInt16(classes[Int(b)])
                var found: UInt32 = 0
                if s == 0 {
                    found = rootChild[Int(c)]
                } else {
                    var ch = firstChild[Int(s)]
                    while ch != 0 {
                        if label[Int(ch)] == c { found = ch; break }
                        ch = nextSibling[Int(ch)]
                    }
                }
                if found == 0 {
                    found = UInt32(label.count)
                    if label.count >= limitStates {
                        throw BuildError.tooManyStates(states: label.count + 1, tableBytes: (label.count + 1) * stride * 4)
                    }
                    label.append(c)
                    firstChild.append(0)
                    if s == 0 {
                        rootChild[Int(c)] = found
                        nextSibling.append(0)
                    } else {
                        nextSibling.append(firstChild[Int(s)])
                        firstChild[Int(s)] = found
                    }
                }
                s = found
            }
            terminal[pid] = s
        }
        let stateCount = label.count

        func children(_ s: UInt32, _ body: (UInt32, Int) -> Void) {
            if s == 0 {
                for c in 0..<stride where rootChild[c] != 0 { body(rootChild[c], c) }
            } else {
                var ch = firstChild[Int(s)]
                while ch != 0 { body(ch, Int(label[Int(ch)])); ch = nextSibling[Int(ch)] }
            }
        }
        func child(_ s: UInt32, _ c: Int) -> UInt32 {
            if s == 0 { return rootChild[c] }
            var ch = firstChild[Int(s)]
            while ch != 0 {
                if Int(label[Int(ch)]) == c { return ch }
                ch = nextSibling[Int(ch)]
            }
            return 0
        }

        // 3. Breadth-first order and failure links (classic: follow the parent's failure chain).
        var order = [UInt32]()
        order.reserveCapacity(stateCount)
        order.append(0)
        var failIdx = [UInt32](repeating: 0, count: stateCount)
        var head = 0
        while head < order.count {
            let s = order[head]
            head += 1
            children(s) { ch, c in
                if s != 0 {
                    var f = failIdx[Int(s)]
                    while true {
                        let n = child(f, c)
                        if n != 0 { failIdx[Int(ch)] = n; break }
                        if f == 0 { break }
                        f = failIdx[Int(f)]
                    }
                }
                order.append(ch)
            }
        }

        // 4. Outputs: own patterns, then the failure state's outputs (computed earlier in BFS order).
        var ownCount = [UInt32](repeating: 0, count: stateCount + 1)
        for t in terminal { ownCount[Int(t) + 1] += 1 }
        for i in 0..<stateCount { ownCount[i + 1] += ownCount[i] }
        var own = [UInt32](repeating: 0, count: patterns.count)
        var fillPos = ownCount
        // Longer patterns first at one end offset: own patterns come before the (shorter) fail outputs.
        for (pid, t) in terminal.enumerated() {
            own[Int(fillPos[Int(t)])] = UInt32(pid)
            fillPos[Int(t)] += 1
        }
        var outCount = [UInt32](repeating: 0, count: stateCount)
        for s in order where s != 0 {
            outCount[Int(s)] = ownCount[Int(s) + 1] - ownCount[Int(s)] + outCount[Int(failIdx[Int(s)])]
        }

        // 5. Numbering: non-match states in BFS order (root = 0), then match states in BFS order.
        var newIndex = [UInt32](repeating: 0, count: stateCount)
        var n: UInt32 = 0
        for s in order where outCount[Int(s)] == 0 { newIndex[Int(s)] = n; n += 1 }
        let firstMatchIndex = n
        var matchStatesOld = [UInt32]()
        for s in order where outCount[Int(s)] != 0 {
            newIndex[Int(s)] = n
            n += 1
            matchStatesOld.append(s)
        }
        firstMatch = firstMatchIndex * UInt32(stride)

        var matchOffsets = [UInt32](repeating: 0, count: matchStatesOld.count + 1)
        var matchPatterns = [UInt32]()
        var outStart = [UInt32](repeating: 0, count: stateCount)  // old state -> offset in matchPatterns
        for (k, s) in matchStatesOld.enumerated() {
            let start = UInt32(matchPatterns.count)
            outStart[Int(s)] = start
            matchOffsets[k] = start
            matchPatterns.append(contentsOf: own[Int(ownCount[Int(s)])..<Int(ownCount[Int(s) + 1])])
            let f = failIdx[Int(s)]
            if outCount[Int(f)] != 0 {
                let fs = Int(outStart[Int(f)])
                matchPatterns.append(contentsOf: matchPatterns[fs..<(fs + Int(outCount[Int(f)]))])
            }
        }
        matchOffsets[matchStatesOld.count] = UInt32(matchPatterns.count)
        self.matchOffsets = matchOffsets
        self.matchPatterns = matchPatterns

        // 6. The dense table in final numbering. DFA rows are the failure state's row with the
        //    state's own children written over it; BFS order guarantees that row is complete.
        let ustride = UInt32(stride)
        var table = [UInt32](repeating: 0, count: stateCount * stride)
        let isDFA = configuration.kind == .dfa
        table.withUnsafeMutableBufferPointer { t in
            for s in order {
                let row = Int(newIndex[Int(s)]) * stride
                if isDFA && s != 0 {
                    let frow = Int(newIndex[Int(failIdx[Int(s)])]) * stride
                    for c in 0..<stride { t[row + c] = t[frow + c] }
                }
                children(s) { ch, c in t[row + c] = newIndex[Int(ch)] &* ustride }
            }
        }
        self.table = table
        if isDFA {
            fail = []
        } else {
            var f = [UInt32](repeating: 0, count: stateCount)
            for s in 0..<stateCount { f[Int(newIndex[s])] = newIndex[Int(failIdx[s])] &* ustride }
            fail = f
        }
    }

    // MARK: - Searching

    /// Calls `body` for every overlapping match, in order of end offset.
    public func forEachOverlappingMatch(in text: UnsafeRawBufferPointer, _ body: (Match) -> Void) {
        scan(text, ordered: true) { stateID, end in
            let k = Int((stateID &- firstMatch) / UInt32(stride))
            for i in Int(matchOffsets[k])..<Int(matchOffsets[k + 1]) {
                let p = matchPatterns[i]
                body(Match(pattern: PatternID(p), start: end - Int(patternLengths[Int(p)]), end: end))
            }
        }
    }

    /// Counts overlapping matches (the number of (pattern, end offset) pairs) without materializing them.
    public func countOverlapping(in text: UnsafeRawBufferPointer) -> Int {
        var count = 0
        scan(text, ordered: false) { stateID, _ in
            let k = Int((stateID &- firstMatch) / UInt32(stride))
            count &+= Int(matchOffsets[k + 1] &- matchOffsets[k])
        }
        return count
    }

    /// Like `forEachOverlappingMatch`, but only matches whose both ends lie on a token boundary:
    /// the match neither starts nor ends inside a word. A word byte is an ASCII letter or digit, or
    /// any byte >= 0x80 (so a UTF-8 letter never counts as a boundary).

    public func forEachWholeTokenMatch(in text: UnsafeRawBufferPointer, _ body: (Match) -> Void) {
        let n = text.count
        forEachOverlappingMatch(in: text) { m in
            if m.start > 0 && AhoCorasick.isWordByte(text[m.start - 1]) && AhoCorasick.isWordByte(text[m.start]) { return }
            if m.end < n && AhoCorasick.isWordByte(text[m.end - 1]) && AhoCorasick.isWordByte(text[m.end]) { return }
            body(m)
        }
    }

    /// All overlapping matches of a byte sequence, as an array (convenience for tests and small inputs).
    public func overlappingMatches<C: Collection>(in bytes: C) -> [Match] where C.Element == UInt8 {
        var out = [Match]()
        Array(bytes).withUnsafeBytes { raw in forEachOverlappingMatch(in: raw) { out.append($0) } }
        return out
    }

    /// All whole-token matches of a byte sequence, as an array.
    public func wholeTokenMatches<C: Collection>(in bytes: C) -> [Match] where C.Element == UInt8 {
        var out = [Match]()
        Array(bytes).withUnsafeBytes { raw in forEachWholeTokenMatch(in: raw) { out.append($0) } }
        return out
    }

    @inline(__always)
    static func isWordByte(_ b: UInt8) -> Bool {
        b >= 0x80 || (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// The hot loop: walks the text and calls `onMatch(stateID, endOffset)` in every match state.
    ///
    /// A DFA step is one dependent load, so a single walk is bound by load latency, not by
    /// throughput. Long inputs are therefore cut into four segments walked in one loop, four
    /// independent dependency chains the CPU overlaps. Segment k > 0 starts its automaton
    /// `maxPatternLength - 1` bytes before its first byte without reporting (from the root, the
    /// automaton finds every match that starts at or after where it began, and a match ending in the
    /// segment starts at most that far back), then reports only matches ending inside the segment:
    /// the union is exactly the whole-buffer result. With `ordered`, matches of segments 1...3 are
    /// buffered and delivered after segment 0's, so callers still see them in order of end offset.
    @inline(__always)
    func scan(_ text: UnsafeRawBufferPointer, ordered: Bool, _ onMatch: (UInt32, Int) -> Void) {
        guard let base = text.baseAddress, text.count > 0 else { return }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let n = text.count
        let firstMatch = self.firstMatch
        classes.withUnsafeBufferPointer { cls in
            table.withUnsafeBufferPointer { tab in
                let c = cls.baseAddress!
                let t = tab.baseAddress!
                guard kind == .dfa else {
                    let ustride = UInt32(stride)
                    fail.withUnsafeBufferPointer { f in
                        var s: UInt32 = 0
                        for i in 0..<n {
                            let cl = c[Int(bytes[i])]
                            while true {
                                let next = t[Int(s &+ cl)]
                                if next != 0 { s = next; break }
                                if s == 0 { break }
                                s = f[Int(s / ustride)]
                            }
                            if s >= firstMatch { onMatch(s, i &+ 1) }
                        }
                    }
                    return
                }
                let seg = n / 4
                let back = max(maxPatternLength - 1, 0)
                if n < interleaveThreshold || seg <= back {
                    var s: UInt32 = 0
                    var i = 0
                    while i &+ 4 <= n {
                        s = t[Int(s &+ c[Int(bytes[i])])]
                        if s >= firstMatch { onMatch(s, i &+ 1) }
                        s = t[Int(s &+ c[Int(bytes[i &+ 1])])]
                        if s >= firstMatch { onMatch(s, i &+ 2) }
                        s = t[Int(s &+ c[Int(bytes[i &+ 2])])]
                        if s >= firstMatch { onMatch(s, i &+ 3) }
                        s = t[Int(s &+ c[Int(bytes[i &+ 3])])]
                        if s >= firstMatch { onMatch(s, i &+ 4) }
                        i &+= 4
                    }
                    while i < n {
                        s = t[Int(s &+ c[Int(bytes[i])])]
                        i &+= 1
                        if s >= firstMatch { onMatch(s, i) }
                    }
                    return
                }
                // The state at `to` after walking from the root at `from`, reporting nothing.
                @inline(__always) func warm(_ from: Int, _ to: Int) -> UInt32 {
                    var s: UInt32 = 0
                    for i in from..<to { s = t[Int(s &+ c[Int(bytes[i])])] }
                    return s
                }
                var s0: UInt32 = 0
                var s1 = warm(seg - back, seg)
                var s2 = warm(2 * seg - back, 2 * seg)
                var s3 = warm(3 * seg - back, 3 * seg)
                var later = [(UInt32, Int)]()   // ordered mode: matches of segments 1...3
                let b1 = bytes + seg, b2 = bytes + 2 * seg, b3 = bytes + 3 * seg
                for i in 0..<seg {
                    s0 = t[Int(s0 &+ c[Int(bytes[i])])]
                    s1 = t[Int(s1 &+ c[Int(b1[i])])]
                    s2 = t[Int(s2 &+ c[Int(b2[i])])]
                    s3 = t[Int(s3 &+ c[Int(b3[i])])]
                    if (s0 | s1 | s2 | s3) >= firstMatch {   // max would be exact; an OR is a cheap superset test
                        if s0 >= firstMatch { onMatch(s0, i &+ 1) }
                        if ordered {
                            if s1 >= firstMatch { later.append((s1, seg &+ i &+ 1)) }
                            if s2 >= firstMatch { later.append((s2, 2 &* seg &+ i &+ 1)) }
                            if s3 >= firstMatch { later.append((s3, 3 &* seg &+ i &+ 1)) }
                        } else {
                            if s1 >= firstMatch { onMatch(s1, seg &+ i &+ 1) }
                            if s2 >= firstMatch { onMatch(s2, 2 &* seg &+ i &+ 1) }
                            if s3 >= firstMatch { onMatch(s3, 3 &* seg &+ i &+ 1) }
                        }
                    }
                }
                // Segment 3 also owns the remainder n - 4 * seg.
                var i = 4 &* seg
                while i < n {
                    s3 = t[Int(s3 &+ c[Int(bytes[i])])]
                    i &+= 1
                    if s3 >= firstMatch {
                        if ordered { later.append((s3, i)) } else { onMatch(s3, i) }
                    }
                }
                if ordered && !later.isEmpty {
                    // Stable sort by end offset: segments interleave in `later`.
                    later.sort { $0.1 < $1.1 }
                    for (s, e) in later { onMatch(s, e) }
                }
            }
        }
    }
}
