// swift-tools-version: 6.2
// Benchmark of HoldoutUplift's metrics on a CSV of scored rows, outside the package users build
// (Sources/HoldoutUplift here is a symlink to the real target). Run it through
// Scripts/reference/uplift_metrics_reference.py --bench, which times scikit-uplift and causalml
// on the same rows in the same run.
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "UpliftMetricsBench",
    targets: [
        .target(name: "HoldoutUplift", swiftSettings: swiftSettings),
        .executableTarget(name: "upliftbench", dependencies: ["HoldoutUplift"], swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
