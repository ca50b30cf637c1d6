import ArgumentParser

/// `chokepoint`: the payment-screening daemon and its administration commands.
@main
struct Chokepoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chokepoint",
        abstract: "Screens payment messages held in PostgreSQL against sanctions lists and end-use indicators.",
        discussion: """
            Database connection: --database-url URL, else CHOKEPOINT_DATABASE_URL, else libpq's own \
            defaults (PGHOST, PGDATABASE, PGSERVICE, ~/.pgpass).

            Exit codes: 0 success, 1 failure, 3 database unreachable, 4 schema not migrated, 5 bad input file, 64 bad usage (EX_USAGE).
            """,
        subcommands: [Migrate.self, Lists.self, Run.self, Rescreen.self, Screen.self, Audit.self, ArchiveCommand.self, OperatorsConsole.self]
    )
}
