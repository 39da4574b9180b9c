import ArgumentParser
import HoldoutStore

struct AssetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assets",
        abstract: "Print the semantic contract: the views a query may read, their grain, keys and columns.",
        discussion: """
            The same definition fills the view dim_ai_allowed_assets. docs/semantic-layer.md.

            Examples:
              holdout assets
              holdout assets --json
            """)

    @Flag(help: "Print one JSON object: {tenancy, assets: [{asset_name, grain, primary_keys, description, columns}]}.")
    var json = false

    struct Report: Encodable {
        var tenancy: String
        var assets: [SemanticContract.Asset]
    }

    func run() throws {
        if json {
            try Output.json(Report(tenancy: SemanticContract.tenancy, assets: SemanticContract.assets))
            return
        }
        for asset in SemanticContract.assets {
            print("\(asset.name) — one row per \(asset.grain); key (\(asset.primaryKeys.joined(separator: ", ")))")
            print("  \(asset.description)")
            print(
                Output.table(header: ["column", "type", "description"], rows: asset.columns.map { [$0.name, $0.type, $0.description] }).split(separator: "\n")
                    .map { "  " + $0 }.joined(separator: "\n"))
            print()
        }
        print(SemanticContract.tenancy)
    }
}
