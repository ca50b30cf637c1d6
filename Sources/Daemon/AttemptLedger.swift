/// One worker's poison-message bookkeeping, as a value that takes events and says what to do.
///
/// Before screening, a worker records on a second connection (committed at once) that it has started
/// screening each claimed payment (`chokepoint.screening_attempts`); the deciding transaction clears the
/// record. A record that survives means the process died while screening that payment. The counts come from the
/// claim (the attempts recorded before it, plus this one) when it saw none: the record is then only sent before
/// screening, and written by the server meanwhile. One race makes a crash count late: a process that dies just
/// after sending its record, and another daemon's claim that reads the payment before the server wrote it; that
/// claim screens it in its batch, and the payment is a suspect from the next claim on. The rules:
///
/// - A payment seen before without a decision (`attempts >= 2`) in a batch of several is **set aside**: not
///   screened in this batch, its attempt **given back**, and screened alone afterwards, so a poison
///   message can only take itself down.
/// - A payment whose screening has started `poisonAttempts` times is **held unscreened** as `screening_error`.
/// - A batch lost to an **outage** while the process lives on (a transient error: disk full, read-only, a
///   lost connection) is not a crash: the attempts of what was in hand are **owed back** and forgiven as
///   soon as a connection allows (before the next claim, or when the worker stops).
/// - A batch the database **refuses** for itself (a constraint, a timeout) keeps its attempts counted, so a
///   payment it always refuses ends up screened alone and then held.
///
/// The worker performs the database side (`PaymentStore`); this type only decides, so every rule is
/// tested without a database (postgres-nio writes its connection logic the same way).
struct AttemptLedger: Equatable {
    /// What to do with one claimed payment.
    enum Verdict: Equatable {
        case screen
        /// Not in this batch: screened alone after it (its attempt is given back now).
        case setAside
        /// Screening it has started too often: held as `screening_error` without screening it again.
        case holdUnscreened(attempts: Int)
    }

    let poisonAttempts: Int
    /// Payments whose screening this process has started in the transaction in hand.
    private(set) var inHand: [Int64] = []
    /// Payments whose attempt must be forgiven: their transaction was lost to an outage.
    private(set) var owed: [Int64] = []

    init(poisonAttempts: Int) {
        self.poisonAttempts = poisonAttempts
    }

    /// A batch was claimed and its attempts recorded (`counts`, including this one). Returns each payment's
    /// verdict, in claim order, and the payments whose attempt must be given back (those set aside).
    ///
    /// From here on only the payments to be screened or held count as in hand: should the connection drop
    /// after the server applied the give-back, the set-aside ones are not given back a second time (one
    /// attempt too many errs towards holding).
    mutating func batchStarted(_ ids: [Int64], counts: [Int64: Int]) -> (verdicts: [(id: Int64, verdict: Verdict)], giveBack: [Int64]) {
        var verdicts: [(id: Int64, verdict: Verdict)] = []
        var giveBack: [Int64] = []
        for id in ids {
            let n = counts[id] ?? 1
            if n >= 2 && ids.count > 1 {
                verdicts.append((id, .setAside))
                giveBack.append(id)
            } else {
                verdicts.append((id, verdict(attempts: n)))
            }
        }
        inHand = verdicts.filter { $0.verdict != .setAside }.map(\.id)
        return (verdicts, giveBack)
    }

    /// A payment set aside before was claimed alone and its attempt recorded (`attempts`, including this one).
    mutating func aloneStarted(_ id: Int64, attempts: Int) -> Verdict {
        inHand = [id]
        return verdict(attempts: attempts)
    }

    /// The transaction in hand committed: its payments are decided (their records cleared with it).
    mutating func committed() {
        inHand = []
    }

    /// The transaction in hand failed. After an outage (`transient`) its attempts are owed back; after a
    /// refusal by the database they stay counted.
    mutating func failed(transient: Bool) {
        if transient { owed += inHand }
        inHand = []
    }

    /// The payments whose attempt to forgive now, if any.
    var toForgive: [Int64] { owed }

    /// The forgiveness was applied.
    mutating func forgiven() {
        owed = []
    }

    private func verdict(attempts n: Int) -> Verdict {
        n >= poisonAttempts ? .holdUnscreened(attempts: n) : .screen
    }
}
