// Benchmark of HoldoutUplift's boosted trees on the rows that
// Scripts/bench/uplift_learners_bench.py writes (1,000,000 × 13, binary outcome).
//
//     swift run -c release --package-path Scripts/bench/UpliftLearnersBench UpliftLearnersBench /tmp/uplift_bench.f64 [threads]
import Foundation
import HoldoutUplift

let arguments = CommandLine.arguments
let path = arguments.count > 1 ? arguments[1] : "/tmp/uplift_bench.f64"
let threads = arguments.count > 2 ? Int(arguments[2]) ?? 2 : 2
let data = try Data(contentsOf: URL(fileURLWithPath: path))
let header = data.withUnsafeBytes { raw in (Int(raw.load(fromByteOffset: 0, as: Int64.self)), Int(raw.load(fromByteOffset: 8, as: Int64.self))) }
let doubles: [Double] = {
    var out = [Double](repeating: 0, count: (data.count - 16) / 8)
    out.withUnsafeMutableBytes { out in data.withUnsafeBytes { raw in out.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[16...])) } }
    return out + [Double(header.0), Double(header.1)]
}()
let trainRows = Int(doubles[doubles.count - 2])
let testRows = Int(doubles[doubles.count - 1])
let names = (0..<12).map { "f\($0)" } + ["treatment"]
func split(_ offset: Int, _ rows: Int) throws -> (FeatureMatrix, [Double]) {
    let x = Array(doubles[offset..<(offset + 13 * rows)])
    let y = Array(doubles[(offset + 13 * rows)..<(offset + 14 * rows)])
    return (try FeatureMatrix(names: names, columnMajor: x, rowCount: rows), y)
}
let (xTrain, yTrain) = try split(0, trainRows)
let (xTest, yTest) = try split(14 * trainRows, testRows)

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
nonisolated(unsafe) var lastCPU = 0.0
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    let cpu = cpuSeconds()
    try body()
    lastCPU = cpuSeconds() - cpu
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

let settings = GradientBoosting.Settings(
    iterations: 100, learningRate: 0.1, maxDepth: 6, maxLeafNodes: 31, minSamplesLeaf: 20, l2: 0, maxBins: 255, threads: threads)
var model: GradientBoosting.Model? = nil
let fit = try seconds { model = try GradientBoosting.fit(xTrain, targets: yTrain, loss: .logLoss, settings: settings) }
let fitCPU = lastCPU
let scoreRows = try FeatureMatrix(
    names: names,
    columnMajor: (0..<13).flatMap { j in Array(repeating: xTest.column(j), count: 25).flatMap { $0 } }, rowCount: 25 * testRows)
var probabilities = [Double]()
let scoring = try seconds { probabilities = try model!.probabilities(scoreRows) }
let scoringCPU = lastCPU
var loss = 0.0
for i in 0..<testRows {
    let p = min(max(probabilities[i], 1e-15), 1 - 1e-15)
    loss -= yTest[i] * log(p) + (1 - yTest[i]) * log(1 - p)
}
print(
    String(
        format: "HoldoutUplift GradientBoosting (threads %d): fit %.2f s (CPU %.2f s), scoring %.2f M rows/s (CPU %.2f s for %d rows), held-out log-loss %.6f",
        threads, fit, fitCPU, Double(scoreRows.rowCount) / scoring / 1e6, scoringCPU, scoreRows.rowCount, loss / Double(testRows)))
