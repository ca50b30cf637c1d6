import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import Postgres

/// How the console is reached and how long its sessions live.
public struct ConsoleConfiguration: Sendable {
    /// Server and database of the SQL API, without credentials: each operator's own role and password are added at login.
    public var conninfo: String
    /// Loopback by default: TLS and exposure to the bank's network are the reverse proxy's (README).
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// Mark cookies `Secure` (the browser then sends them over HTTPS only): on whenever a TLS proxy is in front.
    public var secureCookies: Bool = false
    /// A session ends after this long without a request…
    public var idleTimeout: TimeInterval = 15 * 60
    /// …and after this long in any case.
    public var maximumLifetime: TimeInterval = 8 * 3600
    /// Bounds every statement an operator's page runs.
    public var statementTimeoutMilliseconds: Int = 30_000
    /// The queue shows at most this many holds (the oldest); the counts still cover all of them.
    public var queueLimit: Int = 500
    /// Logging in with a client certificate checked by the reverse proxy (off when nil).
    public var certificateLogin: CertificateLogin?
    /// Logging in with a role and password (turn off to allow certificate logins only).
    public var passwordLogin: Bool = true

    public init(conninfo: String) {
        self.conninfo = conninfo
    }
}

/// `chokepoint console`: the operators' web application, a thin client of the SQL API.
///
/// Every page reads as the logged-in operator's own PostgreSQL role, over a connection opened with the
/// password they typed (or, with a client certificate, authenticated by the database's own peer map), and every action is one call of an API function (release_hold, reject_hold,
/// add_good_guy, acknowledge_alert). So the database enforces reasons, four eyes and privileges, and the
/// audit log's `session_user` is the person. The console holds no credentials of its own.
public struct Console: Sendable {
    public let configuration: ConsoleConfiguration
    let sessions: SessionStore
    let library: MustacheLibrary
    let logger: Logger

    static let sessionCookie = "chokepoint_session"
    static let loginCookie = "chokepoint_login"

    public init(configuration: ConsoleConfiguration, logger: Logger) throws {
        // A certificate login sends no password: one in the URL would be sent for every mapped role instead.
        if configuration.certificateLogin != nil, Connection.conninfoHasPassword(configuration.conninfo) {
            throw CertificateLoginError("with certificate login the database URL must not carry a password")
        }
        guard configuration.passwordLogin || configuration.certificateLogin != nil else {
            throw CertificateLoginError("with password logins off, certificate login must be configured")
        }
        self.configuration = configuration
        self.sessions = SessionStore(idleTimeout: configuration.idleTimeout, maximumLifetime: configuration.maximumLifetime)
        self.library = try Templates.library()
        self.logger = logger
    }

    /// The HTTP application, bound to the configured address (tests run it with `.router` or `.live`).
    public func application() -> some ApplicationProtocol {
        Application(router: router(),
                    configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
                    logger: logger)
    }

    /// Ends every session (closing each operator's connection); for shutdown.
    public func endSessions() async {
        await sessions.endAll()
    }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: AccessLogMiddleware(logger: logger))
        router.add(middleware: SecurityHeadersMiddleware())
        router.add(middleware: ErrorPageMiddleware(console: self))

        router.get("/style.css") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "max-age=3600"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Templates.stylesheet)))
        }
        router.get("/") { request, _ in Self.redirect(await self.session(request)?.isOperator == false ? "/summary" : "/holds") }
        router.get("/login") { request, _ in await self.loginPage(request) }
        router.post("/login") { request, _ in await self.login(request) }
        router.post("/login/certificate") { request, _ in await self.certificateLogin(request) }
        router.post("/logout") { request, _ in await self.logout(request) }

        router.get("/holds") { request, _ in await self.queuePage(request) }
        router.get("/holds/:id") { request, context in await self.holdPage(request, id: context.parameters.get("id")) }
        router.post("/holds/:id/release") { request, context in
            await self.decide(request, id: context.parameters.get("id"), release: true)
        }
        router.post("/holds/:id/reject") { request, context in
            await self.decide(request, id: context.parameters.get("id"), release: false)
        }
        router.post("/hits/:id/good-guy") { request, context in await self.goodGuy(request, hitId: context.parameters.get("id")) }
        router.get("/alerts") { request, _ in await self.alertsPage(request) }
        router.post("/alerts/:id/acknowledge") { request, context in
            await self.acknowledge(request, alertId: context.parameters.get("id"))
        }
        router.get("/lists") { request, _ in await self.listsPage(request) }
        router.get("/summary") { request, _ in await self.summaryPage(request) }
        return router
    }
}

// MARK: - Responses

extension Console {
    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    func render(_ template: String, _ object: Any) -> String {
        library.render(object, withTemplate: template) ?? ""
    }

    /// A whole page: the template's body inside the layout, with the session's name, logout form and message.
    func page(_ status: HTTPResponse.Status, title: String, template: String, _ object: Any, session: Session?,
              flash: String? = nil) -> Response {
        let body = render(template, object)
        let layout = Views.Layout(title: title, signedIn: session != nil, role: session?.role ?? "", csrf: session?.csrfToken ?? "",
                                  hasFlash: flash != nil, flash: flash ?? "", body: body)
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: render("layout", layout))))
    }

    /// A page that only says what happened: a refusal, a missing payment, an ended session.
    func notice(_ status: HTTPResponse.Status, _ heading: String, _ message: String, session: Session?,
                back: String = "/holds", backLabel: String = "Back to the queue") -> Response {
        page(status, title: heading, template: "notice",
             Views.Notice(heading: heading, kind: status.code >= 400 ? "error" : "info", message: message, back: back, backLabel: backLabel),
             session: session)
    }

    /// What an error from the database or from validation means for the operator, as a page. The database's
    /// own refusals (its rules: reasons, four eyes, privileges, states) are shown as the database words them;
    /// anything unexpected is shown without detail and logged by its SQLSTATE only.
    func refusal(_ error: any Error, session: Session?) async -> Response {
        switch error {
        case let e as InputError:
            return notice(.badRequest, "Not accepted", e.message, session: session)
        case ConsoleError.sessionClosed:
            return sessionEnded()
        case let e as any HTTPResponseError:
            return ErrorPageMiddleware<BasicRequestContext>.page(for: e.status, console: self)
        case let e as PostgresError:
            if e.kind == .connection {
                if let session { await sessions.end(id: session.id) }
                logger.warning("console: an operator's database connection was lost", metadata: ["error": "\(e.condition ?? e.kind.rawValue)"])
                return notice(.serviceUnavailable, "Database unavailable",
                              "The connection to the database was lost. Log in again when it is back.", session: nil,
                              back: "/login", backLabel: "Log in")
            }
            switch e.sqlState {
            case PostgresError.insufficientPrivilege:
                return notice(.forbidden, "Not permitted", "The database refused: \(e.message).", session: session)
            case "22023":
                return notice(.badRequest, "Not accepted", "The database refused: \(e.message).", session: session)
            case "P0002":
                return notice(.notFound, "Not found", e.message.prefix(1).uppercased() + e.message.dropFirst() + ".", session: session)
            case "55000":
                return notice(.conflict, "Not possible now", "The database refused: \(e.message).", session: session)
            case "57014":
                return notice(.serviceUnavailable, "Too slow", "The database took too long to answer; try again or narrow the filter.",
                              session: session)
            default:
                logger.error("console: database error", metadata: ["sqlstate": "\(e.sqlState ?? "none")"])
                return notice(.internalServerError, "Database error",
                              "The database could not answer (SQLSTATE \(e.sqlState ?? "none")). Look at the payment's history before trying again.",
                              session: session)
            }
        default:
            logger.error("console: unexpected error", metadata: ["type": "\(type(of: error))"])
            return notice(.internalServerError, "Error", "Something went wrong. Look at the payment's history before trying again.", session: session)
        }
    }

    func sessionEnded() -> Response {
        var response = notice(.unauthorized, "Session ended", "Your session has ended (logged out or idle too long). Log in again.",
                              session: nil, back: "/login", backLabel: "Log in")
        response.setCookie(clearedCookie(Self.sessionCookie, path: "/"))
        return response
    }

    func cookie(_ name: String, _ value: String, path: String, maxAge: Int? = nil) -> Cookie {
        Cookie(name: name, value: value, maxAge: maxAge, path: path, secure: configuration.secureCookies, httpOnly: true, sameSite: .strict)
    }

    func clearedCookie(_ name: String, path: String) -> Cookie {
        cookie(name, "", path: path, maxAge: 0)
    }
}

// MARK: - Sessions, CSRF

extension Console {
    /// The request's live session, if its cookie names one.
    /// A session started by a certificate lives only while its requests carry that certificate: another
    /// certificate, or none, ends it (a cookie carried to another browser is worth nothing without the key).
    func session(_ request: Request) async -> Session? {
        guard let id = request.cookies[Self.sessionCookie]?.value, id.count == 64 else { return nil }
        guard let session = await sessions.session(id: id) else { return nil }
        if let subject = session.certificateSubject {
            guard case .mapped(subject, session.role) = configuration.certificateLogin?.identity(request.headers) ?? .none else {
                logger.notice("console: a certificate session was used without its certificate and was ended")
                await sessions.end(id: id)
                return nil
            }
        }
        return session
    }

    /// Reads a POST's form and checks its CSRF token against the session's; nil with the refusal page otherwise.
    func postedForm(_ request: Request, session: Session) async -> Result<[String: String], Refused> {
        let fields: [String: String]
        do {
            fields = try await Self.form(request)
        } catch {
            return .failure(Refused(response: await refusal(error, session: session)))
        }
        guard let token = fields["csrf"], Token.equal(token, session.csrfToken) else {
            logger.notice("console: a form without a valid CSRF token was refused")
            return .failure(Refused(response: notice(.forbidden, "Form refused",
                                                     "The form did not carry this session's token (it came from elsewhere, or from before you logged in). Nothing was changed.",
                                                     session: session)))
        }
        return .success(fields)
    }

    struct Refused: Error { var response: Response }

    static func form(_ request: Request) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: Forms.maximumBodyBytes)
        return try Forms.parse(String(buffer: buffer))
    }

    static func query(_ request: Request) throws(InputError) -> [String: String] {
        try Forms.parse(request.uri.query ?? "")
    }
}

// MARK: - Login and logout

extension Console {
    func loginPage(_ request: Request, error: String? = nil, role: String = "", status: HTTPResponse.Status = .ok) async -> Response {
        if error == nil, let session = await session(request) { return Self.redirect(session.isOperator ? "/holds" : "/summary") }
        // Login CSRF: the form carries a random value that must come back with the same value in a
        // SameSite=Strict cookie, so another site cannot log a browser in under an attacker's role.
        let nonce = Token.make()
        var login = Views.Login(csrf: nonce, role: role, hasError: error != nil, error: error ?? "", password: configuration.passwordLogin)
        switch configuration.certificateLogin?.identity(request.headers) ?? .none {
        case .none: break
        case .refused(let reason): (login.certificateNote, login.hasCertificateNote) = (reason, true)
        case .mapped(_, let mapped): (login.certificateRole, login.hasCertificateRole) = (mapped, true)
        }
        var response = page(status, title: "Log in", template: "login", login, session: nil)
        response.setCookie(cookie(Self.loginCookie, nonce, path: "/login", maxAge: 1800))
        return response
    }

    /// A login form's fields once its token matched the login cookie; nil with the refusal page otherwise.
    func loginForm(_ request: Request) async -> Result<[String: String], Refused> {
        let fields: [String: String]
        do {
            fields = try await Self.form(request)
        } catch {
            return .failure(Refused(response: await loginPage(request, error: "The form could not be read.", status: .badRequest)))
        }
        guard let nonce = request.cookies[Self.loginCookie]?.value, let sent = fields["csrf"], nonce.count == 64, Token.equal(nonce, sent) else {
            return .failure(Refused(response: await loginPage(request, error: "The login form had expired or came from elsewhere; please try again.",
                                                              status: .forbidden)))
        }
        return .success(fields)
    }

    func login(_ request: Request) async -> Response {
        guard configuration.passwordLogin else {
            return await loginPage(request, error: "Password logins are turned off: log in with your certificate.", status: .forbidden)
        }
        let fields: [String: String]
        switch await loginForm(request) {
        case .failure(let refused): return refused.response
        case .success(let f): fields = f
        }
        let role: String, password: String
        do {
            role = try Forms.role(fields["role"])
            password = try Forms.password(fields["password"])
        } catch {
            return await loginPage(request, error: error.message, status: .badRequest)
        }
        return await startSession(request, role: role, password: password, certificateSubject: nil)
    }

    /// `POST /login/certificate`: the role the proxy's verified certificate maps to, with no password.
    func certificateLogin(_ request: Request) async -> Response {
        guard let certificates = configuration.certificateLogin else {
            return notice(.notFound, "Not available", "Certificate logins are not turned on for this console.", session: nil,
                          back: "/login", backLabel: "Log in")
        }
        switch await loginForm(request) {
        case .failure(let refused): return refused.response
        case .success: break
        }
        switch certificates.identity(request.headers) {
        case .none:
            return await loginPage(request, error: "No client certificate was presented.", status: .unauthorized)
        case .refused(let reason):
            logger.notice("console: a certificate login was refused", metadata: ["cause": "\(reason)"])
            return await loginPage(request, error: reason, status: .forbidden)
        case .mapped(let subject, let role):
            return await startSession(request, role: role, password: nil, certificateSubject: subject)
        }
    }

    /// Opens the role's connection, checks what the role may do and starts its session (a new id, the old one ended).
    func startSession(_ request: Request, role: String, password: String?, certificateSubject: String?) async -> Response {
        let connection: OperatorConnection
        do {
            connection = try await OperatorConnection.open(conninfo: configuration.conninfo, user: role, password: password,
                                                           statementTimeoutMilliseconds: configuration.statementTimeoutMilliseconds)
        } catch {
            // Wrong password and unknown role read alike, so the page does not tell which roles exist.
            let message = (error as? PostgresError)?.message ?? ""
            let credentials = ["authentication failed", "does not exist", "not permitted to log in", "no password supplied",
                               "password authentication"].contains { message.contains($0) }
            logger.notice("console: a login failed", metadata: ["cause": "\(credentials ? "credentials" : "database unreachable")",
                                                               "method": "\(password == nil ? "certificate" : "password")"])
            let refusal = password == nil ? "Login failed: the database does not accept this certificate's role from the console."
                                          : "Login failed: wrong role or password."
            return await loginPage(request, error: credentials ? refusal : "The database cannot be reached; try again later.",
                                   role: password == nil ? "" : role, status: credentials ? .unauthorized : .serviceUnavailable)
        }
        let capabilities: (isOperator: Bool, isAuditor: Bool)?
        do {
            capabilities = try await connection.perform { try Queries.capabilities($0) }
        } catch {
            connection.close()
            return await loginPage(request, error: "The database cannot be reached; try again later.", role: role, status: .serviceUnavailable)
        }
        guard let capabilities else {
            connection.close()
            logger.notice("console: a login by a role that may not use the console was refused")
            return await loginPage(request, error: "This role may not use the console: it must be a member of chokepoint_operator or chokepoint_auditor, and not a superuser.",
                                   role: role, status: .forbidden)
        }
        // A new id at every login (never one the browser brought), and the old session, if any, ended.
        if let old = request.cookies[Self.sessionCookie]?.value { await sessions.end(id: old) }
        guard let session = await sessions.create(role: role, isOperator: capabilities.isOperator, connection: connection,
                                                  certificateSubject: certificateSubject) else {
            return await loginPage(request, error: "Too many sessions are open; try again later.", role: role, status: .serviceUnavailable)
        }
        var response = Self.redirect(capabilities.isOperator ? "/holds" : "/summary")
        response.setCookie(cookie(Self.sessionCookie, session.id, path: "/"))
        response.setCookie(clearedCookie(Self.loginCookie, path: "/login"))
        return response
    }

    func logout(_ request: Request) async -> Response {
        guard let session = await session(request) else { return sessionEnded() }
        switch await postedForm(request, session: session) {
        case .failure(let refused): return refused.response
        case .success: break
        }
        await sessions.end(id: session.id)
        var response = Self.redirect("/login")
        response.setCookie(clearedCookie(Self.sessionCookie, path: "/"))
        return response
    }
}

// MARK: - Pages and actions

extension Console {
    /// Runs a page's reads on the session's connection and renders the result, or the refusal.
    func withSession(_ request: Request, _ body: (Session, String?) async throws -> Response) async -> Response {
        guard let session = await session(request) else {
            return request.method == .get ? Self.redirect("/login") : sessionEnded()
        }
        let flash = await sessions.takeFlash(id: session.id)
        do {
            return try await body(session, flash)
        } catch {
            return await refusal(error, session: session)
        }
    }

    /// An action: a live session, a form carrying its CSRF token, then `body`; any refusal becomes a page.
    func withPostedForm(_ request: Request, _ body: (Session, [String: String]) async throws -> Response) async -> Response {
        await withSession(request) { session, _ in
            switch await postedForm(request, session: session) {
            case .failure(let refused): return refused.response
            case .success(let fields): return try await body(session, fields)
            }
        }
    }

    func queuePage(_ request: Request) async -> Response {
        await withSession(request) { session, flash in
            let raw = try Self.query(request)
            let filter = try Forms.queueFilter(raw)
            let (holds, counts, lists) = try await session.connection.perform { c in
                (try Queries.openHolds(c, reason: filter.reason, minAgeHours: filter.minAgeHours, list: filter.list),
                 try Queries.holdCounts(c), try Queries.holdLists(c))
            }
            let total = try await session.connection.perform { c in
                Int(try c.query("SELECT count(*) FROM chokepoint.open_holds").scalar ?? "0") ?? 0
            }
            let shown = holds.filter { h in
                guard filter.minAmount != nil || filter.maxAmount != nil else { return true }
                guard let text = h.amount, let amount = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) else { return false }
                if let min = filter.minAmount, amount < min { return false }
                if let max = filter.maxAmount, amount > max { return false }
                return true
            }
            return page(.ok, title: "Open holds", template: "queue",
                        Views.queue(holds: shown, limit: configuration.queueLimit, total: total, counts: counts, lists: lists,
                                    filter: filter, raw: raw),
                        session: session, flash: flash)
        }
    }

    func holdPage(_ request: Request, id text: String?) async -> Response {
        await withSession(request) { session, flash in
            let id = try Forms.id(text, what: "a payment id")
            guard let payment = try await session.connection.perform({ try Queries.payment($0, id: id) }) else {
                return notice(.notFound, "No such payment", "Payment \(id) does not exist.", session: session)
            }
            guard payment.status == "held" else {
                return notice(.conflict, "Not held", "Payment \(id) is \(payment.status), not held: there is nothing to decide.",
                              session: session)
            }
            let (hits, requests, history) = try await session.connection.perform { c in
                (try Queries.hits(c, paymentId: id), try Queries.releaseRequests(c, paymentId: id), try Queries.history(c, paymentId: id))
            }
            return page(.ok, title: "Payment \(id)", template: "hold",
                        Views.hold(payment: payment, hits: hits, requests: requests, history: history, role: session.role,
                                   isOperator: session.isOperator, csrf: session.csrfToken),
                        session: session, flash: flash)
        }
    }

    /// Release (or, on a four-eyes hold, request or confirm the release) or reject, through the API functions.
    func decide(_ request: Request, id text: String?, release: Bool) async -> Response {
        await withPostedForm(request) { session, fields in
            let id = try Forms.id(text, what: "a payment id")
            let reason = try Forms.reason(fields)
            let outcome = try await session.connection.perform { c in
                release ? try Queries.release(c, paymentId: id, reason: reason) : try Queries.reject(c, paymentId: id, reason: reason)
            }
            await sessions.setFlash(id: session.id, "Payment \(id): \(outcome).")
            return Self.redirect(outcome.hasPrefix("release requested") ? "/holds/\(id)" : "/holds")
        }
    }

    func goodGuy(_ request: Request, hitId text: String?) async -> Response {
        await withPostedForm(request) { session, fields in
            let hitId = try Forms.id(text, what: "a hit id")
            let reason = try Forms.reason(fields)
            let (record, paymentId) = try await session.connection.perform { c in
                (try Queries.addGoodGuy(c, hitId: hitId, reason: reason), try Queries.paymentOfHit(c, hitId: hitId))
            }
            await sessions.setFlash(id: session.id, record.approved
                                    ? "Good-guy record \(record.id) confirmed: it is in force for new payments."
                                    : "Good-guy record \(record.id) requested: a second operator must confirm it.")
            return Self.redirect(paymentId.map { "/holds/\($0)" } ?? "/holds")
        }
    }

    func alertsPage(_ request: Request) async -> Response {
        await withSession(request) { session, flash in
            let (open, done) = try await session.connection.perform { c in
                (try Queries.alerts(c, open: true), try Queries.alerts(c, open: false, limit: 20))
            }
            return page(.ok, title: "Retrospective alerts", template: "alerts",
                        Views.alerts(open: open, done: done, csrf: session.csrfToken), session: session, flash: flash)
        }
    }

    func acknowledge(_ request: Request, alertId text: String?) async -> Response {
        await withPostedForm(request) { session, fields in
            let alertId = try Forms.id(text, what: "an alert id")
            let reason = try Forms.reason(fields)
            let outcome = try await session.connection.perform { c in try Queries.acknowledgeAlert(c, alertId: alertId, reason: reason) }
            await sessions.setFlash(id: session.id, "Alert \(alertId): \(outcome).")
            return Self.redirect("/alerts")
        }
    }

    func listsPage(_ request: Request) async -> Response {
        await withSession(request) { session, flash in
            let rows = try await session.connection.perform { try Queries.listStatus($0) }
            return page(.ok, title: "List status", template: "lists", Views.lists(rows), session: session, flash: flash)
        }
    }

    func summaryPage(_ request: Request) async -> Response {
        await withSession(request) { session, flash in
            let requested = try Forms.day(try Self.query(request)["day"])
            let (day, summary, series) = try await session.connection.perform { c in
                let day = try requested ?? Queries.today(c)
                return (day, try Queries.summary(c, day: day), try Queries.dailySeries(c, day: day, days: 14))
            }
            return page(.ok, title: "Daily summary", template: "summary", Views.summary(day: day, summary, series: series),
                        session: session, flash: flash)
        }
    }
}
