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

    /// Jaro-Winkler similarity in [0, 1] (prefix scale 0.1, prefix up to 4).
    public static func jaroWinkler<A: RandomAccessCollection, B: RandomAccessCollection>(
        _ a: A, _ b: B
    ) -> Double where A.Element == UInt8, B.Element == UInt8, A.Index == Int, B.Index == Int {
        let s = Array(a), t = Array(b)
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

/// 64-bit FNV-1a over bytes, with optional skipped position (for deletion-neighbourhood keys).
@inline(__always)
func fnv1a<C: RandomAccessCollection>(_ bytes: C, skipping skip: Int = -1) -> UInt64 where C.Element == UInt8, C.Index == Int {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    var k = 0
    for i in bytes.indices {
        if k != skip {
            h ^= UInt64(bytes[i])
            h &*= 0x0000_0100_0000_01B3
        }
        k += 1
    }
    // Mix in the length so that keys of different lengths rarely collide.
    h ^= UInt64(bytes.count - (skip >= 0 ? 1 : 0)) &* 0x9E37_79B9_7F4A_7C15
    return h
}
