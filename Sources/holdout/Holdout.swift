import ArgumentParser

@main
struct Holdout: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holdout",
        abstract: "Holdout: experiments and incrementality, measured exactly.",
        discussion: """
            Plan an experiment with `holdout power`, compare arms from counts with `holdout stats compare`, \
            check the split with `holdout stats srm`, and analyse a unit-level CSV with `holdout stats analyze`. \
            Every command takes --json for scripting.
            """,
        subcommands: [PowerCommand.self, StatsCommand.self, BenchCommand.self])
}
