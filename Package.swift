// swift-tools-version: 6.1
import PackageDescription

/// One settings array for every target, so `public import` marks what is API.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Holdout",
    products: [
        .library(name: "HoldoutStats", targets: ["HoldoutStats"]),
        .executable(name: "holdout", targets: ["holdout"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics.git", from: "1.1.1"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // Pure statistics on sufficient statistics. No I/O, no dependencies.
        .target(
            name: "HoldoutStats",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "holdout",
            dependencies: [
                "HoldoutStats",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
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
            name: "holdoutTests",
            dependencies: ["holdout"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
