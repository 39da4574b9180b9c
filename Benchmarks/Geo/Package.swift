// swift-tools-version: 6.2
// Geo benchmarks, outside the graph users build (as swift-nio keeps `Benchmarks/`):
//   swift run -c release --package-path Benchmarks/Geo geo-bench
//   swift run -c release --package-path Benchmarks/Geo geo-power-bench
import PackageDescription

let package = Package(
    name: "GeoBenchmarks",
    dependencies: [.package(name: "Holdout", path: "../..")],
    targets: [
        .executableTarget(
            name: "geo-bench",
            dependencies: [.product(name: "HoldoutGeo", package: "Holdout")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
                .treatAllWarnings(as: .error),
            ]
        ),
        .executableTarget(
            name: "geo-power-bench",
            dependencies: [.product(name: "HoldoutGeo", package: "Holdout")],
            swiftSettings: [
                .enableUpcomingFeature("ExistentialAny"),
                .enableUpcomingFeature("MemberImportVisibility"),
                .enableUpcomingFeature("InternalImportsByDefault"),
                .treatAllWarnings(as: .error),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
