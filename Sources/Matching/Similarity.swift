/// String similarity measures on byte strings (normalized tokens).
public enum Similarity {
    /// Optimal-string-alignment Damerau-Levenshtein distance (substitution, insertion, deletion,
    /// transposition of adjacent bytes), stopping early once it exceeds `limit`.
    /// Returns `limit + 1` when the distance is larger than `limit`.
    public static func damerauLevenshtein<A: RandomAccessCollection, B: RandomAccessCollection>(
        _ a: A, _ b: B, limit: Int = Int.max
    ) -> Int where A.Element == UInt8, B.Element == UInt8, A.Index == Int, B.Index == Int {
        let n = a.count, m = b.count
        if abs(n - m) > limit { return limit == Int.max ? abs(n - m) : limit + 1 }
        if n == 0 { return m }
        if m == 0 { return n }
        let a0 = a.startIndex, b0 = b.startIndex
        var prev2 = [Int](repeating: 0, count: m + 1)
        var prev = Array(0...m)
        var cur = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            cur[0] = i
            var rowMin = i
            let ai = a[a0 + i - 1]
            for j in 1...m {
                let bj = b[b0 + j - 1]
                var d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ai == bj ? 0 : 1))
                if i > 1 && j > 1 && ai == b[b0 + j - 2] && a[a0 + i - 2] == bj {
                    d = min(d, prev2[j - 2] + 1)
                }
                cur[j] = d
                rowMin = min(rowMin, d)
            }
            if rowMin > limit { return limit + 1 }
            swap(&prev2, &prev)
            swap(&prev, &cur)
        }
        return min(prev[m], limit == Int.max ? prev[m] : limit + 1)
    }

    /// Whether `a` and `b` are within one edit (substitution, insertion, deletion or adjacent
    /// transposition): `damerauLevenshtein(a, b) <= 1` in linear time and without allocation.
    public static func withinOneEdit(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in withinOneEdit(a, b) } }
    }

    /// `withinOneEdit` on buffers (no bounds checks, no reference counting).
    @inline(__always)
    static func withinOneEdit(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = a.count, m = b.count
        if abs(n - m) > 1 { return false }
        var i = 0
        while i < n && i < m && a[i] == b[i] { i += 1 }
        if i == n && i == m { return true }               // equal
        if n == m {
            // substitution at i, or transposition of i and i+1
            if a[(i + 1)...].elementsEqual(b[(i + 1)...]) { return true }
            return i + 1 < n && a[i] == b[i + 1] && a[i + 1] == b[i] && a[(i + 2)...].elementsEqual(b[(i + 2)...])
        }
        // one insertion/deletion at i
        return n > m ? a[(i + 1)...].elementsEqual(b[i...]) : a[i...].elementsEqual(b[(i + 1)...])
    }

    /// Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, prefix up to 4).
    public static func jaroWinkler(_ a: [UInt8], _ b: [UInt8]) -> Double {
        if a.count <= 64 && b.count <= 64 {
            return a.withUnsafeBufferPointer { s in b.withUnsafeBufferPointer { t in jaroWinkler64(s, t) } }
        }
        return jaroWinklerGeneral(a, b)
    }

    /// Allocation-free Jaro-Winkler for strings of at most 64 bytes: matched flags are bit masks.
    static func jaroWinkler64(_ s: UnsafeBufferPointer<UInt8>, _ t: UnsafeBufferPointer<UInt8>) -> Double {
        if s.isEmpty && t.isEmpty { return 1 }
        if s.isEmpty || t.isEmpty { return 0 }
        let window = max(0, max(s.count, t.count) / 2 - 1)
        var sMatched: UInt64 = 0, tMatched: UInt64 = 0
        var matches = 0
        for i in 0..<s.count {
            let lo = max(0, i - window), hi = min(t.count - 1, i + window)
            if lo > hi { continue }
            for j in lo...hi where tMatched & (1 << UInt64(j)) == 0 && s[i] == t[j] {
                sMatched |= 1 << UInt64(i)
                tMatched |= 1 << UInt64(j)
                matches += 1
                break
            }
        }
        if matches == 0 { return 0 }
        var transpositions = 0
        var k = 0
        for i in 0..<s.count where sMatched & (1 << UInt64(i)) != 0 {
            while tMatched & (1 << UInt64(k)) == 0 { k += 1 }
            if s[i] != t[k] { transpositions += 1 }
            k += 1
        }
        let m = Double(matches)
        let jaro = (m / Double(s.count) + m / Double(t.count) + (m - Double(transpositions / 2)) / m) / 3
        var prefix = 0
        while prefix < min(4, s.count, t.count) && s[prefix] == t[prefix] { prefix += 1 }
        return jaro + Double(prefix) * 0.1 * (1 - jaro)
    }

    static func jaroWinklerGeneral(_ s: [UInt8], _ t: [UInt8]) -> Double {
        if s.isEmpty && t.isEmpty { return 1 }
        if s.isEmpty || t.isEmpty { return 0 }
        let window = max(0, max(s.count, t.count) / 2 - 1)
        var sMatched = [Bool](repeating: false, count: s.count)
        var tMatched = [Bool](repeating: false, count: t.count)
        var matches = 0
        for i in 0..<s.count {
            let lo = max(0, i - window), hi = min(t.count - 1, i + window)
            if lo > hi { continue }
            for j in lo...hi where !tMatched[j] && s[i] == t[j] {
                sMatched[i] = true
                tMatched[j] = true
                matches += 1
                break
            }
        }
        if matches == 0 { return 0 }
        var transpositions = 0
        var k = 0
        for i in 0..<s.count where sMatched[i] {
            while !tMatched[k] { k += 1 }
            if s[i] != t[k] { transpositions += 1 }
            k += 1
        }
        let m = Double(matches)
        let jaro = (m / Double(s.count) + m / Double(t.count) + (m - Double(transpositions / 2)) / m) / 3
        var prefix = 0
        while prefix < min(4, s.count, t.count) && s[prefix] == t[prefix] { prefix += 1 }
        return jaro + Double(prefix) * 0.1 * (1 - jaro)
    }

    public static func jaroWinkler(_ a: String, _ b: String) -> Double { jaroWinkler(Array(a.utf8), Array(b.utf8)) }
    public static func damerauLevenshtein(_ a: String, _ b: String) -> Int { damerauLevenshtein(Array(a.utf8), Array(b.utf8)) }
}

/// Hash keys of a token's deletion neighbourhood: the token itself first, then the token with
/// each single byte removed, in order; `keys[k + 1]` equals the self key of the token without byte k.
/// Linear time, no allocation: with H(s) = sum (s[i]+1) * P^(n-1-i) (mod 2^64) and prefix(k) the same
/// sum over s[0..<k] taken as a string of its own, deleting byte k gives
/// H + P^(n-1-k) * (prefix(k) - prefix(k+1)); P is odd, hence invertible mod 2^64, so the powers
/// are walked downwards by multiplying with its inverse. Keys are mixed with the length.
func deletionKeys<C: Collection>(_ t: C, into keys: inout [UInt64]) where C.Element == UInt8 {
    keys.removeAll(keepingCapacity: true)
    forEachDeletionKey(t) { keys.append($0) }
}

/// The keys of `deletionKeys`, in the same order, handed to `body` (no array).
@inline(__always)
func forEachDeletionKey<C: Collection>(_ t: C, _ body: (UInt64) -> Void) where C.Element == UInt8 {
    let P: UInt64 = 0x100_0000_01B3
    let n = t.count
    var h: UInt64 = 0
    for b in t { h = h &* P &+ (UInt64(b) &+ 1) }
    body(mixKey(h, n))
    guard n > 0 else { return }
    var pow: UInt64 = 1
    for _ in 1..<n { pow = pow &* P }   // P^(n-1)
    var prefix: UInt64 = 0
    for b in t {
        let next = prefix &* P &+ (UInt64(b) &+ 1)
        body(mixKey(h &+ pow &* (prefix &- next), n - 1))
        prefix = next
        pow = pow &* inverseP
    }
}

/// The self key of `deletionKeys` alone (the first key): the hash of the whole token.
@inline(__always)
func selfKey<C: Collection>(_ t: C) -> UInt64 where C.Element == UInt8 {
    var hasher = SelfKeyHasher()
    hasher.add(t)
    return hasher.key
}

/// `selfKey` over bytes that come in pieces: fed `a`, then `b`, its `key` is `selfKey(a + b)`, without the
/// joined array (the prefilter's tagged and pair keys).
struct SelfKeyHasher {
    private var h: UInt64 = 0
    private var count = 0

    @inline(__always) mutating func add<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        for b in bytes { h = h &* 0x100_0000_01B3 &+ (UInt64(b) &+ 1) }
        count += bytes.count
    }

    var key: UInt64 { mixKey(h, count) }
}

/// The inverse of 0x100000001B3 modulo 2^64 (Newton's iteration; P is odd).
let inverseP: UInt64 = {
    let P: UInt64 = 0x100_0000_01B3
    var x: UInt64 = P   // correct to 3 bits for odd P; each step doubles the correct bits
    for _ in 0..<6 { x = x &* (2 &- P &* x) }
    return x
}()

@inline(__always) func mixKey(_ h0: UInt64, _ length: Int) -> UInt64 {
    var h = h0 ^ (UInt64(length) &* 0x9E37_79B9_7F4A_7C15)
    h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
    h ^= h >> 29
    return h == 0 ? 1 : h
}
