import ArgumentParser

/// `chokepoint-bench`: benchmarks that print figures (never unit tests).
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chokepoint-bench",
        abstract: "Benchmarks for Chokepoint; each prints one JSON line of figures.",
        subcommands: [ClaimCommand.self, MatchCommand.self, ParseCommand.self, FuzzCommand.self, RescreenCommand.self, LoadCommand.self, DrillCommand.self, ScreenPolicyCommand.self, ListScaleCommand.self, PoisonDaemonCommand.self])
}
