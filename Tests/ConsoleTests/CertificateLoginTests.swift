import Console
import Foundation
import Harness
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import IntegrationSupport
import Logging
import Postgres
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The certificate map and the proxy's headers, without a database.
@Suite("console: certificate login, the map and the proxy's headers")
struct CertificateMapTests {
    static let secret = String(repeating: "s3cr3t-", count: 6)
    static let alice = "CN=Alice Operator,OU=Compliance,O=Test Bank,C=TR"

    static func login(_ roles: [String: String] = [alice: "alice"]) throws -> CertificateLogin {
        try CertificateLogin(proxySecret: secret, roles: roles)
    }

    static func headers(secret: String? = Self.secret, subject: String? = alice, verify: String? = "SUCCESS") -> HTTPFields {
        var h = HTTPFields()
        if let secret { h[HTTPField.Name(CertificateLogin.defaultSecretHeader)!] = secret }
        if let subject { h[HTTPField.Name(CertificateLogin.defaultSubjectHeader)!] = subject }
        if let verify { h[HTTPField.Name(CertificateLogin.defaultVerifyHeader)!] = verify }
        return h
    }

    @Test("the map: one role and subject per line, comments and blank lines skipped, subjects kept whole")
    func parsesMap() throws {
        let map = try CertificateLogin.parseMap("""
            # role   subject
            alice   CN=Alice Operator,OU=Compliance,O=Test Bank,C=TR

            bob\tCN=Bob Operator,O=Test Bank\r
            """)
        #expect(map == [Self.alice: "alice", "CN=Bob Operator,O=Test Bank": "bob"])
    }

    @Test("the map refuses a line without a subject, a malformed role, a subject mapped twice, a control character")
    func refusesBadMaps() {
        for (text, words) in [("alice", "line 1: expected a role and a certificate subject"),
                              ("# x\nal'ice CN=A", "line 2: a role name is"),
                              ("a CN=A\nb CN=A", "line 2: the subject is already mapped to a"),
                              ("a CN=A\u{1}B", "line 1: expected a certificate subject")] {
            #expect(throws: CertificateLoginError.self) { try CertificateLogin.parseMap(text) }
            do {
                _ = try CertificateLogin.parseMap(text)
            } catch {
                #expect("\(error)".contains(words), "\(error)")
            }
        }
    }

    @Test("the configuration refuses a short secret, an empty map, a header name that is not one, the same header twice")
    func refusesBadConfiguration() {
        #expect(throws: CertificateLoginError.self) { try CertificateLogin(proxySecret: "short", roles: [Self.alice: "alice"]) }
        #expect(throws: CertificateLoginError.self) { try CertificateLogin(proxySecret: Self.secret, roles: [:]) }
        #expect(throws: CertificateLoginError.self) {
            try CertificateLogin(subjectHeader: "X Bad", proxySecret: Self.secret, roles: [Self.alice: "alice"])
        }
        #expect(throws: CertificateLoginError.self) {
            try CertificateLogin(subjectHeader: "X-A", verifyHeader: "x-a", proxySecret: Self.secret, roles: [Self.alice: "alice"])
        }
    }

    @Test("the headers: mapped only with the proxy's secret, a verified certificate and a mapped subject")
    func readsHeaders() throws {
        let l = try Self.login()
        #expect(l.identity(Self.headers()) == .mapped(subject: Self.alice, role: "alice"))
        // No claim at all, or the proxy saying no certificate was presented: a password login.
        #expect(l.identity(HTTPFields()) == .none)
        #expect(l.identity(Self.headers(subject: nil, verify: "NONE")) == .none)
        #expect(l.identity(Self.headers(subject: "", verify: "NONE")) == .none)
        // A subject without the secret, or with a wrong one, is a forged claim.
        guard case .refused = l.identity(Self.headers(secret: nil)) else { Issue.record("no secret accepted"); return }
        guard case .refused = l.identity(Self.headers(secret: String(Self.secret.dropLast()) + "x")) else { Issue.record("wrong secret accepted"); return }
        guard case .refused = l.identity(Self.headers(verify: "FAILED:certificate has expired")) else { Issue.record("unverified accepted"); return }
        guard case .refused = l.identity(Self.headers(verify: nil)) else { Issue.record("no verification accepted"); return }
        guard case .refused(let reason) = l.identity(Self.headers(subject: "CN=Mallory")) else { Issue.record("unmapped accepted"); return }
        #expect(reason == "No role is mapped to this certificate.")
        // A subject differing only in case or a trailing part is another subject.
        guard case .refused = l.identity(Self.headers(subject: Self.alice.lowercased())) else { Issue.record("case folded"); return }
        guard case .refused = l.identity(Self.headers(subject: Self.alice + ",OU=x")) else { Issue.record("suffix accepted"); return }
        // Headers sent twice (a proxy that appends instead of replacing) are refused.
        var twice = Self.headers()
        twice.append(HTTPField(name: HTTPField.Name(CertificateLogin.defaultSubjectHeader)!, value: "CN=Other"))
        guard case .refused = l.identity(twice) else { Issue.record("two subjects accepted"); return }
        var twoSecrets = Self.headers()
        twoSecrets.append(HTTPField(name: HTTPField.Name(CertificateLogin.defaultSecretHeader)!, value: Self.secret))
        guard case .refused = l.identity(twoSecrets) else { Issue.record("two secrets accepted"); return }
    }

    @Test("a console with certificate login refuses a database URL carrying a password, and needs some way to log in")
    func refusesPasswordInURL() throws {
        var config = ConsoleConfiguration(conninfo: "postgresql://db.example/chokepoint?password=x")
        config.certificateLogin = try Self.login()
        #expect(throws: CertificateLoginError.self) { try Console(configuration: config, logger: Logger(label: "t")) }
        config.conninfo = "host=db.example dbname=chokepoint password=x"
        #expect(throws: CertificateLoginError.self) { try Console(configuration: config, logger: Logger(label: "t")) }
        config.conninfo = "postgresql://db.example/chokepoint"
        _ = try Console(configuration: config, logger: Logger(label: "t"))
        config.certificateLogin = nil
        config.passwordLogin = false
        #expect(throws: CertificateLoginError.self) { try Console(configuration: config, logger: Logger(label: "t")) }
    }
}

/// A cluster of the test's own whose `pg_hba.conf` authenticates operators by `peer` with a `pg_ident.conf`
/// map, as a bank configures it for certificate logins: the test process's OS user may become the mapped
/// roles and no others.
struct PeerMappedCluster {
    let cluster: ScratchCluster
    let setup: Setup
    /// Mapped in the console's file but not in pg_ident.conf: the database must refuse it.
    let unmapped: String

    static let unmappedPassword = "carols-password"

    static var osUser: String { String(cString: getpwuid(geteuid())!.pointee.pw_name) }

    static func start() throws -> PeerMappedCluster {
        let cluster = ScratchCluster(directory: "/tmp/cp-cert-\(UUID().uuidString.prefix(8).lowercased())",
                                     script: TestDatabase.packageRoot + "/scripts/pg")
        do {
            let admin = try cluster.start()
            let db = try TestDatabase.create(admin: admin)
            let setup = Setup(db: db,
                              operatorA: try db.createLoginRole(prefix: "opa", memberOf: "chokepoint_operator"),
                              operatorB: try db.createLoginRole(prefix: "opb", memberOf: "chokepoint_operator"),
                              auditor: try db.createLoginRole(prefix: "aud", memberOf: "chokepoint_auditor"),
                              submitter: try db.createLoginRole(prefix: "sub", memberOf: "chokepoint_submitter"),
                              logs: LogCapture())
            let unmapped = try db.createLoginRole(prefix: "opc", memberOf: "chokepoint_operator")
            let data = cluster.directory + "/data"
            // The unmapped role has a password the server would accept: a certificate login must still not
            // reach it (the console sends none, and reads no password file).
            try """
                local all \(setup.superuser) trust
                local all \(unmapped) scram-sha-256
                local all all peer map=console
                """.write(toFile: data + "/pg_hba.conf", atomically: false, encoding: .utf8)
            let superuser = try setup.connect()
            defer { superuser.close() }
            try superuser.executeScript("ALTER ROLE \(unmapped) PASSWORD '\(unmappedPassword)'")
            try [setup.operatorA, setup.operatorB, setup.submitter].map { "console \(osUser) \($0)" }.joined(separator: "\n")
                .write(toFile: data + "/pg_ident.conf", atomically: false, encoding: .utf8)
            let c = try setup.connect()
            defer { c.close() }
            _ = try c.query("SELECT pg_reload_conf()")
            // The server rereads the files on its own time (until then initdb's `trust` lets anybody in): wait
            // until the unmapped role is refused without its password and the first operator is let in.
            let reloaded = eventually(timeout: 20) {
                if let c = try? Connection(conninfo: db.conninfo, user: unmapped, password: nil) {
                    c.close()
                    return false
                }
                guard let c = try? Connection(conninfo: db.conninfo, user: setup.operatorA, password: nil) else { return false }
                c.close()
                return true
            }
            guard reloaded else { throw BenchFailure("the peer map did not take effect") }
            return PeerMappedCluster(cluster: cluster, setup: setup, unmapped: unmapped)
        } catch {
            cluster.destroy()
            throw error
        }
    }

    func destroy() {
        cluster.destroy()
    }
}

@Suite("console: certificate login against a database that authenticates by a peer map", .enabled(if: TestDatabase.enabled), .serialized)
struct CertificateLoginTests {
    typealias M = CertificateMapTests
    static let bob = "CN=Bob Operator,OU=Compliance,O=Test Bank,C=TR"
    static let carol = "CN=Carol Operator,O=Test Bank"
    static let sam = "CN=Sam Submitter,O=Test Bank"

    /// The console in front of the cluster, with the four subjects mapped, run in-process; two browsers share it.
    func withConsole(_ p: PeerMappedCluster, certificateOnly: Bool = false,
                     _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let s = p.setup
        let roles = [M.alice: s.operatorA, Self.bob: s.operatorB, Self.carol: p.unmapped, Self.sam: s.submitter]
        let console = try s.console { config in
            config.certificateLogin = try? CertificateLogin(proxySecret: M.secret, roles: roles)
            config.passwordLogin = !certificateOnly
        }
        try await console.application().test(.router) { client in try await body(client) }
        await console.endSessions()
    }

    /// A browser whose requests carry what the proxy adds for `subject`.
    static func browser(_ client: any TestClientProtocol, _ subject: String?, secret: String? = M.secret, verify: String = "SUCCESS") -> Browser {
        var b = Browser(client)
        b.headers = M.headers(secret: secret, subject: subject, verify: verify)
        return b
    }

    @Test("two operators log in with certificates and release a sanctions hold with four eyes; the audit names each role; a session needs its certificate")
    func fourEyesWithCertificates() async throws {
        let p = try PeerMappedCluster.start()
        defer { p.destroy() }
        let s = p.setup
        let id = try #require(try s.standardPayments()["Z1"])
        try await withConsole(p) { client in
            var a = Self.browser(client, M.alice)
            let form = try await a.get("/login")
            #expect(form.body.contains("Log in as \(s.operatorA) with your certificate"))
            let login = try await a.post("/login/certificate", [("csrf", form.csrf ?? "")])
            #expect(login.status == 303)
            #expect(login.location == "/holds")
            let token = try await a.sessionToken()
            let asked = try await a.post("/holds/\(id)/release", [("csrf", token), ("reason", "different company, registry checked")])
            #expect(asked.status == 303)

            var b = Self.browser(client, Self.bob)
            let formB = try await b.get("/login")
            _ = try await b.post("/login/certificate", [("csrf", formB.csrf ?? "")])
            let page = try await b.get("/holds/\(id)")
            #expect(page.body.contains("Confirm release (second operator after \(s.operatorA))"))
            let done = try await b.post("/holds/\(id)/release", [("csrf", try #require(page.csrf)), ("reason", "agreed")])
            #expect(done.status == 303)
            #expect(try s.scalar("SELECT status FROM chokepoint.payments WHERE id = $1", [id]) == "released")

            // Alice's session cookie carried by a browser presenting Bob's certificate: the session ends.
            var stolen = Self.browser(client, Self.bob)
            stolen.cookies = a.cookies
            let refused = try await stolen.get("/holds")
            #expect(refused.status == 303)
            #expect(refused.location == "/login")
            // And it is gone for Alice too, as is any session used without its certificate.
            let after = try await a.get("/holds")
            #expect(after.location == "/login")
            var again = Self.browser(client, M.alice)
            let formAgain = try await again.get("/login")
            _ = try await again.post("/login/certificate", [("csrf", formAgain.csrf ?? "")])
            #expect(try await again.get("/holds").status == 200)
            var bare = Browser(client)
            bare.cookies = again.cookies
            #expect(try await bare.get("/holds").location == "/login")
        }
        let c = try s.connect()
        defer { c.close() }
        let audit = try c.query("""
            SELECT actor, action FROM chokepoint.audit_log WHERE payment_id = $1 AND action <> 'decision' ORDER BY id
            """, [id]).rows.map(\.values)
        #expect(audit == [[s.operatorA, "release_requested"], [s.operatorB, "release_hold"]])
        #expect(!s.logs.all.joined().contains("Alice"), "the certificate subject must not reach the logs")
    }

    @Test("refused: forged or unverified headers, an unmapped subject, a role the database's map does not allow, a submitter, no form token")
    func refusals() async throws {
        let p = try PeerMappedCluster.start()
        defer { p.destroy() }
        let (directory, unmappedRole) = (p.cluster.directory, p.unmapped)
        try await withConsole(p) { client in
            func attempt(_ b: inout Browser, csrf: Bool = true) async throws -> Browser.Page {
                let form = try await b.get("/login")
                return try await b.post("/login/certificate", csrf ? [("csrf", form.csrf ?? "")] : [])
            }
            var forged = Self.browser(client, M.alice, secret: nil)
            let forgedForm = try await forged.get("/login")
            #expect(forgedForm.body.contains("did not come from the console&#39;s proxy") || forgedForm.body.contains("did not come from the console's proxy"))
            #expect(!forgedForm.body.contains("with your certificate"))
            #expect(try await attempt(&forged).status == 403)

            var wrongSecret = Self.browser(client, M.alice, secret: String(repeating: "x", count: 42))
            #expect(try await attempt(&wrongSecret).status == 403)
            var unverified = Self.browser(client, M.alice, verify: "FAILED:certificate revoked")
            let unverifiedPage = try await attempt(&unverified)
            #expect(unverifiedPage.status == 403)
            #expect(unverifiedPage.body.contains("did not verify the certificate"))
            var unmapped = Self.browser(client, "CN=Mallory,O=Elsewhere")
            let unmappedPage = try await attempt(&unmapped)
            #expect(unmappedPage.status == 403)
            #expect(unmappedPage.body.contains("No role is mapped to this certificate."))
            // Mapped by the console, but pg_ident.conf does not let the console's user become that role; the
            // role's password is in the file PGPASSFILE names, which libpq would read if the console let it.
            let passfile = directory + "/pgpass"
            try "*:*:*:\(unmappedRole):\(PeerMappedCluster.unmappedPassword)\n".write(toFile: passfile, atomically: false, encoding: .utf8)
            chmod(passfile, 0o600)
            setenv("PGPASSFILE", passfile, 1)
            defer { unsetenv("PGPASSFILE") }
            var carol = Self.browser(client, Self.carol)
            let carolPage = try await attempt(&carol)
            #expect(carolPage.status == 401)
            #expect(carolPage.body.contains("the database does not accept this certificate"))
            var sam = Self.browser(client, Self.sam)
            let samPage = try await attempt(&sam)
            #expect(samPage.status == 403)
            #expect(samPage.body.contains("may not use the console"))
            var noToken = Self.browser(client, M.alice)
            #expect(try await attempt(&noToken, csrf: false).status == 403)
            var none = Self.browser(client, nil, verify: "NONE")
            let nonePage = try await attempt(&none)
            #expect(nonePage.status == 401)
            for b in [forged, wrongSecret, unverified, unmapped, carol, sam, noToken, none] {
                #expect(b.cookies["chokepoint_session"] == nil)
            }
        }
    }

    @Test("certificates only: the password form is gone and a password login is refused even for a valid role")
    func certificateOnly() async throws {
        let p = try PeerMappedCluster.start()
        defer { p.destroy() }
        let operatorA = p.setup.operatorA
        try await withConsole(p, certificateOnly: true) { client in
            var b = Browser(client)
            let form = try await b.get("/login")
            #expect(!form.body.contains("type=\"password\""))
            #expect(form.body.contains("client-certificate logins only"))
            let refused = try await b.post("/login", [("csrf", form.csrf ?? ""), ("role", operatorA), ("password", "x")])
            #expect(refused.status == 403)
            #expect(refused.body.contains("Password logins are turned off"))
            #expect(b.cookies["chokepoint_session"] == nil)
        }
    }

    @Test("certificate login is off unless configured: the headers are ignored and the route says so")
    func offByDefault() async throws {
        let s = try Setup.make()
        defer { s.db.drop() }
        try await s.withBrowser { b in
            b.headers = M.headers()
            let form = try await b.get("/login")
            #expect(!form.body.contains("with your certificate"))
            #expect(form.body.contains("type=\"password\""))
            let refused = try await b.post("/login/certificate", [("csrf", form.csrf ?? "")])
            #expect(refused.status == 404)
            #expect(b.cookies["chokepoint_session"] == nil)
        }
    }
}
