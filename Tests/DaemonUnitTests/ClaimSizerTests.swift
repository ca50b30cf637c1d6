@testable import Daemon
import Testing

/// How many payments a worker claims next, claim by claim, without a database.
@Suite("claim sizer: small claims after the queue ran dry, doubling while claims come back full")
struct ClaimSizerTests {
    @Test("the first claim is small; full claims double it up to the batch size, where it stays")
    func doublesToBatchSize() {
        var s = ClaimSizer(batchSize: 500)
        var limits: [Int] = []
        for _ in 0..<7 {
            limits.append(s.limit)
            #expect(s.claimed(s.limit) == false)
        }
        #expect(limits == [32, 64, 128, 256, 500, 500, 500])
    }

    @Test("a claim that comes back short says the queue ran dry and starts small again")
    func shortClaimResets() {
        var s = ClaimSizer(batchSize: 500)
        #expect(s.claimed(32) == false)
        #expect(s.claimed(64) == false)
        #expect(s.limit == 128)
        #expect(s.claimed(127) == true)
        #expect(s.limit == 32)
        #expect(s.claimed(0) == true)
        #expect(s.limit == 32)
        // Deferred payments count as claimed (the worker adds them): more than the limit is full too.
        #expect(s.claimed(40) == false)
        #expect(s.limit == 64)
    }

    @Test("a batch size below the first claim is the limit throughout; nonsense sizes claim one")
    func smallBatchSizes() {
        var s = ClaimSizer(batchSize: 7)
        #expect(s.limit == 7)
        #expect(s.claimed(7) == false)
        #expect(s.limit == 7)
        #expect(s.claimed(3) == true)
        #expect(s.limit == 7)
        #expect(ClaimSizer(batchSize: 1).limit == 1)
        #expect(ClaimSizer(batchSize: 0).limit == 1)
        #expect(ClaimSizer(batchSize: 33).limit == 32)
        var t = ClaimSizer(batchSize: 33)
        #expect(t.claimed(32) == false)
        #expect(t.limit == 33)
    }
}
