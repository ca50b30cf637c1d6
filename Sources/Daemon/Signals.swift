import Foundation
import Postgres
import Screening
import Synchronization

/// A wake-up flag shared by the listener and the workers: `signal()` never blocks, `wait` returns at
/// once if a signal came since the last wait, else after the timeout (the polling fallback).
public final class WakeSignal: Sendable {
    private let pending = Mutex<Int>(0)
    private let semaphore = DispatchSemaphore(value: 0)
    private let waiters: Int

    /// `waiters` is how many threads wait on it: at most that many signals are kept for waits to come.
    public init(waiters: Int = 1) { self.waiters = max(1, waiters) }

    /// Wakes one waiting thread, or the next one to wait. A worker whose claim came back full signals again, so a
    /// burst announced by one notification wakes the other workers one after another (see `Worker`).
    public func signal() {
        let wake = pending.withLock { n -> Bool in
            if n >= waiters { return false }
            n += 1
            return true
        }
        if wake { semaphore.signal() }
    }

    /// Returns true when woken, false on timeout.
    @discardableResult
    public func wait(timeout seconds: Double) -> Bool {
        let woke = semaphore.wait(timeout: .now() + seconds) == .success
        if woke { pending.withLock { n in n = max(0, n - 1) } }
        return woke
    }
}

/// The screener in force, swapped atomically between batches when lists are reloaded.
public final class ScreenerHolder: Sendable {
    public struct Current: Sendable {
        public var screener: any PaymentScreener
        /// Bumped on each swap, so workers know to record a new screening run.
        public var generation: Int
        /// JSON object of source → list version id, recorded with each run.
        public var listVersions: String
        public var loadedAt: Date
        /// The database policy generation the screener was built from; nil when it does not depend on it.
        public var policyGeneration: Int64?
    }

    private let state: Mutex<Current>

    public init(_ screener: any PaymentScreener, listVersions: String = "{}") {
        // Nothing loaded yet: a generation no database has, so workers wait for the first load.
        state = Mutex(Current(screener: screener, generation: 0, listVersions: listVersions, loadedAt: Date(), policyGeneration: -1))
    }

    public var current: Current { state.withLock { $0 } }

    public func replace(_ screener: any PaymentScreener, listVersions: String, policyGeneration: Int64?) {
        state.withLock { s in
            s = Current(screener: screener, generation: s.generation + 1, listVersions: listVersions, loadedAt: Date(),
                        policyGeneration: policyGeneration)
        }
    }
}

/// Runs a blocking closure on a new dedicated thread and awaits its result, so blocking libpq
/// calls never occupy a thread of Swift's cooperative pool.
public func onDedicatedThread<T: Sendable>(name: String = "chokepoint-blocking",
                                           _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
        ConnectionThread(name: name).start {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
    }
}
