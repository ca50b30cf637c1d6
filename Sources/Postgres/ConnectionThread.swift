import Foundation
import Synchronization

/// A dedicated thread for blocking work, such as the libpq calls of a `Connection` it owns: started once,
/// asked to stop through a flag its body polls, with a sleep that a stop request cuts short, and joined.
///
/// Every long-lived loop of the product runs on one (workers, the LISTEN connection, the queue probe, the
/// metrics endpoint, the rescreen's workers), so none of them blocks a thread of Swift's cooperative pool
/// and all of them stop the same way. The body is handed to `start`, not to the initializer, so an owner
/// can keep its thread in a `let` and start it with a closure that captures the owner itself.
public final class ConnectionThread: Sendable {
    public let name: String
    private let stopFlag = Atomic<Bool>(false)
    private let startedFlag = Atomic<Bool>(false)
    private let finishedFlag = Atomic<Bool>(false)
    private let done = DispatchSemaphore(value: 0)

    public init(name: String) {
        self.name = name
    }

    /// Runs `body` on a new thread. A second call does nothing: a `ConnectionThread` runs once.
    public func start(_ body: @escaping @Sendable () -> Void) {
        guard !startedFlag.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [self] in
            body()
            finishedFlag.store(true, ordering: .releasing)
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Whether a stop was requested (the body's loop condition).
    public var isStopping: Bool { stopFlag.load(ordering: .relaxed) }

    /// Whether the body has returned.
    public var isFinished: Bool { finishedFlag.load(ordering: .acquiring) }

    /// Asks the body to stop; it sees it at its next check of `isStopping` or in `sleep`.
    public func requestStop() {
        stopFlag.store(true, ordering: .relaxed)
    }

    /// Sleeps up to `seconds`, returning early (within 50 ms) once a stop is requested.
    public func sleep(_ seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while !isStopping {
            let left = end.timeIntervalSinceNow
            if left <= 0 { return }
            Thread.sleep(forTimeInterval: min(0.05, left))
        }
    }

    /// Waits until the body has returned, at most `timeout` seconds (nil: as long as it takes); returns
    /// whether it has. May be called any number of times, from any thread; a thread never started counts
    /// as finished.
    @discardableResult
    public func join(timeout: Double? = nil) -> Bool {
        if isFinished || !startedFlag.load(ordering: .relaxed) { return true }
        let ok = timeout.map { done.wait(timeout: .now() + $0) == .success } ?? { done.wait(); return true }()
        if ok { done.signal() }  // leave the signal for the next join
        return ok
    }

    /// Requests a stop and waits for the body to return.
    public func stop() {
        requestStop()
        join()
    }
}
