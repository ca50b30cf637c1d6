@testable import Daemon
import Testing

/// The poison-message rules, event by event, without a database.
@Suite("attempt ledger: the poison-message bookkeeping as a state machine")
struct AttemptLedgerTests {
    @Test("a batch of fresh payments is screened whole; nothing is given back")
    func freshBatch() {
        var l = AttemptLedger(poisonAttempts: 4)
        let (verdicts, giveBack) = l.batchStarted([1, 2, 3], counts: [1: 1, 2: 1, 3: 1])
        #expect(verdicts.map(\.verdict) == [.screen, .screen, .screen])
        #expect(giveBack.isEmpty)
        #expect(l.inHand == [1, 2, 3])
        l.committed()
        #expect(l.inHand.isEmpty && l.toForgive.isEmpty)
    }

    @Test("a payment seen before is set aside from a batch, its attempt given back, and screened alone")
    func suspectSetAside() {
        var l = AttemptLedger(poisonAttempts: 4)
        let (verdicts, giveBack) = l.batchStarted([1, 2, 3], counts: [1: 1, 2: 2, 3: 5])
        #expect(verdicts.map(\.id) == [1, 2, 3])
        #expect(verdicts.map(\.verdict) == [.screen, .setAside, .setAside])
        #expect(giveBack == [2, 3])
        // Only what is screened counts as in hand: a lost connection after the give-back does not give back twice.
        #expect(l.inHand == [1])
        l.committed()
        #expect(l.aloneStarted(2, attempts: 2) == .screen)
        #expect(l.inHand == [2])
        l.committed()
        // Alone, even a payment seen before is screened, unless it reached the limit.
        #expect(l.aloneStarted(3, attempts: 4) == .holdUnscreened(attempts: 4))
    }

    @Test("a batch of one is never set aside: it is screened, or held unscreened at the limit")
    func batchOfOne() {
        var l = AttemptLedger(poisonAttempts: 4)
        #expect(l.batchStarted([7], counts: [7: 3]).verdicts.map(\.verdict) == [.screen])
        #expect(l.batchStarted([7], counts: [7: 4]).verdicts.map(\.verdict) == [.holdUnscreened(attempts: 4)])
        #expect(l.batchStarted([7], counts: [:]).verdicts.map(\.verdict) == [.screen])
    }

    @Test("an outage owes the attempts in hand back until they are forgiven; a refusal keeps them counted")
    func outageAndRefusal() {
        var l = AttemptLedger(poisonAttempts: 4)
        _ = l.batchStarted([1, 2], counts: [1: 1, 2: 1])
        l.failed(transient: true)
        #expect(l.inHand.isEmpty)
        #expect(l.toForgive == [1, 2])
        // Forgiving may fail (no connection): the debt stays, and grows with the next outage.
        _ = l.aloneStarted(3, attempts: 2)
        l.failed(transient: true)
        #expect(l.toForgive == [1, 2, 3])
        l.forgiven()
        #expect(l.toForgive.isEmpty)
        // The database refusing the batch itself is not an outage: the attempts stay counted.
        _ = l.batchStarted([4, 5], counts: [4: 1, 5: 1])
        l.failed(transient: false)
        #expect(l.toForgive.isEmpty && l.inHand.isEmpty)
        // A committed batch owes nothing, whatever fails afterwards.
        _ = l.batchStarted([6], counts: [6: 1])
        l.committed()
        l.failed(transient: true)
        #expect(l.toForgive.isEmpty)
    }
}
