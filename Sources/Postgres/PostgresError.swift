/// An error from PostgreSQL or from libpq, with the SQLSTATE where the server sent one.
///
/// `description` carries the kind, the SQLSTATE and the server's primary message, which names
/// constraints and columns but not row values; the server's DETAIL (which can quote values,
/// for example a duplicate key) is only in `debugDescription`, so logs built from `description`
/// do not leak payment contents.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Kind: String, Sendable {
        /// The connection could not be made or was lost; the operation may be retried on a new connection.
        case connection
        /// The server refused the statement (syntax, constraint, permission …).
        case server
        /// libpq or the wrapper could not make sense of a result.
        case client
    }

    public var kind: Kind
    /// Five-character SQLSTATE (`23505` unique violation, `42501` insufficient privilege …), if the server sent one.
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?

    public init(kind: Kind, sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil) {
        self.kind = kind
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
    }

    public var description: String {
        var s = "PostgreSQL \(kind.rawValue) error"
        if let sqlState { s += " [\(sqlState)]" }
        s += ": \(message)"
        return s
    }

    public var debugDescription: String {
        var s = description
        if let detail { s += " DETAIL: \(detail)" }
        if let hint { s += " HINT: \(hint)" }
        return s
    }

    /// True when retrying on a fresh connection may succeed (connection lost, server shutting down,
    /// serialization failure, deadlock, read-only transaction, disk full …).
    public var isTransient: Bool {
        if kind == .connection { return true }
        guard let state = sqlState else { return false }
        if state.hasPrefix("08") || state.hasPrefix("57P") || state.hasPrefix("53") { return true }
        return state == "40001" || state == "40P01" || state == "25006" || state == "55P03" || state == "58030"
    }

    /// The condition in a few words, for operators' logs, when the SQLSTATE class says more than the
    /// message alone: out of disk space or memory, read-only, connection lost, server shutting down.
    public var condition: String? {
        guard let state = sqlState else { return kind == .connection ? "connection to PostgreSQL lost or refused" : nil }
        switch state {
        case "53100": return "PostgreSQL is out of disk space"
        case "53200": return "PostgreSQL is out of memory"
        case "53300": return "PostgreSQL has too many connections"
        case "25006": return "the database is read-only"
        case "57P01", "57P02", "57P03": return "PostgreSQL is shutting down or starting up"
        case "57014": return "statement timed out or was cancelled"
        case "40001", "40P01": return "transaction conflict (serialization failure or deadlock)"
        default:
            if state.hasPrefix("08") || kind == .connection { return "connection to PostgreSQL lost or refused" }
            if state.hasPrefix("53") { return "PostgreSQL is out of resources" }
            return nil
        }
    }

    // Common SQLSTATEs the product reacts to.
    public static let uniqueViolation = "23505"
    public static let insufficientPrivilege = "42501"
    public static let raiseException = "P0001"
    public static let readOnlyTransaction = "25006"
}
