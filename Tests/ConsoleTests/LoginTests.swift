import Foundation
import TestSupport
import Testing

@Suite("console: login, sessions, CSRF, logout", .enabled(if: TestDatabase.enabled))
struct LoginTests {
    @Test("pages need a session; the login form sets a strict login cookie and a token")
    func pagesNeedASession() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        try await s.withBrowser { b in
            for path in ["/holds", "/holds/1", "/alerts", "/lists", "/summary", "/"] {
                let page = try await b.get(path)
                #expect(page.status == 303, "\(path)")
                #expect(page.location == (path == "/" ? "/holds" : "/login"), "\(path)")
            }
            let login = try await b.get("/login")
            #expect(login.status == 200)
            #expect(login.csrf != nil)
            #expect(login.body.contains("type=\"password\""))
            let cookie = try #require(b.lastSetCookies.first { $0.hasPrefix("chokepoint_login=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            // A POST without a session is refused, not redirected into doing anything.
            let post = try await b.post("/holds/1/release", [("reason", "x")])
            #expect(post.status == 401)
            #expect(post.body.contains("Session ended"))
        }
    }

    @Test("an operator logs in with their own role: HttpOnly, SameSite=Strict session cookie, not Secure unless configured")
    func operatorLogsIn() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        try await s.withBrowser { b in
            let done = try await b.login(s.operatorA)
            #expect(done.status == 303)
            #expect(done.location == "/holds")
            let cookie = try #require(b.lastSetCookies.first { $0.hasPrefix("chokepoint_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/"))
            #expect(!cookie.contains("Secure"))
            let queue = try await b.get("/holds")
            #expect(queue.status == 200)
            #expect(queue.body.contains(s.operatorA))
            #expect(queue.body.contains("Log out"))
        }
        try await s.withBrowser({ $0.secureCookies = true }) { b in
            try await b.login(s.operatorA)
            let cookie = try #require(b.lastSetCookies.first { $0.hasPrefix("chokepoint_session=") })
            #expect(cookie.contains("Secure"))
        }
    }

    @Test("login refused: no or a wrong form token, a malformed role, an unknown role, a submitter, a superuser")
    func loginRefusals() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        try await s.withBrowser { b in
            _ = try await b.get("/login")
            let noToken = try await b.post("/login", [("role", s.operatorA), ("password", "secret")])
            #expect(noToken.status == 403)
            let wrongToken = try await b.post("/login", [("csrf", String(repeating: "a", count: 64)), ("role", s.operatorA), ("password", "secret")])
            #expect(wrongToken.status == 403)
            #expect(b.cookies["chokepoint_session"] == nil)

            let malformed = try await b.login("op'; DROP ROLE x; --")
            #expect(malformed.status == 400)
            let noPassword = try await b.login(s.operatorA, password: "")
            #expect(noPassword.status == 400)

            let unknown = try await b.login("nobody_here")
            #expect(unknown.status == 401)
            #expect(unknown.body.contains("wrong role or password"))

            let submitter = try await b.login(s.submitter)
            #expect(submitter.status == 403)
            #expect(submitter.body.contains("may not use the console"))

            // The cluster's own superuser: the console is for people acting under the API's rules.
            let superuser = try await b.login(s.superuser)
            #expect(superuser.status == 403)
            #expect(b.cookies["chokepoint_session"] == nil)
        }
    }

    @Test("an auditor logs in to the summary; the queue is refused by the database")
    func auditor() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        try await s.withBrowser { b in
            let done = try await b.login(s.auditor)
            #expect(done.location == "/summary")
            #expect(try await b.get("/").location == "/summary")
            #expect(try await b.get("/login").location == "/summary")
            #expect(try await b.get("/summary").status == 200)
            let queue = try await b.get("/holds")
            #expect(queue.status == 403)
            #expect(queue.body.contains("permission denied"))
        }
    }

    @Test("logout needs the session's token, ends the session and closes its connection")
    func logout() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        try await s.withBrowser { b in
            try await b.login(s.operatorA)
            let token = try await b.sessionToken()
            let old = b.cookies
            #expect(try s.scalar("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", [s.operatorA]) == "1")
            #expect(try await b.post("/logout", []).status == 403)
            #expect(try await b.post("/logout", [("csrf", token)]).status == 303)
            #expect(b.cookies["chokepoint_session"] == nil)
            #expect(try await b.get("/holds").location == "/login")
            // The old cookie, replayed, opens nothing.
            b.cookies = old
            #expect(try await b.get("/holds").location == "/login")
            #expect(await eventually(timeout: 10) { (try? s.scalar("SELECT count(*) FROM pg_stat_activity WHERE usename = $1", [s.operatorA])) == "0" })
        }
    }

    @Test("an idle session expires: pages go back to login, actions are refused")
    func expiry() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        let ids = try s.standardPayments()
        // Long enough that logging in and reading a page never expire the session on a loaded 2-core machine (0.5 s
        // once did in CI), short enough for a test.
        try await s.withBrowser({ $0.idleTimeout = 3 }) { b in
            try await b.login(s.operatorA)
            let token = try await b.sessionToken()
            try await Task.sleep(for: .milliseconds(3_500))
            let action = try await b.post("/holds/\(ids["R1"]!)/release", [("csrf", token), ("reason", "too late")])
            #expect(action.status == 401)
            #expect(try await b.get("/holds").location == "/login")
        }
        #expect(try s.scalar("SELECT status FROM chokepoint.payments WHERE id = $1", [ids["R1"]]) == "held")
    }
}
