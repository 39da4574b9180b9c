// Writes an example decision report with every chart kind, for validate_example.sh.
// Usage: ExampleReport OUT_DIR → OUT_DIR/report.html, OUT_DIR/report.md and one .svg per chart.
import Foundation
import HoldoutCharts

let out = URL(fileURLWithPath: CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : ".")

// A seeded LCG, so the example is the same on every run.
struct LCG {
    var state: UInt64 = 2026
    mutating func uniform() -> Double {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Double(state >> 11) / Double(1 << 53)
    }
}
var random = LCG()

let forest = ForestChart(
    title: "Relative lift by metric <ITT> & \"exposure\"",
    rows: [
        .init(label: "conversion", estimate: 0.031, low: 0.012, high: 0.050),
        .init(label: "visit", estimate: 0.004, low: -0.006, high: 0.014),
        .init(label: "revenue per user (CUPED)", estimate: 0.021, low: -0.003, high: 0.045),
        .init(label: "café ✓ <script>", estimate: -0.012, note: "no interval: 3 conversions"),
        .init(label: "exposure", estimate: nil),
    ], format: .percent(digits: 1), axisLabel: "relative lift, 95% interval")

let start = Double(CivilDate(year: 2026, month: 10, day: 1).daysSinceEpoch)
var lift: [LineChart.Point] = []
var band: [LineChart.BandPoint] = []
for day in 0..<45 {
    let estimate = 0.03 + 0.02 * (random.uniform() - 0.5) / Double(day + 1).squareRoot()
    let halfWidth = 0.08 / Double(day + 1).squareRoot()
    lift.append(.init(x: start + Double(day), y: estimate))
    band.append(.init(x: start + Double(day), low: estimate - halfWidth, high: estimate + halfWidth))
}
let cumulative = LineChart(
    title: "Cumulative relative lift, conversion", series: [.init(name: "relative lift", points: lift, band: band)],
    xAxis: .init(label: "day", format: .date), yAxis: .init(label: "relative lift", format: .percent(digits: 1)))

// Qini curves over 1,000,000 ranked units: model, random and perfect.
let n = 1_000_000
var model: [Double] = []
var perfect: [Double] = []
model.reserveCapacity(n + 1)
var gain = 0.0
for index in 0...n {
    let share = Double(index) / Double(n)
    model.append(gain)
    perfect.append(min(share * 4, 1) * 2_400)
    gain += 0.0024 * (1.6 - 1.2 * share) + 0.004 * (random.uniform() - 0.5)
}
let units = (0...n).map(Double.init)
let qini = LineChart(
    title: "Qini curves on the held-out 30%",
    series: [
        .init(name: "S-learner (GBDT)", x: units, y: model),
        .init(name: "random", x: [0, Double(n)], y: [0, model[n]], stroke: .dashed, color: 6),
        .init(name: "perfect", x: units, y: perfect, stroke: .dotted),
    ], xAxis: .init(label: "units targeted", format: .number(digits: 0)),
    yAxis: .init(label: "incremental conversions", format: .number(digits: 0)))

let shares = (0...100).map { Double($0) / 100 }
let policy = LineChart(
    title: "Policy gain: target the top k%",
    series: [
        .init(name: "by predicted uplift", x: shares, y: shares.map { 2_000 * (1 - (1 - $0) * (1 - $0)) }),
        .init(name: "random targeting", x: shares, y: shares.map { 2_000 * $0 }, stroke: .dashed, color: 6),
    ], xAxis: .init(label: "share targeted", format: .percent(digits: 0)),
    yAxis: .init(label: "incremental conversions", format: .number(digits: 0)), markers: [.init(x: 0.3, label: "top 30%")])

let stages: [(String, HTMLReport.Status, String)] = [
    ("load", .ok, "13,979,592 rows"), ("srm", .ok, "p = 0.41"), ("ab", .ok, ""), ("cuped", .ok, "θ = 0.83"),
    ("uplift", .ok, ""), ("policy", .ok, ""), ("decision", .ok, "ship"), ("report", .skipped, "unchanged inputs"),
]
let report = HTMLReport(
    title: "Decision report: criteo-like <demo> & co",
    summary: "Ship: conversion +3.1% [1.2%, 5.0%], no sample-ratio mismatch.",
    sections: [
        .init(
            heading: "Stages",
            blocks: [
                .table(.init(header: ["stage", "status", "note"], rows: stages.map { [.text($0.0), .status($0.1), .text($0.2)] })),
                .status(.halted, "An example of a halted stage line."),
            ]),
        .init(heading: "Effects", blocks: [.chart(forest, caption: "Point estimates with 95% intervals."), .chart(cumulative, caption: nil)]),
        .init(heading: "Uplift", blocks: [.chart(qini, caption: "1,000,001 points per curve, drawn downsampled."), .chart(policy, caption: nil)]),
        .init(heading: "Reproduce", blocks: [.preformatted("holdout analyze --experiment criteo-like --out reports/")]),
    ], footer: "Example written by Scripts/charts/ExampleReport.swift")

let markdown = "# Decision report\n\n" + MarkdownTable(header: ["stage", "status", "note"], rows: stages.map { [$0.0, $0.1.rawValue, $0.2] }).render()

try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
try report.render().write(to: out.appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
try markdown.write(to: out.appendingPathComponent("report.md"), atomically: true, encoding: .utf8)
for (name, chart) in [("forest", forest as any Chart), ("cumulative", cumulative), ("qini", qini), ("policy", policy)] {
    try chart.svg.write(to: out.appendingPathComponent("\(name).svg"), atomically: true, encoding: .utf8)
}
