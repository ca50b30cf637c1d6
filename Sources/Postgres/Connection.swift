import CLibPQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A notification received on a LISTEN channel.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    public var payload: String
    public var backendPID: Int32
}

/// One blocking libpq connection.
///
/// Every call blocks the calling thread until the server answers, so a `Connection` must be owned
/// by one dedicated thread (the daemon's worker or listener thread) or used through
/// `ConnectionThread` (see ConnectionThread.swift), and never from Swift's cooperative pool. It is deliberately not `Sendable`.
/// Values always travel as bind parameters (`PQexecParams`); the only way to send SQL text with
/// several statements is `executeScript`, which is meant for the project's own migration files.
public final class Connection {
    private var conn: OpaquePointer?
    public let conninfo: String
    /// Statements prepared on this connection by `queryPrepared`, by their SQL text.
    private var prepared: [String: String] = [:]
    /// Off, `queryPrepared` is `query`: behind a transaction-pooling proxy a statement prepared in one
    /// transaction may be gone in the next (another server connection).
    public var preparesStatements = true
    /// Set by `transaction` until its first statement: BEGIN then travels in one pipeline with that
    /// statement (`run`, `pipeline`), so a transaction costs one round trip less.
    private var beginPending = false
    /// Set when a `transaction` body ended the transaction with `queryPreparedCommitting`.
    private var committedInBody = false

    /// Opens a connection from a `postgresql://` URL or a `key=value` conninfo string; an empty string
    /// uses libpq's defaults (`PGHOST`, `PGDATABASE`, `PGSERVICE`, `~/.pgpass` …).
    public init(conninfo: String) throws(PostgresError) {
        self.conninfo = conninfo
        conn = try Connection.established(PQconnectdb(conninfo))
    }

    /// Opens a connection to the server and database of `conninfo` as another login role, for a person
    /// who typed their own credentials (the operators' console).
    ///
    /// The role, password and any `extra` settings travel as separate libpq parameters (`PQconnectdbParams`,
    /// later keywords win over those inside `conninfo`), so nothing a user typed is ever spliced into a
    /// conninfo string. `passfile` is pointed at `/dev/null/none`, a path that cannot exist (/dev/null is
    /// not a folder), so libpq reads no file and warns of none: the process's own `~/.pgpass` must never
    /// authenticate somebody who typed only a role name.
    ///
    /// With `password` nil the server must authenticate the role without one (the console's certificate
    /// login: `peer` with a `pg_ident.conf` map naming the roles this process may become). Then `conninfo`
    /// itself must not carry a password either, or it would be sent for the role instead: that is refused.
    public init(conninfo: String, user: String, password: String?, extra: [(String, String)] = []) throws(PostgresError) {
        self.conninfo = conninfo
        if password == nil, Connection.conninfoHasPassword(conninfo) {
            throw PostgresError(kind: .connection, message: "the connection string carries a password: a login without one cannot use it")
        }
        let pairs = [("dbname", conninfo), ("user", user)] + (password.map { [("password", $0)] } ?? [])
            + [("passfile", "/dev/null/none")] + extra
        let keywords = pairs.map { Optional($0.0) } + [nil]
        let values = pairs.map { Optional($0.1) } + [nil]
        let c: OpaquePointer? = Connection.withCStrings(keywords) { k in
            Connection.withCStrings(values) { v in PQconnectdbParams(k, v, 1) }
        }
        conn = try Connection.established(c)
    }

    /// Whether `conninfo` (a URL or `key=value` string) names a password, as libpq parses it; an
    /// unparseable string counts as one (the connection would fail on it anyway).
    public static func conninfoHasPassword(_ conninfo: String) -> Bool {
        guard let options = PQconninfoParse(conninfo, nil) else { return true }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val, value.pointee != 0 { return true }
            option += 1
        }
        return false
    }

    /// A new libpq connection if it is up, else its error (and the connection freed).
    private static func established(_ c: OpaquePointer?) throws(PostgresError) -> OpaquePointer {
        guard let c else { throw PostgresError(kind: .connection, message: "out of memory creating connection") }
        if PQstatus(c) != CONNECTION_OK {
            let message = Connection.trimmed(PQerrorMessage(c))
            PQfinish(c)
            throw PostgresError(kind: .connection, message: message.isEmpty ? "connection failed" : message)
        }
        // Keep libpq from printing NOTICEs to stderr; they are not errors.
        PQsetNoticeProcessor(c, { _, _ in }, nil)
        return c
    }

    deinit {
        if let conn { PQfinish(conn) }
    }

    /// Closes the connection now; later calls throw `.connection`.
    public func close() {
        if let conn { PQfinish(conn) }
        conn = nil
    }

    /// True while libpq believes the connection is usable.
    public var isConnected: Bool {
        guard let conn else { return false }
        return PQstatus(conn) == CONNECTION_OK
    }

    /// True while the server holds a transaction open on this connection (idle in it, or aborted in it).
    /// A `transaction` whose body has not run a statement yet has not begun one on the server.
    public var inTransaction: Bool {
        guard let conn else { return false }
        let status = PQtransactionStatus(conn)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }

    /// The server process id serving this connection (for `pg_terminate_backend` in drills and tests).
    public var backendPID: Int32 {
        guard let conn else { return 0 }
        return PQbackendPID(conn)
    }

    /// The socket file descriptor, for polling while waiting for notifications.
    public var socket: Int32 {
        guard let conn else { return -1 }
        return PQsocket(conn)
    }

    /// Runs one statement with `$1 … $n` text parameters (`nil` is SQL NULL) and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> QueryResult {
        try run(sql, parameters, prepare: false, commit: false)
    }

    /// Transaction-local settings sent with a statement (`queryPrepared(_:_:settingLocally:)`): name and value.
    public typealias LocalSettings = [(name: String, value: String)]

    /// Like `query`, but the statement is prepared on this connection the first time and executed by name
    /// afterwards, so the server can keep its plan.
    ///
    /// For the hot statements of the claim loop: planning a statement over the monthly partitions of
    /// `payments` costs more than executing it. The server replans by itself when a table changes (a new
    /// partition, a detached month).
    ///
    /// `settingLocally` are transaction-local settings (`set_config(name, value, true)`) sent in one pipeline
    /// just before the statement, so that it is planned and run under them at no round trip of their own. They
    /// hold until the transaction ends (outside `transaction`, the pipeline's own implicit transaction), so the
    /// statements after this one in the same transaction run under them too: send them with the last statement
    /// (`queryPreparedCommitting`) where that matters.
    @discardableResult
    public func queryPrepared(_ sql: String, _ parameters: [String?] = [],
                              settingLocally settings: LocalSettings = []) throws(PostgresError) -> QueryResult {
        try run(sql, parameters, prepare: preparesStatements, commit: false, settings: settings)
    }

    /// The last statement of a `transaction` body: `queryPrepared` and COMMIT in one pipeline, so the commit
    /// costs no round trip of its own (and locks the statement takes are released one round trip sooner).
    /// The transaction is over when this returns; `transaction` sends no COMMIT after it. If the statement
    /// fails, COMMIT is skipped by the server and `transaction` rolls back as usual; if COMMIT itself
    /// fails, the transaction is rolled back by the server and its error is thrown.
    @discardableResult
    public func queryPreparedCommitting(_ sql: String, _ parameters: [String?] = [],
                                        settingLocally settings: LocalSettings = []) throws(PostgresError) -> QueryResult {
        try run(sql, parameters, prepare: preparesStatements, commit: true, settings: settings)
    }

    private func run(_ sql: String, _ parameters: [String?], prepare: Bool, commit: Bool,
                     settings: LocalSettings = []) throws(PostgresError) -> QueryResult {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        try ensureNoResultAwaited()
        let name = prepare ? try preparedName(sql, parameterCount: parameters.count) : nil
        // The settings' statement (`SELECT set_config($1, $2, true), set_config($3, $4, true), …`) is prepared with the
        // statement it goes with, before anything of the pipeline is decided: sent with every batch, it was parsed and
        // planned every time.
        let calls = settings.isEmpty ? ""
            : "SELECT " + settings.indices.map { "set_config($\(2 * $0 + 1), $\(2 * $0 + 2), true)" }.joined(separator: ", ")
        let settingsName = prepare && !settings.isEmpty ? try preparedName(calls, parameterCount: 2 * settings.count) : nil
        guard beginPending || commit || !settings.isEmpty else {
            let result: OpaquePointer? = Connection.withCStrings(parameters) { values in
                if let name { return PQexecPrepared(conn, name, Int32(parameters.count), values, nil, nil, 0) }
                return PQexecParams(conn, sql, Int32(parameters.count), nil, values, nil, nil, 0)
            }
            return try check(result)
        }
        let statement: (OpaquePointer) -> Int32 = { Connection.sendQuery($0, name: name, sql: sql, parameters) }
        var steps: [(OpaquePointer) -> Int32] = []
        if beginPending {
            beginPending = false
            steps.append { PQsendQueryParams($0, "BEGIN", 0, nil, nil, nil, nil, 0) }
        }
        if !settings.isEmpty {
            let values: [String?] = settings.flatMap { [$0.name, $0.value] }
            steps.append { Connection.sendQuery($0, name: settingsName, sql: calls, values) }
        }
        let index = steps.count
        steps.append(statement)
        if commit {
            committedInBody = true
            steps.append { PQsendQueryParams($0, "COMMIT", 0, nil, nil, nil, nil, 0) }
        }
        return try pipeline(steps)[index]
    }

    /// Sends `sql` (prepared on first use, as `queryPrepared` does) and returns without waiting for it: the server
    /// runs the statement while the caller works, and `collect` returns its result. Nothing else may be sent on
    /// this connection before `collect`. In libpq's blocking mode (this wrapper's) the whole statement has been
    /// written to the socket when this returns, so the server runs it even if this process dies at once after.
    public func send(_ sql: String, _ parameters: [String?]) throws(PostgresError) {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        try ensureNoResultAwaited()
        try sendPendingBegin()
        let name = preparesStatements ? try preparedName(sql, parameterCount: parameters.count) : nil
        guard Connection.sendQuery(conn, name: name, sql: sql, parameters) == 1 else { throw lastError(conn) }
        awaitingResult = true
    }

    /// Waits for the result of the statement `send` sent, and returns it (or throws its error).
    public func collect() throws(PostgresError) -> QueryResult {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        guard awaitingResult else { throw PostgresError(kind: .client, message: "no statement was sent") }
        awaitingResult = false
        var first: OpaquePointer?
        while let r = PQgetResult(conn) {
            if first == nil { first = r } else { PQclear(r) }
        }
        return try check(first)
    }

    /// Whether a statement sent with `send` still has its result to collect.
    public private(set) var awaitingResult = false

    /// Refuses to send anything while `send`'s result is uncollected (libpq would drop it unread).
    private func ensureNoResultAwaited() throws(PostgresError) {
        if awaitingResult { throw PostgresError(kind: .client, message: "a statement's result is still to be collected") }
    }

    /// The name `sql` is prepared under on this connection, preparing it on first use (one round trip, outside any
    /// pipeline).
    private func preparedName(_ sql: String, parameterCount: Int) throws(PostgresError) -> String {
        if let known = prepared[sql] { return known }
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        let new = "chokepoint_\(prepared.count + 1)"
        _ = try check(PQprepare(conn, new, sql, Int32(parameterCount), nil))
        prepared[sql] = new
        return new
    }

    /// Runs a script of several statements in one simple-protocol round trip.
    ///
    /// Only for trusted SQL shipped with the product (migrations): the text is sent as is, with no
    /// parameters, so it must never contain a value that came from a message or a user.
    public func executeScript(_ trustedSQL: String) throws(PostgresError) {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        try ensureNoResultAwaited()
        try sendPendingBegin()
        _ = try check(PQexec(conn, trustedSQL))
    }

    /// Runs one `COPY … TO STDOUT` statement and hands each row (one line of COPY's text format, newline
    /// included) to `row`; returns the number of rows.
    ///
    /// COPY takes no parameters, so like `executeScript` this is for trusted SQL only: statements built from
    /// the product's own identifiers and from values it generated (dates it formatted), never from user text.
    /// If `row` throws, the rest of the output is read and dropped (the connection stays usable) and the
    /// error is rethrown.
    @discardableResult
    public func copyOut(_ trustedSQL: String, row: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        try ensureNoResultAwaited()
        try sendPendingBegin()
        guard let start = PQexec(conn, trustedSQL) else {
            throw PostgresError(kind: isConnected ? .client : .connection, message: Connection.trimmed(PQerrorMessage(conn)))
        }
        guard PQresultStatus(start) == PGRES_COPY_OUT else {
            _ = try check(start)
            throw PostgresError(kind: .client, message: "not a COPY … TO STDOUT statement")
        }
        PQclear(start)
        var rows = 0
        var failure: Error?
        while true {
            var buffer: UnsafeMutablePointer<CChar>?
            let n = PQgetCopyData(conn, &buffer, 0)
            if n > 0, let buffer {
                defer { PQfreemem(buffer) }
                guard failure == nil else { continue }
                do {
                    try row(UnsafeRawBufferPointer(start: buffer, count: Int(n)))
                    rows += 1
                } catch {
                    failure = error
                }
                continue
            }
            if n == -2 {
                throw PostgresError(kind: isConnected ? .client : .connection, message: Connection.trimmed(PQerrorMessage(conn)))
            }
            break
        }
        // The command's own outcome follows the data (an error half-way arrives here).
        var outcome: PostgresError?
        while let r = PQgetResult(conn) {
            if outcome == nil {
                do { _ = try check(r) } catch { outcome = error }
            } else {
                PQclear(r)
            }
        }
        if let outcome { throw outcome }
        if let failure { throw failure }
        return rows
    }

    /// Subscribes to a channel. The name is quoted as an identifier by libpq, never interpolated raw.
    public func listen(_ channel: String) throws(PostgresError) {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        try ensureNoResultAwaited()
        guard let quoted = PQescapeIdentifier(conn, channel, channel.utf8.count) else {
            throw PostgresError(kind: .client, message: Connection.trimmed(PQerrorMessage(conn)))
        }
        defer { PQfreemem(quoted) }
        try sendPendingBegin()
        _ = try check(PQexec(conn, "LISTEN " + String(cString: quoted)))
    }

    /// Waits up to `timeoutMilliseconds` for the socket to become readable; returns true if it did.
    /// A negative timeout waits forever. Interrupted waits return false.
    public func waitForInput(timeoutMilliseconds: Int32) -> Bool {
        let fd = socket
        guard fd >= 0 else { return false }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let r = poll(&pfd, 1, timeoutMilliseconds)
        return r > 0
    }

    /// Reads whatever the server has sent without blocking and returns the notifications received.
    /// Throws `.connection` if the connection was lost.
    public func drainNotifications() throws(PostgresError) -> [PostgresNotification] {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        if PQconsumeInput(conn) == 0 || PQstatus(conn) != CONNECTION_OK {
            throw PostgresError(kind: .connection, message: Connection.trimmed(PQerrorMessage(conn)))
        }
        var out: [PostgresNotification] = []
        while let n = PQnotifies(conn) {
            let note = n.pointee
            out.append(PostgresNotification(channel: String(cString: note.relname),
                                            payload: note.extra.map { String(cString: $0) } ?? "",
                                            backendPID: note.be_pid))
            PQfreemem(n)
        }
        return out
    }

    /// Runs `body` inside BEGIN … COMMIT, rolling back if it throws.
    ///
    /// BEGIN is not sent on its own: it goes in one pipeline with the body's first statement (a claim loop's
    /// transaction saves a round trip), and a body that runs no statement sends nothing at all. A body whose
    /// last statement is `queryPreparedCommitting` has committed with it.
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        guard conn != nil else { throw PostgresError(kind: .connection, message: "connection is closed") }
        beginPending = true
        committedInBody = false
        defer { beginPending = false; committedInBody = false }
        do {
            let value = try body(self)
            if !beginPending && !committedInBody { try query("COMMIT") }
            return value
        } catch {
            if isConnected && inTransaction { _ = try? query("ROLLBACK") }
            throw error
        }
    }

    // MARK: - Internals

    /// Sends the BEGIN a `transaction` left pending, on its own (before a statement that cannot be pipelined).
    private func sendPendingBegin() throws(PostgresError) {
        guard beginPending, let conn else { return }
        beginPending = false
        _ = try check(PQexec(conn, "BEGIN"))
    }

    /// Sends the statements that `steps` queue in pipeline mode with one sync, and returns their results in
    /// order, or throws the first one's error (the server skips the statements after a failure until the
    /// sync, and a transaction begun in the pipeline stays open, aborted, for `transaction` to roll back).
    private func pipeline(_ steps: [(OpaquePointer) -> Int32]) throws(PostgresError) -> [QueryResult] {
        guard let conn else { throw PostgresError(kind: .connection, message: "connection is closed") }
        guard PQenterPipelineMode(conn) == 1 else { throw lastError(conn) }
        guard steps.allSatisfy({ $0(conn) == 1 }), PQpipelineSync(conn) == 1 else {
            let error = lastError(conn)
            drainPipeline(conn)
            throw error
        }
        // Each statement's result is followed by NULL; the sync's result comes last.
        var results: [OpaquePointer] = []
        var nulls = 0
        var synced = false
        while !synced {
            guard let r = PQgetResult(conn) else {
                nulls += 1
                // Two NULLs in a row with the sync still missing: nothing more will come (the connection is gone).
                if nulls > 1 || PQstatus(conn) != CONNECTION_OK { break }
                continue
            }
            nulls = 0
            if PQresultStatus(r) == PGRES_PIPELINE_SYNC {
                PQclear(r)
                synced = true
            } else {
                results.append(r)
            }
        }
        if synced { PQexitPipelineMode(conn) } else { drainPipeline(conn) }
        var out: [QueryResult] = []
        var failure: PostgresError?
        for r in results {
            if failure != nil { PQclear(r); continue }
            do { out.append(try check(r)) } catch { failure = error }
        }
        if let failure { throw failure }
        guard synced, out.count == steps.count else { throw lastError(conn) }
        return out
    }

    /// Leaves pipeline mode after a failure, dropping whatever results are still queued.
    private func drainPipeline(_ conn: OpaquePointer) {
        var nulls = 0
        while PQpipelineStatus(conn) != PQ_PIPELINE_OFF && PQstatus(conn) == CONNECTION_OK && nulls < 2 {
            if let r = PQgetResult(conn) {
                nulls = 0
                PQclear(r)
            } else {
                nulls += 1
                if PQexitPipelineMode(conn) == 1 { return }
            }
        }
        PQexitPipelineMode(conn)
    }

    private func lastError(_ conn: OpaquePointer) -> PostgresError {
        let message = Connection.trimmed(PQerrorMessage(conn))
        return PostgresError(kind: isConnected ? .client : .connection, message: message.isEmpty ? "pipeline failed" : message)
    }

    private func check(_ result: OpaquePointer?) throws(PostgresError) -> QueryResult {
        guard let result else {
            let message = conn.map { Connection.trimmed(PQerrorMessage($0)) } ?? "no connection"
            throw PostgresError(kind: isConnected ? .client : .connection, message: message)
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return QueryResult(taking: result)
        default:
            let error = Connection.error(from: result, connected: isConnected)
            PQclear(result)
            throw error
        }
    }

    private static func error(from result: OpaquePointer, connected: Bool) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let p = PQresultErrorField(result, code) else { return nil }
            return String(cString: p)
        }
        let sqlState = field(Int32(UInt8(ascii: "C")))
        let primary = field(Int32(UInt8(ascii: "M"))) ?? trimmed(PQresultErrorMessage(result))
        let kind: PostgresError.Kind = (!connected || sqlState?.hasPrefix("08") == true || sqlState?.hasPrefix("57P") == true)
            ? .connection : .server
        return PostgresError(kind: kind, sqlState: sqlState, message: primary,
                             detail: field(Int32(UInt8(ascii: "D"))), hint: field(Int32(UInt8(ascii: "H"))))
    }

    static func trimmed(_ p: UnsafePointer<CChar>?) -> String {
        guard let p else { return "" }
        var s = String(cString: p)
        while let last = s.last, last.isWhitespace { s.removeLast() }
        return s
    }

    /// Sends one statement without waiting for it: the prepared statement `name`, or `sql` itself without a name.
    private static func sendQuery(_ conn: OpaquePointer, name: String?, sql: String, _ parameters: [String?]) -> Int32 {
        withCStrings(parameters) { values in
            if let name { return PQsendQueryPrepared(conn, name, Int32(parameters.count), values, nil, nil, 0) }
            return PQsendQueryParams(conn, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
    }

    /// Calls `body` with a C array of NUL-terminated copies of `strings` (NULL for nil) that lives for the call.
    private static func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        var owned: [UnsafeMutablePointer<CChar>?] = []
        owned.reserveCapacity(strings.count)
        for s in strings {
            owned.append(s.map { strdup($0) })
        }
        defer { for p in owned { free(p) } }
        return body(owned.map { $0.map { UnsafePointer($0) } })
    }
}
