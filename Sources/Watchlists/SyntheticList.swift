import Foundation

/// Made-up list entries with the token statistics of a real list, for measuring how screening scales with a
/// list of a million names (`chokepoint-bench list-scale`). Never a real person or company: no generated name
/// has the same tokens as a name of the list it learns from (in any order, upper case, punctuation ignored).
///
/// What is learnt from the real entries, per kind (person; entity, bank and other; vessel and aircraft):
/// the share of each kind, the number of names per entry and the share of weak ones, the number of tokens
/// per name (a person's family and given parts apart, as OFAC writes `FAMILY, Given Middle`), and, per token
/// position (a one-token name, first, inner, last; a person's family and given tokens), the tokens used and
/// how often. Generation draws each token from its position's pool by preferential attachment (a token
/// already used n times is drawn in proportion to n, which keeps the pool's Zipf shape), and coins a new
/// token at the rate Heaps' law fitted on the real pool gives (`V = K·T^β`, β from the vocabulary at half
/// and at all of the real tokens): the vocabulary keeps growing as real lists' do. A new token is spelt by
/// an order-2 letter chain learnt from the pool's tokens, so its length and letters follow the real ones.
/// Entries that carry identifiers in the real list get identifiers of the same types, in the same shape
/// (each digit and letter replaced), never equal to a real value; no BICs (a synthetic bank code would
/// fire on real payments' agents). Deterministic: the same real entries, count and seed give the same list.
public enum SyntheticList {
    /// Counts of what was generated.
    public struct Summary: Sendable, Equatable {
        public var entries = 0, persons = 0, entities = 0, crafts = 0
        public var names = 0, weakNames = 0, tokens = 0, identifiers = 0
        /// Distinct tokens of the generated names, and how many of them no real name uses.
        public var distinctTokens = 0, newTokens = 0
        /// Names drawn again because their tokens were those of a real name.
        public var rejectedAsReal = 0
    }

    /// Entries like `real`'s holding `names` names in all (the last entry is cut to fit), with ids
    /// `idPrefix` + 1, 2, ….
    public static func generate(names: Int, like real: [ListEntry], seed: UInt64, idPrefix: String = "SYN-")
        -> (entries: [ListEntry], summary: Summary) {
        var out: [ListEntry] = []
        guard names > 0, real.contains(where: { !$0.names.isEmpty }) else { return ([], Summary()) }
        var model = Model(real: real, seed: seed)
        out.reserveCapacity(names / 2)
        var total = 0
        while total < names {
            var e = model.entry(id: idPrefix + String(out.count + 1))
            if total + e.names.count > names {
                for n in e.names[(names - total)...] where n.strength == .weak { model.summary.weakNames -= 1 }
                model.summary.names -= total + e.names.count - names
                e.names.removeLast(total + e.names.count - names)
            }
            total += e.names.count
            out.append(e)
        }
        var s = model.summary
        s.entries = out.count
        s.tokens = out.reduce(0) { $0 + $1.names.reduce(0) { $0 + $1.name.split(whereSeparator: { $0 == " " || $0 == "," }).count } }
        s.distinctTokens = model.pools.reduce(0) { $0 + $1.usedDistinct }
        s.newTokens = model.pools.reduce(0) { $0 + $1.newUsed }
        return (out, s)
    }

    /// The key two names share when they have the same tokens: upper case letters and digits, tokens sorted.
    public static func tokenKey(_ name: String) -> String {
        name.uppercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init).sorted().joined(separator: " ")
    }

    /// SplitMix64, the bench's generator: small, seeded, the same on every platform.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Uniform in 0..<n (n > 0).
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        /// Uniform in [0, 1).
        mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
        /// An element of a non-empty histogram (value → weight), in proportion to its weight.
        mutating func pick(_ cumulative: [(value: Int, upTo: Int)]) -> Int {
            let r = below(cumulative.last!.upTo)
            return cumulative.first { r < $0.upTo }!.value
        }
    }

    /// Tokens of one position: the real ones with their counts, and those coined since.
    struct Pool {
        var tokens: [String] = []
        var ids: [String: Int32] = [:]
        /// One element per use of a token (real uses first): drawing one uniformly is drawing in proportion to use.
        var uses: [Int32] = []
        var realDistinct = 0, realUses = 0
        var beta = 0.6
        var chain = LetterChain()
        var used: [Bool] = []
        var usedDistinct = 0, newUsed = 0

        mutating func learn(_ token: String) {
            let id: Int32
            if let known = ids[token] { id = known } else {
                id = Int32(tokens.count)
                ids[token] = id
                tokens.append(token)
                chain.learn(token)
            }
            uses.append(id)
        }

        /// Fits Heaps' law on the real uses (in a fixed shuffled order) and closes the real part.
        mutating func close(_ rng: inout Random) {
            realDistinct = tokens.count
            realUses = uses.count
            used = [Bool](repeating: false, count: tokens.count)
            guard realUses >= 16 else { return }
            var order = uses
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
            var seen = Set<Int32>()
            for u in order.prefix(realUses / 2) { seen.insert(u) }
            let half = seen.count
            beta = min(0.9, max(0.3, log2(Double(realDistinct) / Double(max(half, 1)))))
        }

        /// The next token of this position.
        mutating func draw(_ rng: inout Random) -> String {
            let n = Double(uses.count), t = Double(max(realUses, 1))
            // dV/dT of V = K·T^β through (realUses, realDistinct).
            let pNew = realUses == 0 ? 1 : beta * Double(realDistinct) / t * pow(n / t, beta - 1)
            var id: Int32
            if uses.isEmpty || rng.unit() < pNew {
                var word = ""
                for attempt in 0..<32 {
                    word = chain.spell(&rng)
                    if attempt == 31 { word += chain.spell(&rng) }   // long enough to be new
                    if word.count >= 2 && ids[word] == nil { break }
                }
                if let known = ids[word] { id = known } else {
                    id = Int32(tokens.count)
                    ids[word] = id
                    tokens.append(word)
                    used.append(false)
                }
            } else {
                id = uses[rng.below(uses.count)]
            }
            uses.append(id)
            if !used[Int(id)] {
                used[Int(id)] = true
                usedDistinct += 1
                if Int(id) >= realDistinct { newUsed += 1 }
            }
            return tokens[Int(id)]
        }
    }

    /// An order-2 chain over the letters of a pool's tokens (upper case A–Z; other characters are not learnt).
    struct LetterChain {
        /// counts[(a * 27 + b) * 27 + c]: letter c after a, b (0 = a token's edge, 1...26 = A...Z).
        var counts = [UInt32](repeating: 0, count: 27 * 27 * 27)

        mutating func learn(_ token: String) {
            var a = 0, b = 0
            for u in token.uppercased().unicodeScalars {
                guard u.value >= 65 && u.value <= 90 else { continue }
                let c = Int(u.value) - 64
                counts[(a * 27 + b) * 27 + c] += 1
                a = b; b = c
            }
            if b != 0 { counts[(a * 27 + b) * 27] += 1 }
        }

        func spell(_ rng: inout Random) -> String {
            var a = 0, b = 0
            var out = ""
            while out.count < 24 {
                let row = (a * 27 + b) * 27
                var total: UInt32 = 0
                for c in 0..<27 { total += counts[row + c] }
                if total == 0 { break }
                var r = UInt32(rng.below(Int(total)))
                var c = 0
                while r >= counts[row + c] { r -= counts[row + c]; c += 1 }
                if c == 0 { break }
                out.unicodeScalars.append(Unicode.Scalar(UInt8(64 + c)))
                a = b; b = c
            }
            return out.isEmpty ? "X" : out
        }
    }

    enum Kind: Int, CaseIterable { case person = 0, entity = 1, craft = 2 }
    /// Pool positions of entities and crafts: a one-token name, first, inner, last token.
    enum Position: Int { case solo = 0, first = 1, inner = 2, last = 3 }

    struct Model {
        var rng: Random
        /// Persons: 0 = family, 1 = given; entities and crafts: `base(kind)` + position.
        var pools = [Pool](repeating: Pool(), count: 10)

        static func base(_ k: Kind) -> Int { k == .entity ? 2 : 6 }
        /// Real entries by kind (templates for countries, programs, identifiers and the entry type).
        var templates: [[ListEntry]] = [[], [], []]
        var kindWeights: [(value: Int, upTo: Int)] = []
        var namesPerEntry: [[(value: Int, upTo: Int)]] = [[], [], []]
        /// Tokens per name (entities, crafts); persons: family * 64 + given.
        var shapes: [[(value: Int, upTo: Int)]] = [[], [], []]
        var weakShare = [0.0, 0.0, 0.0]
        var realKeys = Set<String>()
        var realIdentifiers = Set<String>()
        var summary = Summary()

        static func kind(_ t: EntryType) -> Kind {
            switch t {
            case .person: return .person
            case .vessel, .aircraft: return .craft
            default: return .entity
            }
        }

        static func cumulative(_ h: [Int: Int]) -> [(value: Int, upTo: Int)] {
            var total = 0
            return h.sorted { $0.key < $1.key }.map { total += $0.value; return ($0.key, total) }
        }

        /// A person name's family and given tokens (`FAMILY, Given Middle`; without a comma, the last token is the family).
        static func personParts(_ name: String) -> (family: [String], given: [String]) {
            let parts = name.split(separator: ",", maxSplits: 1)
            let words = { (s: Substring) in s.split(separator: " ").map(String.init) }
            if parts.count == 2 { return (words(parts[0]), words(parts[1])) }
            let all = words(name[...])
            return (Array(all.suffix(1)), Array(all.dropLast()))
        }

        init(real: [ListEntry], seed: UInt64) {
            rng = Random(state: seed)
            var kinds = [Int: Int](), perEntry = [[Int: Int]](repeating: [:], count: 3)
            var shape = [[Int: Int]](repeating: [:], count: 3)
            var names = [0, 0, 0], weak = [0, 0, 0]
            for e in real where !e.names.isEmpty {
                let k = Self.kind(e.type)
                kinds[k.rawValue, default: 0] += 1
                templates[k.rawValue].append(e)
                perEntry[k.rawValue][min(e.names.count, 40), default: 0] += 1
                for id in e.identifiers { realIdentifiers.insert(id.value) }
                for n in e.names {
                    realKeys.insert(tokenKey(n.name))
                    names[k.rawValue] += 1
                    if n.strength == .weak { weak[k.rawValue] += 1 }
                    if k == .person {
                        let (family, given) = Self.personParts(n.name)
                        guard !family.isEmpty else { continue }
                        shape[0][min(family.count, 63) * 64 + min(given.count, 63), default: 0] += 1
                        for t in family { pools[0].learn(t) }
                        for t in given { pools[1].learn(t) }
                    } else {
                        let words = n.name.split(separator: " ").map(String.init)
                        guard !words.isEmpty else { continue }
                        shape[k.rawValue][words.count, default: 0] += 1
                        let base = Self.base(k)
                        if words.count == 1 { pools[base + Position.solo.rawValue].learn(words[0]); continue }
                        for (i, w) in words.enumerated() {
                            let p: Position = i == 0 ? .first : i == words.count - 1 ? .last : .inner
                            pools[base + p.rawValue].learn(w)
                        }
                    }
                }
            }
            for i in pools.indices { pools[i].close(&rng) }
            kindWeights = Self.cumulative(kinds)
            for k in 0..<3 {
                namesPerEntry[k] = Self.cumulative(perEntry[k])
                shapes[k] = Self.cumulative(shape[k])
                weakShare[k] = names[k] == 0 ? 0 : Double(weak[k]) / Double(names[k])
            }
        }

        mutating func name(_ k: Kind) -> String {
            if k == .person {
                let s = rng.pick(shapes[0])
                let family = (0..<(s / 64)).map { _ in pools[0].draw(&rng) }
                let given = (0..<(s % 64)).map { _ in pools[1].draw(&rng) }
                return given.isEmpty ? family.joined(separator: " ") : family.joined(separator: " ") + ", " + given.joined(separator: " ")
            }
            let count = rng.pick(shapes[k.rawValue]), base = Self.base(k)
            if count == 1 { return pools[base + Position.solo.rawValue].draw(&rng) }
            var words: [String] = []
            for i in 0..<count {
                let p: Position = i == 0 ? .first : i == count - 1 ? .last : .inner
                words.append(pools[base + p.rawValue].draw(&rng))
            }
            return words.joined(separator: " ")
        }

        /// A value of the same shape as `template`: digits and letters replaced, other characters kept.
        mutating func identifier(like template: String) -> String {
            while true {
                var out = ""
                for u in template.unicodeScalars {
                    if u.value >= 48 && u.value <= 57 {
                        out.unicodeScalars.append(Unicode.Scalar(UInt8(48 + rng.below(10))))
                    } else if (u.value >= 65 && u.value <= 90) || (u.value >= 97 && u.value <= 122) {
                        out.unicodeScalars.append(Unicode.Scalar(UInt8(65 + rng.below(26))))
                    } else {
                        out.unicodeScalars.append(u)
                    }
                }
                if !realIdentifiers.contains(out) { return out }
            }
        }

        mutating func entry(id: String) -> ListEntry {
            let k = Kind(rawValue: rng.pick(kindWeights))!
            let template = templates[k.rawValue][rng.below(templates[k.rawValue].count)]
            let count = rng.pick(namesPerEntry[k.rawValue])
            var names: [EntryName] = []
            for i in 0..<count {
                var n = name(k)
                while realKeys.contains(tokenKey(n)) {
                    summary.rejectedAsReal += 1
                    n = name(k)
                }
                let weak = i > 0 && rng.unit() < weakShare[k.rawValue] * Double(count) / Double(max(count - 1, 1))
                names.append(EntryName(name: n, kind: i == 0 ? "primary" : weak ? "weak_aka" : "aka", strength: weak ? .weak : .strong))
                if weak { summary.weakNames += 1 }
            }
            summary.names += count
            switch k {
            case .person: summary.persons += 1
            case .entity: summary.entities += 1
            case .craft: summary.crafts += 1
            }
            var identifiers: [EntryIdentifier] = []
            // The identifiers of another real entry of the kind, so the share with identifiers and their mix follow the list's.
            let source = templates[k.rawValue][rng.below(templates[k.rawValue].count)]
            for i in source.identifiers {
                identifiers.append(EntryIdentifier(type: i.type, value: identifier(like: i.value), country: i.country))
            }
            summary.identifiers += identifiers.count
            return ListEntry(sourceId: id, type: template.type, names: names, identifiers: identifiers,
                             countries: template.countries, programs: template.programs)
        }
    }
}
