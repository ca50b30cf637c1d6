/// How many payments a worker claims next: a few after the queue ran dry, twice as many after each claim that
/// came back full, up to the batch size.
///
/// A worker that claimed the batch size after an idle wait took a burst of arrivals for itself alone: with the
/// 500 default, the 188 payments that piled up behind a 96 ms disk stall at 2,000/s were screened and recorded
/// in one transaction by one worker (33–37 ms each, measured) while the other worker waited for the next
/// wake-up. Starting small lets every woken worker take part of the burst and decides its first payments sooner;
/// doubling reaches the batch size within a few claims, so a backlog still drains in full batches.
/// The rule is a value without a database, tested on its own (as `AttemptLedger`).
public struct ClaimSizer: Equatable {
    /// The first claim after the queue ran dry (or the batch size, if smaller).
    public static let firstClaim = 32

    let batchSize: Int
    /// The limit of the next claim.
    private(set) var limit: Int

    init(batchSize: Int) {
        self.batchSize = max(1, batchSize)
        self.limit = min(self.batchSize, Self.firstClaim)
    }

    /// Whether a claim of `claimed` payments (deferred ones included) took all it could: more may be waiting.
    func isFull(_ claimed: Int) -> Bool { claimed >= limit }

    /// After a committed claim of `claimed` payments (deferred ones included). Returns true when the queue ran
    /// dry (fewer than the limit): the worker waits for a wake-up, and its next claim starts small again.
    mutating func claimed(_ claimed: Int) -> Bool {
        if isFull(claimed) {
            limit = min(batchSize, limit * 2)
            return false
        }
        limit = min(batchSize, Self.firstClaim)
        return true
    }
}
