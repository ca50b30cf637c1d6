import Foundation
import Postgres
import Synchronization

/// One operator's libpq connection, opened as their own role and owned by a thread of its own.
///
/// libpq blocks, so the connection never touches Swift's cooperative pool: it is created, used and closed
/// on this object's thread, and request handlers hand it jobs with `perform`, which suspends (not blocks)
/// until the thread has run the job. Jobs of one session run one after another, as libpq requires.
/// The `Connection` itself never leaves the thread: it is a local of the thread's body, lent to each job.
final class OperatorConnection: Sendable {
    typealias Job = @Sendable (Connection?) -> Void

    private struct Queue {
        var jobs: [Job] = []
        var closed = false
    }

    private let thread = ConnectionThread(name: "chokepoint-console-session")
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)

    private init() {}

    /// Connects as `user` with `password` (nil: the server authenticates the role without one, the
    /// certificate login) on a new thread; returns once the server has answered.
    /// `statementTimeoutMilliseconds` bounds every statement, so a slow page cannot hold a session forever.
    static func open(conninfo: String, user: String, password: String?,
                     statementTimeoutMilliseconds: Int = 30_000) async throws -> OperatorConnection {
        let owner = OperatorConnection()
        try await withCheckedThrowingContinuation { (opened: CheckedContinuation<Void, any Error>) in
            owner.thread.start {
                let connection: Connection
                do {
                    connection = try Connection(conninfo: conninfo, user: user, password: password, extra: [
                        ("application_name", "chokepoint-console"),
                        // An unreachable server must not hold a login (and its thread) for minutes.
                        ("connect_timeout", "10"),
                        ("options", "-c statement_timeout=\(statementTimeoutMilliseconds)"),
                    ])
                } catch {
                    owner.queue.withLock { $0.closed = true }
                    opened.resume(throwing: error)
                    return
                }
                opened.resume()
                owner.serve(connection)
            }
        }
        return owner
    }

    /// Runs `body` with the connection on the owning thread and returns its result.
    /// Throws `ConsoleError.sessionClosed` once the connection was closed.
    func perform<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (result: CheckedContinuation<T, any Error>) in
            let job: Job = { connection in
                guard let connection else { return result.resume(throwing: ConsoleError.sessionClosed) }
                do { result.resume(returning: try body(connection)) } catch { result.resume(throwing: error) }
            }
            let accepted = queue.withLock { q -> Bool in
                if q.closed { return false }
                q.jobs.append(job)
                return true
            }
            if accepted { wake.signal() } else { job(nil) }
        }
    }

    /// Closes the connection: jobs not yet started fail, the thread ends by itself. Never blocks.
    func close() {
        queue.withLock { $0.closed = true }
        thread.requestStop()
        wake.signal()
    }

    /// Whether `close` was called or the connection could not be opened.
    var isClosed: Bool { queue.withLock { $0.closed } }

    private func serve(_ connection: Connection) {
        while true {
            // The timeout only bounds how long a stop request can go unnoticed.
            _ = wake.wait(timeout: .now() + 0.5)
            let (jobs, closed) = queue.withLock { q -> ([Job], Bool) in
                let jobs = q.jobs
                q.jobs = []
                return (jobs, q.closed)
            }
            for job in jobs { job(closed ? nil : connection) }
            if closed || thread.isStopping { break }
        }
        connection.close()
        // Jobs queued between the last look and `closed` being set fail rather than wait forever.
        let late = queue.withLock { q -> [Job] in
            q.closed = true
            let jobs = q.jobs
            q.jobs = []
            return jobs
        }
        for job in late { job(nil) }
    }
}
