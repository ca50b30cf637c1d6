import ArgumentParser
import Foundation
import Logging
import Postgres

/// Connection options shared by every subcommand.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL or conninfo. Default: CHOKEPOINT_DATABASE_URL, else libpq's defaults.")
    var databaseURL: String?

    /// The conninfo to hand libpq: the option, the environment variable, or "" (libpq defaults).
    var conninfo: String {
        if let databaseURL { return databaseURL }
        if let env = ProcessInfo.processInfo.environment["CHOKEPOINT_DATABASE_URL"], !env.isEmpty { return env }
        return ""
    }

    func connect() throws -> Connection {
        do {
            return try Connection(conninfo: conninfo)
        } catch {
            throw CLIError(code: .databaseUnreachable, message: "cannot connect to PostgreSQL: \(error.message)")
        }
    }
}

/// Exit codes documented in `chokepoint --help`.
enum ExitStatus: Int32 {
    case failure = 1
    case databaseUnreachable = 3
    case unmigrated = 4
    case badInput = 5
}

/// An error that ends the command with a clear message and a documented exit code.
struct CLIError: Error, CustomStringConvertible {
    var code: ExitStatus
    var message: String
    var description: String { message }
}

/// Prints a CLIError's message to stderr and exits with its code; other errors propagate.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let e as CLIError {
        FileHandle.standardError.write(Data(("chokepoint: " + e.message + "\n").utf8))
        throw ExitCode(e.code.rawValue)
    }
}

enum LogSetup {
    /// Logs go to stderr (journald picks them up under systemd); level from CHOKEPOINT_LOG_LEVEL.
    static func bootstrap() {
        let level = ProcessInfo.processInfo.environment["CHOKEPOINT_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
