import ArgumentParser

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Statistics from counts or a unit-level file: compare arms, check the split, analyse a CSV.",
        subcommands: [CompareCommand.self, SRMCommand.self, AnalyzeCommand.self])
}
