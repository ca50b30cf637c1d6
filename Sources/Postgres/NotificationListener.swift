import Foundation
import Logging
import Synchronization

/// Listens on PostgreSQL channels on a dedicated connection owned by its own thread.
///
/// The listener only wakes others: it reports each notification, and reports `.reconnected`
/// after every (re)connection, because notifications sent while nobody listened are lost and the
/// consumer must then re-read the table. A lost connection is retried with `Backoff`.
public final class NotificationListener: Sendable {
    public enum Event: Sendable {
        case notification(PostgresNotification)
        /// Connected (first time or again): anything may have been missed, re-read the table.
        case reconnected(backendPID: Int32)
        case connectionLost(String)
    }

    private let conninfo: String
    private let channels: [String]
    private let handler: @Sendable (Event) -> Void
    private let logger: Logger
    private let thread = ConnectionThread(name: "chokepoint-listen")
    private let pid = Atomic<Int32>(0)

    public init(conninfo: String, channels: [String], logger: Logger, handler: @escaping @Sendable (Event) -> Void) {
        self.conninfo = conninfo
        self.channels = channels
        self.logger = logger
        self.handler = handler
    }

    /// The backend pid of the current LISTEN connection (0 while disconnected).
    public var backendPID: Int32 { pid.load(ordering: .relaxed) }

    /// Starts the listener thread.
    public func start() {
        thread.start { [self] in self.loop() }
    }

    /// Asks the thread to stop and waits for it (at most one poll interval).
    public func stop() {
        thread.stop()
    }

    private func loop() {
        var backoff = Backoff(initial: 0.05, maximum: 5)
        while !thread.isStopping {
            let connection: Connection
            do {
                connection = try Connection(conninfo: conninfo)
                for channel in channels { try connection.listen(channel) }
            } catch {
                let delay = backoff.nextDelay(unit: Double.random(in: 0..<1))
                logger.warning("listen connection failed, retrying", metadata: ["error": "\(error)", "retry_in_s": "\(delay)"])
                handler(.connectionLost("\(error)"))
                thread.sleep(delay)
                continue
            }
            backoff.reset()
            pid.store(connection.backendPID, ordering: .relaxed)
            handler(.reconnected(backendPID: connection.backendPID))
            while !thread.isStopping {
                _ = connection.waitForInput(timeoutMilliseconds: 200)
                do {
                    for n in try connection.drainNotifications() { handler(.notification(n)) }
                } catch {
                    pid.store(0, ordering: .relaxed)
                    logger.warning("listen connection lost", metadata: ["error": "\(error)"])
                    handler(.connectionLost("\(error)"))
                    break
                }
            }
            connection.close()
        }
        pid.store(0, ordering: .relaxed)
    }
}
