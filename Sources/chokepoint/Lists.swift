import ArgumentParser
import Daemon
import Foundation

struct Lists: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import list files and show loaded list versions.",
        subcommands: [ListsImport.self, ListsStatus.self])
}

struct ListsImport: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Load list files as a new list version.")
    @OptionGroup var database: DatabaseOptions
    @Option(help: "ofac-sdn, csl, eu, uk, un, opensanctions, indicators or banks.") var source: String
    @Argument(help: "The list file(s).") var paths: [String]
    func run() throws {
        throw CLIError(code: .failure, message: "lists import is not available in this build yet")
    }
}

struct ListsStatus: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "List versions, entry counts and age.")
    @OptionGroup var database: DatabaseOptions
    func run() throws {
        throw CLIError(code: .failure, message: "lists status is not available in this build yet")
    }
}
