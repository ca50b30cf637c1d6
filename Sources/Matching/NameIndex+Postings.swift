/// Candidate postings: which variants a text's token hits make worth verifying.
///
/// Each variant is posted under its anchor, its rarest required token (fewest variants; the longest on ties):
/// a variant can only match if its anchor is hit. With a large list many variants have only common required
/// tokens, so the list under a common anchor is long, and most of it fails on another required token. The
/// postings of one anchor are therefore sorted by the variant's second anchor (its next rarest distinct required
/// token; -1, first, when it has none): a text reads, under each anchor it hit, the variants without a second
/// anchor and the runs of the second anchors it hit too, by binary search in the sorted list. Both anchors are
/// required tokens, so this skips only variants that verification would reject; every candidate is then
/// checked for a hit on each of its required tokens, as before.
extension NameIndex {
    /// Runs of at most this many postings (after those without a second anchor) are read whole: a scan is
    /// cheaper than a binary search per hit token there.
    static let postingScanLength = 16

    /// The anchor postings of the variants: offsets by token (`tokenLengths.count + 1`), variants, and each
    /// posting's second anchor.
    static func anchorPostings(variantOffsets: [Int32], variantTokens: [Int32], variantEssential: [UInt8],
                               tokenLengths: [Int32]) -> (offsets: [Int32], variants: [Int32], second: [Int32]) {
        let variantCount = variantOffsets.count - 1
        // Document frequency of each token over variants (a token counted once per variant).
        var df = [Int32](repeating: 0, count: tokenLengths.count)
        for v in 0..<variantCount {
            let lo = Int(variantOffsets[v]), hi = Int(variantOffsets[v + 1])
            for i in lo..<hi where !variantTokens[lo..<i].contains(variantTokens[i]) { df[Int(variantTokens[i])] += 1 }
        }
        // Rarest first; among equally rare, the longest (more selective, and typo-tolerant); then the first.
        @inline(__always) func better(_ t: Int32, than best: Int32) -> Bool {
            best < 0 || df[Int(t)] < df[Int(best)] || (df[Int(t)] == df[Int(best)] && tokenLengths[Int(t)] > tokenLengths[Int(best)])
        }
        var anchorOf = [Int32](repeating: -1, count: variantCount)
        var secondOf = [Int32](repeating: -1, count: variantCount)
        var counts = [Int32](repeating: 0, count: tokenLengths.count + 1)
        for v in 0..<variantCount {
            var best: Int32 = -1
            let r = Int(variantOffsets[v])..<Int(variantOffsets[v + 1])
            for i in r where variantEssential[i] == NameIndex.required && better(variantTokens[i], than: best) { best = variantTokens[i] }
            precondition(best >= 0, "every indexed variant has a required token")
            var second: Int32 = -1
            for i in r where variantEssential[i] == NameIndex.required && variantTokens[i] != best
                && better(variantTokens[i], than: second) { second = variantTokens[i] }
            anchorOf[v] = best
            secondOf[v] = second
            counts[Int(best) + 1] += 1
        }
        for i in 0..<tokenLengths.count { counts[i + 1] += counts[i] }
        var variants = [Int32](repeating: 0, count: variantCount)
        var fill = counts
        for v in 0..<variantCount {
            let t = Int(anchorOf[v])
            variants[Int(fill[t])] = Int32(v)
            fill[t] += 1
        }
        // Each anchor's list by second anchor, then by variant (a stable sort of a list already in variant order).
        for t in 0..<tokenLengths.count where counts[t + 1] - counts[t] > 1 {
            let r = Int(counts[t])..<Int(counts[t + 1])
            var run = Array(variants[r])
            if run.indices.dropFirst().allSatisfy({ secondOf[Int(run[$0 - 1])] <= secondOf[Int(run[$0])] }) { continue }
            run.sort { (secondOf[Int($0)], $0) < (secondOf[Int($1)], $1) }
            variants.replaceSubrange(r, with: run)
        }
        return (counts, variants, variants.map { secondOf[Int($0)] })
    }

    /// The variants worth verifying for a text whose hit tokens are `hitTokens` (distinct, ascending): in
    /// ascending order, once each, every variant with a hit on each of its required tokens, and no other.
    func candidateVariants(hitTokens: [Int32], into candidates: inout [Int32]) {
        candidates.removeAll(keepingCapacity: true)
        @inline(__always) func lowerBound(_ x: Int32, in a: UnsafeBufferPointer<Int32>, _ from: Int, _ to: Int) -> Int {
            var lo = from, hi = to
            while lo < hi {
                let mid = (lo + hi) / 2
                if a[mid] < x { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }
        @inline(__always) func contains(_ x: Int32, _ a: UnsafeBufferPointer<Int32>) -> Bool {
            let p = lowerBound(x, in: a, 0, a.count)
            return p < a.count && a[p] == x
        }
        hitTokens.withUnsafeBufferPointer { hitBuffer in
            anchorSecond.withUnsafeBufferPointer { second in
                anchorVariants.withUnsafeBufferPointer { posted in
                    for t in hitBuffer {
                        var i = Int(anchorOffsets[Int(t)])
                        let hi = Int(anchorOffsets[Int(t) + 1])
                        while i < hi && second[i] < 0 { candidates.append(posted[i]); i += 1 }
                        if hi - i <= NameIndex.postingScanLength {
                            for k in i..<hi where contains(second[k], hitBuffer) { candidates.append(posted[k]) }
                            continue
                        }
                        // The runs of the second anchors hit, both sides ascending.
                        var h = lowerBound(second[i], in: hitBuffer, 0, hitBuffer.count)
                        while h < hitBuffer.count && i < hi {
                            let u = hitBuffer[h]
                            i = lowerBound(u, in: second, i, hi)
                            while i < hi && second[i] == u { candidates.append(posted[i]); i += 1 }
                            h += 1
                        }
                    }
                }
            }
        }
        if candidates.isEmpty { return }
        candidates.sort()
        // A variant with a required token that no text token hit cannot match (verification needs a hit on each).
        var kept = 0, previous: Int32 = -1
        hitTokens.withUnsafeBufferPointer { hitBuffer in
            candidates: for k in candidates.indices {
                let v = candidates[k]
                if v == previous { continue }
                previous = v
                for i in Int(variantOffsets[Int(v)])..<Int(variantOffsets[Int(v) + 1])
                where variantEssential[i] == NameIndex.required && !contains(variantTokens[i], hitBuffer) {
                    continue candidates
                }
                candidates[kept] = v
                kept += 1
            }
        }
        candidates.removeSubrange(kept...)
    }

    /// `candidateVariants` the way it was before second anchors: every variant posted under a hit token, kept if
    /// each of its required tokens is hit. For tests.
    func candidateVariantsByAnchorOnly(hitTokens: [Int32]) -> [Int32] {
        let hit = Set(hitTokens)
        var all = [Int32]()
        for t in hitTokens { all += anchorVariants[Int(anchorOffsets[Int(t)])..<Int(anchorOffsets[Int(t) + 1])] }
        return Set(all).sorted().filter { v in
            (Int(variantOffsets[Int(v)])..<Int(variantOffsets[Int(v) + 1])).allSatisfy {
                variantEssential[$0] != NameIndex.required || hit.contains(variantTokens[$0])
            }
        }
    }
}
