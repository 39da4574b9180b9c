// Benchmark of HoldoutUplift's boosted trees on the rows that
// Scripts/bench/uplift_learners_bench.py writes (1,000,000 × 13, binary outcome).
//
//     swift run -c release --package-path Scripts/bench/UpliftLearnersBench UpliftLearnersBench /tmp/uplift_bench.f64 [threads]
//     swift run -c release --package-path Scripts/bench/UpliftLearnersBench UpliftLearnersBench /tmp/uplift_bench.f64 [threads] scoring
//
// The second form fits every uplift learner (S, T, X, class transformation, transformed outcome;
// boosted trees with 100 trees of depth 6, and logistic/ridge) on the first 200,000 training rows
// and times `uplift(_:threads:)` on 5,000,000 rows (the held-out rows 25 times), best of 3.
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
let scoringMode = arguments.count > 3 && arguments[3] == "scoring"
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

if scoringMode {
    try scoringBenchmark()
    exit(0)
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

/// rows/s of every learner's `uplift(_:threads:)` on 5M rows.
func scoringBenchmark() throws {
    let fitRows = 200_000
    let f12 = (0..<12).map { "f\($0)" }
    let x = try FeatureMatrix(
        names: f12,
        columnMajor: Array(xTrain.values[0..<(12 * xTrain.rowCount)]).enumerated().compactMap { k, v in
            k % xTrain.rowCount < fitRows ? v : nil
        }, rowCount: fitRows)
    let treatment = Array(xTrain.column(12).prefix(fitRows)).map { $0 == 1 }
    let data = try UpliftTrainingData(features: x, treatment: treatment, outcome: Array(yTrain.prefix(fitRows)))
    let trees = GradientBoosting.Settings(iterations: 100, learningRate: 0.1, maxDepth: 6, maxLeafNodes: 31, minSamplesLeaf: 20, threads: threads)
    let classifier = BoostedTreesClassifier(settings: trees)
    let regressor = BoostedTreesRegressor(settings: trees)
    let test = try FeatureMatrix(
        names: f12, columnMajor: (0..<12).flatMap { j in Array(repeating: xTest.column(j), count: 25).flatMap { $0 } }, rowCount: 25 * testRows)
    let learners: [(String, () throws -> any UpliftModel)] = [
        ("S-learner, gbdt", { try SLearner(base: classifier).fit(data) }),
        ("T-learner, gbdt", { try TLearner(base: classifier).fit(data) }),
        ("X-learner, gbdt", { try XLearner(outcome: classifier, effect: regressor).fit(data) }),
        ("class transformation, gbdt", { try ClassTransformation(base: classifier).fit(data) }),
        ("transformed outcome, gbdt", { try TransformedOutcome(base: regressor).fit(data) }),
        ("S-learner, logistic", { try SLearner(base: LogisticRegression()).fit(data) }),
        ("T-learner, logistic", { try TLearner(base: LogisticRegression()).fit(data) }),
        ("X-learner, logistic + ridge", { try XLearner(outcome: LogisticRegression(), effect: RidgeRegression()).fit(data) }),
        ("class transformation, logistic", { try ClassTransformation(base: LogisticRegression()).fit(data) }),
        ("transformed outcome, ridge", { try TransformedOutcome(base: RidgeRegression()).fit(data) }),
    ]
    for (name, fit) in learners {
        let model = try fit()
        var best = Double.infinity
        var bestCPU = Double.infinity
        var checksum = 0.0
        for _ in 0..<3 {
            var scores = [Double]()
            let wall = try seconds { scores = try model.uplift(test, threads: threads) }
            best = min(best, wall)
            bestCPU = min(bestCPU, lastCPU)
            checksum = scores.reduce(0, +)
        }
        print(
            String(
                format: "HoldoutUplift %@ (threads %d): %.2f M rows/s (best of 3 on %d rows; CPU %.2f s, %.2f M rows per CPU second) checksum %.6f",
                name, threads, Double(test.rowCount) / best / 1e6, test.rowCount, bestCPU, Double(test.rowCount) / bestCPU / 1e6, checksum))
    }
}
