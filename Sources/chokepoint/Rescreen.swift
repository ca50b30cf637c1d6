import ArgumentParser
import Daemon

struct Rescreen: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Re-screen stored payments against the current lists (the nightly batch).")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "Look-back for released payments (YYYY-MM-DD); default 90 days.") var since: String?
    @Flag(help: "Re-screen every stored payment.") var all = false
    func run() throws {
        throw CLIError(code: .failure, message: "rescreen is not available in this build yet")
    }
}
