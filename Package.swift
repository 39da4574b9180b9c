// swift-tools-version: 6.2
import PackageDescription

/// One settings array for every target, so `public import` marks what is API, and a warning in
/// our code fails the build (dependencies keep their own settings).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "Holdout",
    products: [
        .library(name: "HoldoutStats", targets: ["HoldoutStats"]),
        .library(name: "HoldoutModel", targets: ["HoldoutModel"]),
        .library(name: "HoldoutSimulation", targets: ["HoldoutSimulation"]),
        .library(name: "HoldoutGeo", targets: ["HoldoutGeo"]),
        .library(name: "HoldoutUplift", targets: ["HoldoutUplift"]),
        .library(name: "HoldoutSQLGuard", targets: ["HoldoutSQLGuard"]),
        .library(name: "HoldoutCharts", targets: ["HoldoutCharts"]),
        .library(name: "HoldoutStore", targets: ["HoldoutStore"]),
        .library(name: "HoldoutQuery", targets: ["HoldoutQuery"]),
        .library(name: "HoldoutCore", targets: ["HoldoutCore"]),
        .library(name: "HoldoutServer", targets: ["HoldoutServer"]),
        .library(name: "HoldoutMCP", targets: ["HoldoutMCP"]),
        .executable(name: "holdout", targets: ["holdout"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics.git", from: "1.1.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        // Gzip input (`holdout import criteo --file F.csv.gz`) as a stream, over the system zlib.
        .package(url: "https://github.com/adam-fowler/compress-nio.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // The Model Context Protocol (issue 14's `holdout mcp` and `POST /mcp`).
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
    ],
    targets: [
        // Pure statistics on sufficient statistics. No I/O, no dependencies.
        .target(
            name: "HoldoutStats",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: swiftSettings
        ),
        // CSV in one place: the streaming reader, plain-decimal parsing, field quoting and the
        // fixed-point byte writer (Foundation only).
        .target(
            name: "HoldoutCSV",
            swiftSettings: swiftSettings
        ),
        // The domain model, pure: experiments, variants and their validation, the status state
        // machine, timestamps, identifiers as bytes, analysis modes and validation statuses,
        // per-variant sufficient statistics, the deterministic assignment rule, the error shape.
        // No SQL, NIO or server import (SHA-256 from swift-crypto is a pure computation).
        .target(
            name: "HoldoutModel",
            dependencies: [
                "HoldoutStats",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Seeded potential-outcomes simulation (seed 004), pure, on top of Stats.
        .target(
            name: "HoldoutSimulation",
            dependencies: [
                "HoldoutStats",
                "HoldoutCSV",
                .product(name: "RealModule", package: "swift-numerics"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Geo experiment designs and analyses on geo × day panels (issue 13), pure, on top of Stats.
        .target(
            name: "HoldoutGeo",
            dependencies: ["HoldoutStats"],
            swiftSettings: swiftSettings
        ),
        // Uplift modelling, pure, no I/O: learners (logistic regression, histogram gradient
        // boosting, S/T/X-learners, class transformation, transformed outcome), evaluation metrics
        // (scikit-uplift and causalml conventions) and targeting-policy simulation.
        .target(
            name: "HoldoutUplift",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: swiftSettings
        ),
        // The SQL guard, pure: a per-dialect tokenizer and parser for the SELECT subset of SQLite
        // and PostgreSQL, and the allowlist rules that decide whether a query may read the
        // semantic views. No dependencies.
        .target(
            name: "HoldoutSQLGuard",
            swiftSettings: swiftSettings
        ),
        // Charts and reports, pure, no dependencies: SVG interval forests and line charts (nice
        // ticks, date axes, min/max-per-pixel downsampling), the self-contained HTML report and
        // Markdown tables. Used by `holdout analyze` and the web UI.
        .target(
            name: "HoldoutCharts",
            swiftSettings: swiftSettings
        ),
        // Schema, migrations, ingestion and the SQL that reduces events to sufficient statistics,
        // on embedded SQLite and PostgreSQL through one dialect-aware layer.
        .target(
            name: "HoldoutStore",
            dependencies: [
                "HoldoutModel",
                "HoldoutCSV",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "CompressNIO", package: "compress-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Debian's system SQLite (libsqlite3-dev 3.40), for the guarded runner's read-only
        // connection: progress handler, interrupt, limits (sqlite-nio's copy lacks them).
        .systemLibrary(name: "CHoldoutSQLite3", path: "Sources/CHoldoutSQLite3", providers: [.apt(["libsqlite3-dev"])]),
        // The guarded query runner (issue 14): guard, then the second wall (a read-only SQLite
        // connection under an authorizer, or a PostgreSQL reader role), limits, typed results.
        .target(
            name: "HoldoutQuery",
            dependencies: [
                "HoldoutModel",
                "HoldoutStore",
                "HoldoutSQLGuard",
                "CHoldoutSQLite3",
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                // The LLM planner of `holdout ask` (an OpenAI-compatible chat-completions client).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Domain services: deterministic assignment, results over a statistics source, the time
        // series, the nightly report, the streaming CSV analysis, the simulator → store loader.
        .target(
            name: "HoldoutCore",
            dependencies: [
                "HoldoutModel",
                "HoldoutCSV",
                "HoldoutStats",
                "HoldoutSimulation",
                "HoldoutGeo",
                "HoldoutUplift",
                "HoldoutCharts",
                "HoldoutStore",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The MCP server (issue 14): tools and resources over one store and one tenant, every SQL
        // path through the guarded runner. Transport-agnostic (stdio in the CLI, HTTP in the server).
        .target(
            name: "HoldoutMCP",
            dependencies: [
                "HoldoutModel",
                "HoldoutStore",
                "HoldoutCore",
                "HoldoutQuery",
                "HoldoutSQLGuard",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP API (seed 001's endpoints), auth, webhooks and the nightly report job.
        .target(
            name: "HoldoutServer",
            dependencies: [
                "HoldoutModel",
                "HoldoutStats",
                "HoldoutStore",
                "HoldoutCore",
                "HoldoutGeo",
                "HoldoutQuery",
                "HoldoutMCP",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "holdout",
            dependencies: [
                "HoldoutServer",
                "HoldoutCSV",
                "HoldoutModel",
                "HoldoutStats",
                "HoldoutSimulation",
                "HoldoutGeo",
                "HoldoutStore",
                "HoldoutCore",
                "HoldoutUplift",
                "HoldoutSQLGuard",
                "HoldoutQuery",
                "HoldoutMCP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutStatsTests",
            dependencies: [
                "HoldoutStats",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutUpliftTests",
            dependencies: ["HoldoutUplift"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutChartsTests",
            dependencies: ["HoldoutCharts"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutModelTests",
            dependencies: ["HoldoutModel"],
            swiftSettings: swiftSettings
        ),
        // Domain services on in-memory sufficient statistics (no database).
        .testTarget(
            name: "HoldoutCoreTests",
            dependencies: ["HoldoutCore", "HoldoutModel", "HoldoutStats", "HoldoutGeo"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutSQLGuardTests",
            dependencies: ["HoldoutSQLGuard"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutSimulationTests",
            dependencies: ["HoldoutSimulation", "HoldoutStats"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutGeoTests",
            dependencies: ["HoldoutGeo", "HoldoutStats"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        // Fresh databases on every engine under test, for the test suites.
        .target(
            name: "HoldoutTestSupport",
            dependencies: ["HoldoutModel", "HoldoutStore"],
            path: "Tests/HoldoutTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutStoreTests",
            dependencies: [
                "HoldoutCSV", "HoldoutModel", "HoldoutStore", "HoldoutCore", "HoldoutSimulation", "HoldoutGeo", "HoldoutUplift", "HoldoutTestSupport",
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutServerTests",
            dependencies: [
                "HoldoutServer", "HoldoutModel", "HoldoutStore", "HoldoutCore", "HoldoutStats", "HoldoutQuery", "HoldoutTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "HoldoutQueryTests",
            dependencies: [
                "HoldoutQuery", "HoldoutStore", "HoldoutModel", "HoldoutCore", "HoldoutStats", "HoldoutSQLGuard", "HoldoutTestSupport",
                .product(name: "SQLKit", package: "sql-kit"),
                // The fake OpenAI-compatible endpoint on 127.0.0.1 for the LLM planner's tests.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The MCP server through the SDK's in-memory client, on every engine under test.
        .testTarget(
            name: "HoldoutMCPTests",
            dependencies: [
                "HoldoutMCP", "HoldoutQuery", "HoldoutStore", "HoldoutModel", "HoldoutCore", "HoldoutSQLGuard", "HoldoutTestSupport",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "holdoutTests",
            dependencies: [
                "holdout", "HoldoutModel", "HoldoutStore", "HoldoutStats", "HoldoutCore", "HoldoutGeo",
                // A fake OpenAI-compatible endpoint on 127.0.0.1 for `holdout ask`.
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
