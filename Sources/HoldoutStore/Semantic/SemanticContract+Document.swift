extension SemanticContract {
    /// The whole contract as one value: `{tenancy, assets}` — what `holdout assets --json` prints
    /// and the MCP tool `describe_assets` returns.
    public struct Document: Sendable, Hashable, Encodable {
        public var tenancy: String
        public var assets: [Asset]
    }

    /// The contract as one document.
    public static var document: Document { Document(tenancy: tenancy, assets: assets) }

    /// The asset with this name (compared as bytes), nil when there is none.
    public static func asset(named name: String) -> Asset? {
        assets.first { $0.name.utf8.elementsEqual(name.utf8) }
    }
}
