// Times HoldoutUplift on a CSV `score,treatment,outcome` (header line, one row per unit):
// ranking (UpliftSample) plus every metric of UpliftMetrics.Report without bootstrap, best and
// median of --repeat runs, then one bootstrap run for scale. Prints the report's numbers so they
// can be compared with scikit-uplift's on the same rows.
//
//     swift build -c release --package-path Scripts/bench/uplift-metrics
//     Scripts/bench/uplift-metrics/.build/release/upliftbench /tmp/uplift_1m.csv [--repeat 7] [--bootstrap 20]
import Foundation
import HoldoutUplift

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

var arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, default value: Int, in arguments: inout [String]) -> Int {
    guard let i = arguments.firstIndex(of: name) else { return value }
    guard i + 1 < arguments.count, let parsed = Int(arguments[i + 1]) else { fail("\(name) needs an integer") }
    arguments.removeSubrange(i...(i + 1))
    return parsed
}
let repeats = option("--repeat", default: 7, in: &arguments)
let replicates = option("--bootstrap", default: 20, in: &arguments)
guard let path = arguments.first else { fail("usage: upliftbench FILE.csv [--repeat N] [--bootstrap N]") }
guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }

var scores: [Double] = []
var treatment: [Bool] = []
var outcomes: [Double] = []
for (number, line) in text.split(separator: "\n").enumerated().dropFirst() {
    let fields = line.split(separator: ",")
    guard fields.count == 3, let s = Double(fields[0]), let t = Double(fields[1]), let y = Double(fields[2]) else {
        fail("\(path):\(number + 1): expected score,treatment,outcome")
    }
    scores.append(s)
    treatment.append(t == 1)
    outcomes.append(y)
}

/// CPU time of this thread, in seconds (the machine may be shared: wall time includes waiting).
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

func seconds(_ start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}

var rankTimes: [Double] = []
var metricTimes: [Double] = []
var cpuTimes: [Double] = []
var report: UpliftMetrics.Report?
do {
    for _ in 0..<repeats {
        let start = ContinuousClock.now
        let cpuStart = cpuSeconds()
        let sample = try UpliftSample(scores: scores, treatment: treatment, outcomes: outcomes)
        let ranked = ContinuousClock.now
        report = try UpliftMetrics.Report(sample, k: .fraction(0.3), bins: 10)
        cpuTimes.append(cpuSeconds() - cpuStart)
        metricTimes.append(seconds(ranked))
        rankTimes.append(seconds(start) - metricTimes.last!)
    }
    let totals = zip(rankTimes, metricTimes).map { $0 + $1 }.sorted()
    func ms(_ x: Double) -> String { String(format: "%8.1f ms", x * 1000) }
    print("HoldoutUplift, \(scores.count) rows, \(repeats) runs")
    print("  rank (validate + radix sort + prefix sums)  best \(ms(rankTimes.min()!))")
    print("  every Report metric (no bootstrap)          best \(ms(metricTimes.min()!))")
    print("  total (wall)                                best \(ms(totals.first!))  median \(ms(totals[totals.count / 2]))")
    print("  total (CPU time of the thread)              best \(ms(cpuTimes.min()!))  median \(ms(cpuTimes.sorted()[cpuTimes.count / 2]))")
    let sample = try UpliftSample(scores: scores, treatment: treatment, outcomes: outcomes)
    let start = ContinuousClock.now
    _ = try UpliftMetrics.Report(sample, k: .fraction(0.3), bins: 10, bootstrap: .init(replicates: replicates, seed: 1))
    let elapsed = seconds(start)
    print("  Report with \(replicates) bootstrap replicates          \(ms(elapsed))  (\(ms(elapsed / Double(replicates))) per replicate)")
} catch {
    fail("error: \(error)")
}
let encoder = JSONEncoder()
encoder.outputFormatting = [.sortedKeys]
if let report, let data = try? encoder.encode(report) { print(String(decoding: data, as: UTF8.self)) }
