// swift-tools-version: 6.2
// Benchmark of HoldoutUplift's metrics on a CSV of scored rows, outside the package users build
// (it depends on the root package by path and compiles only HoldoutUplift). Run it through
// Scripts/reference/uplift_metrics_reference.py --bench, which times scikit-uplift and causalml
// on the same rows in the same run.
import PackageDescription

let package = Package(
    name: "UpliftMetricsBench",
    dependencies: [.package(name: "Holdout", path: "../../..")],
    targets: [
        .executableTarget(
            name: "upliftbench",
            dependencies: [.product(name: "HoldoutUplift", package: "Holdout")],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility")]
        )
    ],
    swiftLanguageModes: [.v6]
)
