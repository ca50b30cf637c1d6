import ArgumentParser
import Console
import Foundation
import Logging

/// `chokepoint console`: the operators' web application (README, "The operators' console").
struct OperatorsConsole: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console",
        abstract: "Serve the operators' console: review holds in a browser, decided through the SQL API as each operator's own role.",
        discussion: """
            The database URL names the server and database only: each operator logs in with their own \
            PostgreSQL role and password, and the console holds no credentials of its own. It listens on \
            127.0.0.1 by default; put a TLS-terminating reverse proxy in front of it (README) and pass \
            --secure-cookies. With --certificate-map and --proxy-secret-file, operators may instead log in \
            with a client certificate the proxy verified; the database then authenticates the mapped role \
            by its own peer map (README, "Certificate login").
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(help: "TCP port to listen on.")
    var port: Int = 8080

    @Flag(help: "Mark cookies Secure (sent over HTTPS only): use behind a TLS-terminating proxy.")
    var secureCookies = false

    @Option(help: "Minutes without a request after which a session ends.")
    var idleMinutes: Int = 15

    @Option(help: "Hours after login after which a session ends in any case.")
    var maxSessionHours: Int = 8

    @Option(help: ArgumentHelp("File mapping certificate subjects to roles (one 'ROLE SUBJECT' per line): turns certificate login on.",
                               valueName: "file"))
    var certificateMap: String?

    @Option(help: ArgumentHelp("File holding the secret the proxy sends with the certificate headers (needed with --certificate-map).",
                               valueName: "file"))
    var proxySecretFile: String?

    @Option(help: "Header with the verified certificate's subject DN, as the proxy writes it.")
    var certificateSubjectHeader: String = CertificateLogin.defaultSubjectHeader

    @Option(help: "Header with the proxy's verification result (must be SUCCESS).")
    var certificateVerifyHeader: String = CertificateLogin.defaultVerifyHeader

    @Option(help: "Header with the proxy's secret.")
    var proxySecretHeader: String = CertificateLogin.defaultSecretHeader

    @Flag(help: "Refuse role-and-password logins: certificates only (needs --certificate-map).")
    var certificateOnly = false

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1-65535") }
        guard (1...240).contains(idleMinutes) else { throw ValidationError("--idle-minutes must be between 1 and 240") }
        guard (1...24).contains(maxSessionHours) else { throw ValidationError("--max-session-hours must be between 1 and 24") }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
        guard (certificateMap == nil) == (proxySecretFile == nil) else {
            throw ValidationError("--certificate-map and --proxy-secret-file go together")
        }
        guard !certificateOnly || certificateMap != nil else { throw ValidationError("--certificate-only needs --certificate-map") }
    }

    /// The certificate login the options describe, read from its files; nil when it is off.
    func certificateLogin() throws -> CertificateLogin? {
        guard let certificateMap, let proxySecretFile else { return nil }
        func read(_ path: String, _ what: String) throws -> String {
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read the \(what) \(path): \(error.localizedDescription)")
            }
        }
        do {
            let roles = try CertificateLogin.parseMap(try read(certificateMap, "certificate map"))
            let secret = try read(proxySecretFile, "proxy secret file").trimmingCharacters(in: .whitespacesAndNewlines)
            return try CertificateLogin(subjectHeader: certificateSubjectHeader, verifyHeader: certificateVerifyHeader,
                                        secretHeader: proxySecretHeader, proxySecret: secret, roles: roles)
        } catch let error as CertificateLoginError {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {
        LogSetup.bootstrap()
        let logger = Logger(label: "chokepoint-console")
        var config = ConsoleConfiguration(conninfo: database.conninfo)
        config.host = host
        config.port = port
        config.secureCookies = secureCookies
        config.idleTimeout = TimeInterval(idleMinutes * 60)
        config.maximumLifetime = TimeInterval(maxSessionHours * 3600)
        config.certificateLogin = try certificateLogin()
        config.passwordLogin = !certificateOnly
        let console = try Console(configuration: config, logger: logger)
        if host != "127.0.0.1" && host != "::1" && host != "localhost" {
            logger.warning("the console listens on \(host), not loopback: make sure only the TLS proxy can reach it")
        }
        do {
            try await console.application().runService()
        } catch {
            logger.critical("console failed: \(error)")
            await console.endSessions()
            throw ExitCode(ExitStatus.failure.rawValue)
        }
        await console.endSessions()
    }
}
