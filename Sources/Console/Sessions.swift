import Foundation

/// Errors of the console's own making (the database's refusals arrive as `PostgresError`).
enum ConsoleError: Error, Sendable {
    /// The session's connection was closed (logout, expiry) while a request still wanted it.
    case sessionClosed
}

/// A logged-in operator: their connection, their role's name and what the role may do.
struct Session: Sendable {
    let id: String
    let role: String
    /// The token every POST of this session must carry (compared in constant time).
    let csrfToken: String
    /// Member of chokepoint_operator (may see holds and act); otherwise an auditor, who reads the summary only.
    let isOperator: Bool
    let connection: OperatorConnection
    /// The certificate subject of a certificate login: every request of the session must carry the same one.
    let certificateSubject: String?
    let createdAt: Date
    var lastSeen: Date
    /// A one-shot message for the next page (what the last action did), kept server-side so no URL carries it.
    var flash: String?
}

/// Random, unguessable tokens for session ids and CSRF tokens.
enum Token {
    /// 32 bytes from the system's cryptographic generator (getrandom on Linux), as 64 hex digits.
    static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var out = ""
        out.reserveCapacity(64)
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            out += String(repeating: "0", count: 16 - String(word, radix: 16).count) + String(word, radix: 16)
        }
        return out
    }

    /// Equality that takes the same time wherever the first difference is, so a token cannot be guessed
    /// byte by byte from response times.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}

/// The console's sessions, in memory: they end at logout, after `idleTimeout` without a request, after
/// `maximumLifetime` whatever happens, and when the process stops. Each ended session's connection is closed.
actor SessionStore {
    private var sessions: [String: Session] = [:]
    let idleTimeout: TimeInterval
    let maximumLifetime: TimeInterval
    let maximumSessions: Int

    init(idleTimeout: TimeInterval, maximumLifetime: TimeInterval, maximumSessions: Int = 500) {
        self.idleTimeout = idleTimeout
        self.maximumLifetime = maximumLifetime
        self.maximumSessions = maximumSessions
    }

    /// Starts a session for a role whose connection is open; nil when the console is full (the connection is closed).
    func create(role: String, isOperator: Bool, connection: OperatorConnection, certificateSubject: String? = nil,
                now: Date = Date()) -> Session? {
        sweep(now: now)
        guard sessions.count < maximumSessions else {
            connection.close()
            return nil
        }
        let session = Session(id: Token.make(), role: role, csrfToken: Token.make(), isOperator: isOperator,
                              connection: connection, certificateSubject: certificateSubject, createdAt: now, lastSeen: now, flash: nil)
        sessions[session.id] = session
        return session
    }

    /// The live session with this id, its idle clock restarted; nil (and the session ended) when it expired.
    func session(id: String, now: Date = Date()) -> Session? {
        guard var session = sessions[id] else { return nil }
        if expired(session, now: now) || session.connection.isClosed {
            end(id: id)
            return nil
        }
        session.lastSeen = now
        sessions[id] = session
        return session
    }

    /// Takes the session's one-shot message, if any.
    func takeFlash(id: String) -> String? {
        guard let flash = sessions[id]?.flash else { return nil }
        sessions[id]?.flash = nil
        return flash
    }

    func setFlash(id: String, _ message: String) {
        sessions[id]?.flash = message
    }

    /// Ends a session and closes its connection.
    func end(id: String) {
        sessions.removeValue(forKey: id)?.connection.close()
    }

    /// Ends every session (the console is stopping).
    func endAll() {
        for id in Array(sessions.keys) { end(id: id) }
    }

    var count: Int { sessions.count }

    private func expired(_ s: Session, now: Date) -> Bool {
        now.timeIntervalSince(s.lastSeen) > idleTimeout || now.timeIntervalSince(s.createdAt) > maximumLifetime
    }

    private func sweep(now: Date) {
        for (id, s) in sessions where expired(s, now: now) { end(id: id) }
    }
}
