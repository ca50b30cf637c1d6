import Foundation
import Postgres
import Synchronization

/// One payment as the bank's systems insert it. The reference says what the generator intended:
/// `C-` clean, `H-` a sanctioned party, `G-` garbage, `E<k>-` the name the k-th import of the import drill adds.
public struct PaymentRow: Sendable {
    public var ref: String
    public var format: String
    public var message: String

    public init(ref: String, format: String, message: String) {
        self.ref = ref
        self.format = format
        self.message = message
    }
}

/// The bank's side: inserts prepared payments on its own thread and connection, at a fixed rate or as fast
/// as it can, in multi-row statements; survives lost connections and server restarts.
///
/// A batch whose fate is unknown (the connection died around COMMIT) is sent again with
/// leaving out the references already in `chokepoint.payment_refs` (the partitioned payments table has no
/// arbiter index for `ON CONFLICT (external_ref)`), so after a retry succeeds every payment of it exists exactly once.
public final class Inserter: Sendable {
    public let rows: [PaymentRow]
    public let rate: Double
    public let conninfo: String
    public let maxBatch: Int
    /// Payments known to be committed.
    public let inserted = Atomic<Int>(0)
    public let retries = Atomic<Int>(0)
    /// The backend pid of the inserter's connection (drills leave it alone when they terminate the daemon's).
    public let backendPID = Atomic<Int32>(0)
    private let thread = ConnectionThread(name: "bench-inserter")
    private let failed = Mutex<String?>(nil)

    public init(conninfo: String, rows: [PaymentRow], rate: Double, maxBatch: Int = 500) {
        self.conninfo = conninfo
        self.rows = rows
        self.rate = rate
        self.maxBatch = maxBatch
    }

    public func start() {
        thread.start { [self] in self.loop() }
    }

    /// Asks the inserter to stop after the batch in hand.
    public func stop() { thread.requestStop() }

    /// Waits until every row is inserted (or `stop()`); throws if inserting failed for good.
    public func wait() throws {
        thread.join()
        if let message = failed.withLock({ $0 }) { throw BenchFailure("inserting payments failed: \(message)") }
    }

    public var finished: Bool { inserted.load(ordering: .relaxed) >= rows.count }

    private func loop() {
        var connection: Connection?
        var next = 0
        let started = DispatchTime.now().uptimeNanoseconds
        while next < rows.count && !thread.isStopping {
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let due = rate > 0 ? min(rows.count, Int(rate * elapsed) + 1) : rows.count
            if due <= next {
                Thread.sleep(forTimeInterval: max(0.0005, min(0.005, Double(next + 1) / rate - elapsed)))
                continue
            }
            let n = min(due - next, maxBatch)
            let slice = rows[next..<next + n]
            var attempt = 0
            let giveUp = Date().addingTimeInterval(180)
            while true {
                do {
                    if connection == nil || !connection!.isConnected {
                        connection?.close()
                        connection = try Connection(conninfo: conninfo)
                        backendPID.store(connection!.backendPID, ordering: .relaxed)
                    }
                    try connection!.query("""
                        INSERT INTO chokepoint.payments (external_ref, format, message)
                        SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) AS u(ref, format, message)
                         WHERE NOT EXISTS (SELECT 1 FROM chokepoint.payment_refs AS r WHERE r.external_ref = u.ref)
                        """, [PostgresArray.text(slice.map(\.ref)), PostgresArray.text(slice.map(\.format)),
                              PostgresArray.text(slice.map(\.message))])
                    break
                } catch {
                    connection?.close()
                    connection = nil
                    backendPID.store(0, ordering: .relaxed)
                    retries.add(1, ordering: .relaxed)
                    attempt += 1
                    if Date() > giveUp {
                        failed.withLock { $0 = "\(error)" }
                        return
                    }
                    Thread.sleep(forTimeInterval: min(1.0, 0.02 * Double(1 << min(attempt, 6))))
                }
            }
            next += n
            inserted.store(next, ordering: .relaxed)
        }
        connection?.close()
    }
}
