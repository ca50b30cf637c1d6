import Console
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import Logging
import Postgres
import Synchronization
import TestSupport
import Testing

typealias F = RescreenFixtures

/// A browser as far as the console's tests need one: it keeps cookies as a browser would (by name, removed
/// by Max-Age=0), sends forms URL-encoded, and does not follow redirects, so each test sees every step.
struct Browser {
    let client: any TestClientProtocol
    var cookies: [String: String] = [:]
    /// The Set-Cookie headers of the last response, as sent.
    var lastSetCookies: [String] = []
    /// Headers sent with every request (what a TLS proxy adds: the certificate login's headers).
    var headers = HTTPFields()

    struct Page {
        var status: Int
        var headers: HTTPFields
        var body: String
        var location: String? { headers[.location] }

        /// The first CSRF token in the page's forms.
        var csrf: String? {
            guard let r = body.range(of: #"name="csrf" value="([0-9a-f]{64})""#, options: .regularExpression) else { return nil }
            return String(body[r].dropFirst(#"name="csrf" value=""#.count).dropLast())
        }
    }

    init(_ client: any TestClientProtocol) {
        self.client = client
    }

    mutating func get(_ path: String) async throws -> Page {
        try await send(path, method: .get, body: nil)
    }

    mutating func post(_ path: String, _ fields: [(String, String)]) async throws -> Page {
        let body = fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        return try await send(path, method: .post, body: body)
    }

    mutating func send(_ path: String, method: HTTPRequest.Method, body: String?) async throws -> Page {
        var headers = self.headers
        if !cookies.isEmpty { headers[.cookie] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        if body != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
        let response = try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        lastSetCookies = response.headers[values: .setCookie]
        for header in lastSetCookies {
            let first = header.split(separator: ";", maxSplits: 1).first ?? ""
            let pair = first.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            if header.contains("Max-Age=0") { cookies.removeValue(forKey: name) } else { cookies[name] = String(pair[1]) }
        }
        return Page(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// Logs in through the login form; returns the response to the form's POST.
    @discardableResult
    mutating func login(_ role: String, password: String = "secret") async throws -> Page {
        let form = try await get("/login")
        return try await post("/login", [("csrf", form.csrf ?? ""), ("role", role), ("password", password)])
    }

    /// The session's CSRF token, read from the logout form of a page.
    mutating func sessionToken() async throws -> String {
        let page = try await get("/summary")
        return try #require(page.csrf)
    }
}

/// A migrated database with two operators, an auditor and a submitter, and a console in front of it.
struct Setup: Sendable {
    let db: TestDatabase
    let operatorA: String
    let operatorB: String
    let auditor: String
    let submitter: String
    let logs: LogCapture

    static func make() throws -> Setup {
        let db = try TestDatabase.create()
        return Setup(db: db,
                     operatorA: try db.createLoginRole(prefix: "opa", memberOf: "chokepoint_operator"),
                     operatorB: try db.createLoginRole(prefix: "opb", memberOf: "chokepoint_operator"),
                     auditor: try db.createLoginRole(prefix: "aud", memberOf: "chokepoint_auditor"),
                     submitter: try db.createLoginRole(prefix: "sub", memberOf: "chokepoint_submitter"),
                     logs: LogCapture())
    }

    /// The console on this database. The URL still names the superuser the tests' cluster runs as: the
    /// console must replace it with the operator's own role, or `session_user` checks below fail.
    func console(_ configure: (inout ConsoleConfiguration) -> Void = { _ in }) throws -> Console {
        var config = ConsoleConfiguration(conninfo: db.conninfo)
        configure(&config)
        let logs = self.logs
        return try Console(configuration: config, logger: Logger(label: "console-test") { _ in CapturingLogHandler(capture: logs) })
    }

    /// Runs `body` with a browser against the console, in-process (no socket).
    func withBrowser(_ configure: (inout ConsoleConfiguration) -> Void = { _ in },
                     _ body: @escaping @Sendable (inout Browser) async throws -> Void) async throws {
        let console = try console(configure)
        try await console.application().test(.router) { client in
            var browser = Browser(client)
            try await body(&browser)
        }
        await console.endSessions()
    }

    func connect() throws -> Connection { try db.connect() }

    /// The superuser the tests' cluster runs as (named in its URL).
    var superuser: String {
        guard let r = db.conninfo.range(of: "user=[^&]+", options: .regularExpression) else { return "postgres" }
        return String(db.conninfo[r].dropFirst(5))
    }

    /// The list (one entity) and three decided payments: a sanctions hold (Z1), a Russian-lender hold (R1) and a release (C1).
    /// Returns their ids by reference.
    func standardPayments() throws -> [String: String] {
        let c = try connect()
        defer { c.close() }
        try F.importList(c, [F.zorbex], tag: "v1")
        try F.insert(c, [("Z1", F.mt103(ref: "Z1", beneficiary: "ZORBEX HEAVY INDUSTRIES"))])
        try F.insert(c, [("R1", F.mt103(ref: "R1", beneficiary: "ACME SUPPLIES", bank: "SABRRUMM"))])
        try F.insert(c, [("C1", F.mt103(ref: "C1", beneficiary: "HARMLESS BAKERY"))])
        try F.decideAll(c)
        var ids: [String: String] = [:]
        for row in try c.query("SELECT external_ref, id::text FROM chokepoint.payments").rows { ids[row[0]!] = row[1]! }
        return ids
    }

    func scalar(_ sql: String, _ params: [String?] = []) throws -> String? {
        let c = try connect()
        defer { c.close() }
        return try c.query(sql, params).scalar
    }
}

/// Every log line the console wrote in a test, with its metadata, to check what the logs never hold.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = self.metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append("\(event.level) \(event.message) " + all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))
    }
}
