import Foundation

/// Made-up list entries with the token statistics of a real list, for measuring how screening scales with a
/// list of a million names (`chokepoint-bench list-scale`). Never a real person or company: no generated name
/// has the same words as a name of the list it learns from (in any order, upper case, punctuation ignored).
///
/// Each synthetic entry is a real entry of the list (drawn at random, so the mix of persons, entities, vessels
/// and aircraft, the number of names and weak a.k.a.s per entry and the words per name are the list's) whose
/// rare words (used fewer than 20 times in the list's names) are replaced by made-up ones, one replacement per
/// word for the whole entry, so its a.k.a.s keep sharing words as real ones do; common words (legal forms,
/// particles, frequent given names, generic words) stay where they were, punctuation and case too. A made-up
/// word is spelt by an order-2 letter chain learnt from the list's words of that kind of entry (so its length
/// and letters follow theirs) and is never a real word; new words are coined at the rate Heaps' law fitted on
/// the list's rare words gives (`V = K·T^β`, β from the vocabulary at half and at all of them), otherwise an
/// earlier made-up word comes back in proportion to its uses (the Zipf shape of real lists). A name left with
/// only common words that a real name has gets its rarest words replaced too. Identifiers follow the template
/// entry's (same types, same shape with each digit and letter replaced, never a real value); no BICs (a
/// synthetic bank code would fire on real payments' agents). Deterministic: the same real entries, size and
/// seed give the same list.
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
        var distinct = Set<String>()
        for e in out { for n in e.names { for w in words(n.name).words { distinct.insert(w.uppercased()) } } }
        s.distinctTokens = distinct.count
        s.newTokens = model.newWords.count
        return (out, s)
    }

    /// The key two names share when they have the same tokens: upper case letters and digits, tokens sorted.
    public static func tokenKey(_ name: String) -> String {
        name.uppercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init).sorted().joined(separator: " ")
    }

    /// The generator's draws (`SeededRandom`).
    typealias Random = SeededRandom

    /// Made-up words of one kind of entry: coined at the rate Heaps' law fitted on the real list's rare words
    /// gives, otherwise one coined before, drawn in proportion to its uses so far (the Zipf shape of real lists).
    struct Pool {
        /// Every real word (rare or common) and every coined one: a coined word is never a real one.
        var known = Set<String>()
        var coined: [String] = []
        /// One element per use of a coined word: drawing one uniformly is drawing in proportion to use.
        var uses: [Int32] = []
        var realRare: [String] = []
        var realDistinct = 0, realUses = 0
        var beta = 0.6
        var chain = LetterChain()

        /// Lengths of the real rare words (letters), cumulative: a made-up word is cut at a length drawn from them.
        var lengths: [(value: Int, upTo: Int)] = []
        var lengthCounts: [Int: Int] = [:]

        mutating func learn(_ word: String, rare: Bool) {
            if known.insert(word).inserted { chain.learn(word) }
            if rare {
                realRare.append(word)
                lengthCounts[min(word.count, 24), default: 0] += 1
            }
        }

        /// Fits Heaps' law on the real rare words (in a fixed shuffled order): β from the vocabulary at half and
        /// at all of them.
        mutating func close(_ rng: inout Random) {
            realUses = realRare.count
            realDistinct = Set(realRare).count
            if realUses >= 16 {
                var order = realRare
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
                let half = Set(order.prefix(realUses / 2)).count
                beta = min(0.95, max(0.3, log2(Double(realDistinct) / Double(max(half, 1)))))
            }
            realRare = []
            lengths = Model.cumulative(lengthCounts.isEmpty ? [6: 1] : lengthCounts)
        }

        /// The next made-up word.
        mutating func draw(_ rng: inout Random) -> String {
            let t = Double(max(realUses, 1)), n = t + Double(uses.count)
            // dV/dT of V = K·T^β through (realUses, realDistinct), continued past the real list.
            let pNew = realUses == 0 ? 0.5 : beta * Double(max(realDistinct, 1)) / t * pow(n / t, beta - 1)
            let id: Int32
            if uses.isEmpty || rng.unit() < pNew {
                var word = chain.spell(&rng, atMost: rng.pick(lengths))
                var attempts = 0
                while word.count < 2 || known.contains(word) {
                    attempts += 1
                    word = attempts < 32 ? chain.spell(&rng, atMost: rng.pick(lengths)) : word + chain.spell(&rng, atMost: 24)
                }
                known.insert(word)
                id = Int32(coined.count)
                coined.append(word)
            } else {
                id = uses[rng.below(uses.count)]
            }
            uses.append(id)
            return coined[Int(id)]
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

        /// A word of at most `atMost` letters (the chain may end it sooner).
        func spell(_ rng: inout Random, atMost: Int) -> String {
            var a = 0, b = 0
            var out = ""
            while out.unicodeScalars.count < atMost {
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

    /// A name cut into words (runs of letters and digits) and what lies between them, kept as written.
    static func words(_ name: String) -> (words: [String], separators: [String]) {
        var words: [String] = [], separators: [String] = [""]
        var word = "", inWord = false
        for ch in name {
            let letter = ch.isLetter || ch.isNumber
            if letter != inWord {
                if inWord { words.append(word); word = ""; separators.append("") }
                inWord = letter
            }
            if letter { word.append(ch) } else { separators[separators.count - 1].append(ch) }
        }
        if inWord { words.append(word) }
        if words.count == separators.count { separators.append("") }
        return (words, separators)
    }

    struct Model {
        /// A word used at least this often in the real names is kept as written (legal forms, particles, common
        /// given names, generic words); rarer words are replaced by made-up ones.
        static let commonUses = 20

        var rng: Random
        var pools = [Pool](repeating: Pool(), count: 3)
        /// Real entries by kind: each synthetic entry is one of them with its rare words replaced.
        var templates: [[ListEntry]] = [[], [], []]
        var kindWeights: [(value: Int, upTo: Int)] = []
        /// Uses of each word (upper case) in the real names.
        var wordUses: [String: Int] = [:]
        var realKeys = Set<String>()
        var realIdentifiers = Set<String>()
        var summary = Summary()
        var newWords = Set<String>()

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

        init(real: [ListEntry], seed: UInt64) {
            rng = Random(seed: seed)
            var kinds = [Int: Int]()
            for e in real where !e.names.isEmpty {
                for n in e.names { for w in SyntheticList.words(n.name).words { wordUses[w.uppercased(), default: 0] += 1 } }
            }
            for e in real where !e.names.isEmpty {
                let k = Self.kind(e.type)
                kinds[k.rawValue, default: 0] += 1
                templates[k.rawValue].append(e)
                for id in e.identifiers { realIdentifiers.insert(id.value) }
                for n in e.names {
                    realKeys.insert(tokenKey(n.name))
                    for w in SyntheticList.words(n.name).words {
                        let u = w.uppercased()
                        pools[k.rawValue].learn(u, rare: wordUses[u, default: 0] < Self.commonUses)
                    }
                }
            }
            // A made-up word is no real word of any kind of entry (each chain learnt its own kind's words only).
            let realWords = Set(wordUses.keys)
            for i in pools.indices {
                pools[i].known.formUnion(realWords)
                pools[i].close(&rng)
            }
            kindWeights = Self.cumulative(kinds)
        }

        /// `word` in the case of `template` (`Khamis`, `KHAMIS`, `khamis`).
        static func cased(_ word: String, like template: String) -> String {
            let letters = template.filter(\.isLetter)
            if letters.count > 1 && letters.dropFirst().allSatisfy(\.isLowercase) {
                return word.prefix(1) + word.dropFirst().lowercased()
            }
            if !letters.isEmpty && letters.allSatisfy(\.isLowercase) { return word.lowercased() }
            return word
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
            // One replacement per rare word for the whole entry: its names keep sharing words as the real ones do.
            var replacement: [String: String] = [:]
            var names: [EntryName] = []
            for n in template.names {
                let (words, separators) = SyntheticList.words(n.name)
                var out = words
                func replace(_ i: Int) {
                    let u = words[i].uppercased()
                    if replacement[u] == nil {
                        let w = pools[k.rawValue].draw(&rng)
                        replacement[u] = w
                        newWords.insert(w)
                    }
                    out[i] = Self.cased(replacement[u]!, like: words[i])
                }
                for i in words.indices where wordUses[words[i].uppercased(), default: 0] < Self.commonUses { replace(i) }
                func joined() -> String {
                    var s = separators[0]
                    for i in words.indices { s += out[i] + separators[i + 1] }
                    return s
                }
                var name = joined()
                // Only common words (`AL-MUHAMMAD, Khalid`): the rarest is replaced, then the next, until no real
                // name has these words.
                let byUse = words.indices.sorted { (wordUses[words[$0].uppercased()] ?? 0, $0) < (wordUses[words[$1].uppercased()] ?? 0, $1) }
                var next = 0
                while realKeys.contains(tokenKey(name)) {
                    summary.rejectedAsReal += 1
                    if next < byUse.count {
                        let i = byUse[next]
                        if out[i] == words[i] { replace(i) }
                        next += 1
                    } else {
                        out.append(pools[k.rawValue].draw(&rng))
                    }
                    name = out.count > words.count ? joined() + " " + out[words.count...].joined(separator: " ") : joined()
                }
                names.append(EntryName(name: name, kind: n.kind, strength: n.strength))
                if n.strength == .weak { summary.weakNames += 1 }
            }
            summary.names += names.count
            switch k {
            case .person: summary.persons += 1
            case .entity: summary.entities += 1
            case .craft: summary.crafts += 1
            }
            let identifiers = template.identifiers.map {
                EntryIdentifier(type: $0.type, value: identifier(like: $0.value), country: $0.country)
            }
            summary.identifiers += identifiers.count
            return ListEntry(sourceId: id, type: template.type, names: names, identifiers: identifiers,
                             countries: template.countries, programs: template.programs)
        }
    }
}

extension SeededRandom {
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
