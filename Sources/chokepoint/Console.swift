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
            --secure-cookies.
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

    func validate() throws {
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1-65535") }
        guard (1...240).contains(idleMinutes) else { throw ValidationError("--idle-minutes must be between 1 and 240") }
        guard (1...24).contains(maxSessionHours) else { throw ValidationError("--max-session-hours must be between 1 and 24") }
        guard !host.isEmpty else { throw ValidationError("--host must not be empty") }
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
