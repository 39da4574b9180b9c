// swift-tools-version: 6.2
import PackageDescription

// The boosted-trees benchmark of HoldoutUplift, outside the package graph users build. Reads
// the rows that ../uplift_learners_bench.py writes; see BENCHMARKS.md ("Uplift learners").
//
//     swift run -c release --package-path Scripts/bench/UpliftLearnersBench UpliftLearnersBench /tmp/uplift_bench.f64 2
let package = Package(
    name: "UpliftLearnersBench",
    dependencies: [.package(name: "Holdout", path: "../../..")],
    targets: [
        .executableTarget(
            name: "UpliftLearnersBench",
            dependencies: [.product(name: "HoldoutUplift", package: "Holdout")],
            path: "Sources",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility")]
        )
    ],
    swiftLanguageModes: [.v6]
)
