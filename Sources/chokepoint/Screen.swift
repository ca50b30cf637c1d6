import ArgumentParser
import Daemon

struct Screen: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Dry run: JSON Lines in on stdin, decisions out on stdout; changes nothing.")
    @OptionGroup var database: DatabaseOptions
    func run() throws {
        throw CLIError(code: .failure, message: "screen is not available in this build yet")
    }
}
