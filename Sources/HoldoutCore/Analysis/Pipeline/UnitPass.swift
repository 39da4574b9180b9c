import Foundation
import HoldoutCSV
import HoldoutModel
import HoldoutStats
import HoldoutStore
import HoldoutUplift
import Synchronization

/// One pass over an experiment's assigned units: per metric and arm, CUPED sums over every
/// unit, and a seeded sample (by unit, so the same data give the same sample) for the uplift
/// learners on the first metric, split into train and evaluation rows.
struct UnitPass: Sendable {
    /// Per metric, per arm (control, treatment): units, converters, Σx, Σx·y, Σx·xᵀ (y the 0/1
    /// outcome).
    var arms: [[VariantStatistics]]
    var sampleFeatures: [[Double]]
    var sampleTreatment: [Bool]
    var sampleOutcome: [Double]
    var sampleTrain: [Bool]
    /// The unit's row in its source when its id says it (`row-000000123` → 123, `v122` → 123):
    /// the line of a simulator's truth.csv; 0 when unknown.
    var sampleRow: [Int]
    var unitsRead: Int

    struct State {
        var arms: [[VariantStatistics]]
        var features: [[Double]]
        var treatment: [Bool] = []
        var outcome: [Double] = []
        var train: [Bool] = []
        var row: [Int] = []
        var unknownVariant = 0
        var missingFeatures = 0
    }

    /// - Parameter metrics: the metrics whose sums are kept; the first is the learners'.
    static func read(
        store: Store, experimentID: Int64, metrics: [String], control: String, treatment: String, featureCount k: Int, sampleRate: Double,
        trainFraction: Double, seed: UInt64
    ) async throws -> UnitPass {
        let empty = { (name: String) in
            VariantStatistics(
                variant: name, segment: nil, units: 0, converters: 0, sumValue: 0, sumValueSquares: 0, sumX: Array(repeating: 0, count: k),
                sumXY: Array(repeating: 0, count: k), sumXX: Array(repeating: Array(repeating: 0, count: k), count: k))
        }
        let state = Mutex(State(arms: metrics.map { _ in [empty(control), empty(treatment)] }, features: Array(repeating: [], count: k)))
        let (controlID, treatmentID) = (OpaqueID(control), OpaqueID(treatment))
        let read = try await store.forEachUnit(experimentID: experimentID, metrics: metrics) { unit in
            let id = OpaqueID(unit.variant)
            let arm = id == treatmentID ? 1 : id == controlID ? 0 : -1
            let hash = Self.hash(unit.profileID, seed: seed)
            let inSample = Double(hash >> 11) * 0x1p-53 < sampleRate
            let isTrain = Double(Self.mix(hash) >> 11) * 0x1p-53 < trainFraction
            state.withLock { s in
                guard arm >= 0 else {
                    s.unknownVariant += 1
                    return
                }
                guard let x = unit.features, x.count == k else {
                    s.missingFeatures += 1
                    return
                }
                for (m, converted) in unit.converted.enumerated() {
                    s.arms[m][arm].units += 1
                    if converted {
                        s.arms[m][arm].converters += 1
                        s.arms[m][arm].sumValue += 1
                        s.arms[m][arm].sumValueSquares += 1
                        for i in 0..<k { s.arms[m][arm].sumXY[i] += x[i] }
                    }
                    // Σx and Σxxᵀ are the same for every metric: computed once, copied below.
                    if m == 0 {
                        for i in 0..<k {
                            s.arms[0][arm].sumX[i] += x[i]
                            for j in i..<k { s.arms[0][arm].sumXX[i][j] += x[i] * x[j] }
                        }
                    }
                }
                let y = unit.converted.first == true ? 1.0 : 0.0
                if inSample {
                    for i in 0..<k { s.features[i].append(x[i]) }
                    s.treatment.append(arm == 1)
                    s.outcome.append(y)
                    s.train.append(isTrain)
                    s.row.append(Self.sourceRow(unit.profileID))
                }
            }
        }
        var s = state.withLock { $0 }
        for a in 0..<2 {
            for i in 0..<k { for j in 0..<i { s.arms[0][a].sumXX[i][j] = s.arms[0][a].sumXX[j][i] } }
            for m in s.arms.indices.dropFirst() {
                s.arms[m][a].sumX = s.arms[0][a].sumX
                s.arms[m][a].sumXX = s.arms[0][a].sumXX
            }
        }
        if s.missingFeatures > 0 {
            throw HoldoutError(
                .invalidInput,
                "\(s.missingFeatures) of \(read) assigned units have no packed features (or a different number of them); import every unit's features before analysing"
            )
        }
        return UnitPass(
            arms: s.arms, sampleFeatures: s.features, sampleTreatment: s.treatment, sampleOutcome: s.outcome, sampleTrain: s.train, sampleRow: s.row,
            unitsRead: read)
    }

    /// FNV-1a over the id's bytes, finished by a SplitMix64 step with the seed.
    static func hash(_ text: String, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return mix(h ^ seed)
    }

    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `row-000000123` (Criteo import) → 123; `v122` (simulator load, 0-based) → 123; else 0.
    static func sourceRow(_ id: String) -> Int {
        if id.hasPrefix("row-"), let n = Int(id.dropFirst(4)) { return n }
        if id.hasPrefix("v"), let n = Int(id.dropFirst(1)) { return n + 1 }
        return 0
    }

    func sampleRowNumbers() -> [Int] { sampleRow.enumerated().filter { !sampleTrain[$0.offset] }.map(\.element) }

    /// CUPED on every feature, for the metric at `metric` (an index into the metrics read).
    func cuped(metric: Int, covariates: [String], alpha: Double) throws -> AnalysisPipeline.CUPEDOutput {
        let (c, t) = (arms[metric][0], arms[metric][1])
        var settings = Analysis.Settings(metric: .mean, alpha: alpha)
        settings.isCUPED = true
        settings.covariateNames = covariates
        let result = try Analysis.compare(
            control: .init(c.mean, regression: try c.regression()), treatments: [.init(t.mean, regression: try t.regression())], settings: settings
        ).treatments[0]
        guard let adjustment = result.cuped else {
            throw HoldoutError(.invalidInput, "CUPED could not be fitted: \(result.comparison.reason ?? "the covariates are degenerate")")
        }
        let comparison = adjustment.comparison
        return AnalysisPipeline.CUPEDOutput(
            covariates: covariates, upliftAbs: comparison.upliftAbs, ciLow: comparison.ciLow, ciHigh: comparison.ciHigh, pValue: comparison.pValue,
            varianceReduction: adjustment.varianceReduction, theta: adjustment.theta, comparison: comparison)
    }

    /// Trains every learner on the train rows and evaluates it on the others.
    func uplift(
        settings: AnalysisPipeline.Settings, featureNames: [String], propensity: Double, truth: [Int: Double]?
    ) throws
        -> AnalysisPipeline
        .UpliftOutput
    {
        let trainRows = sampleTrain.indices.filter { sampleTrain[$0] }
        let testRows = sampleTrain.indices.filter { !sampleTrain[$0] }
        func matrix(_ rows: [Int]) throws -> FeatureMatrix {
            try FeatureMatrix(names: featureNames, columns: sampleFeatures.map { column in rows.map { column[$0] } })
        }
        let train = try UpliftTrainingData(
            features: try matrix(trainRows), treatment: trainRows.map { sampleTreatment[$0] }, outcome: trainRows.map { sampleOutcome[$0] })
        let testFeatures = try matrix(testRows)
        let testTreatment = testRows.map { sampleTreatment[$0] }
        let testOutcome = testRows.map { sampleOutcome[$0] }
        let trees = GradientBoosting.Settings(
            iterations: settings.trees, learningRate: settings.learningRate, maxDepth: settings.depth, minSamplesLeaf: settings.minLeaf, seed: settings.seed,
            threads: ProcessInfo.processInfo.activeProcessorCount)
        var learners: [String: AnalysisPipeline.UpliftOutput.Learner] = [:]
        var errors: [String: String] = [:]
        let clock = ContinuousClock()
        for choice in settings.learners {
            let start = clock.now
            do {
                let scores = try choice.fitAndScore(train, score: testFeatures, settings: trees, lambda: 1, propensity: propensity)
                let sample = try UpliftSample(scores: scores, treatment: testTreatment, outcomes: testOutcome)
                let report = try UpliftMetrics.Report(sample, k: .fraction(settings.k), bins: 10)
                var correlation: Double?
                if let truth {
                    let pairs = testRows.indices.compactMap { i in truth[sampleRow[testRows[i]]].map { (scores[i], $0) } }
                    if pairs.count == testRows.count { correlation = Self.pearson(pairs) }
                }
                let elapsed = clock.now - start
                learners[choice.description] = .init(
                    metrics: report, trueCATECorrelation: correlation, qiniCurve: Self.thin(UpliftMetrics.qiniCurve(sample)),
                    perfectQiniCurve: (try? UpliftMetrics.perfectQiniCurve(sample)).map { Self.thin($0) },
                    upliftCurve: Self.thin(UpliftMetrics.upliftCurve(sample)),
                    seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                    warning: Set(scores).count < 2
                        ? "every evaluation row has the same predicted uplift: the model does not rank (more trees or rows, or another learner)" : nil)
            } catch {
                errors[choice.description] = "\(error)"
            }
        }
        if learners.isEmpty {
            throw HoldoutError(
                .invalidInput, "no learner could be trained: " + errors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))
        }
        return .init(sampledUnits: sampleTrain.count, trainRows: trainRows.count, evaluationRows: testRows.count, learners: learners, errors: errors)
    }

    /// At most 201 points, evenly spaced by row, always with the ends (for charts and storage;
    /// the scores are computed on the full curve).
    static func thin(_ curve: Curve, points: Int = 201) -> Curve {
        let n = curve.x.count
        guard n > points else { return curve }
        var indices = (0..<points).map { Int((Double($0) * Double(n - 1) / Double(points - 1)).rounded()) }
        indices = Array(Set(indices)).sorted()
        return Curve(x: indices.map { curve.x[$0] }, y: indices.map { curve.y[$0] })
    }

    static func pearson(_ pairs: [(Double, Double)]) -> Double? {
        let n = Double(pairs.count)
        guard n > 2 else { return nil }
        let mx = pairs.reduce(0) { $0 + $1.0 } / n
        let my = pairs.reduce(0) { $0 + $1.1 } / n
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for (x, y) in pairs {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
            syy += (y - my) * (y - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }
}

/// A simulator's truth.csv: the `cate` of given data rows.
enum TruthFile {
    /// - Parameter rows: 1-based data rows wanted.
    /// - Throws: ``HoldoutError`` naming `truth` when the file cannot be read or has no `cate`.
    static func cate(path: String, rows: [Int]) throws -> [Int: Double] {
        let wanted = Set(rows)
        var found: [Int: Double] = [:]
        var column: Int?
        var row = 0
        do {
            try CSVScanner(path: path).forEachRecord { record in
                guard let index = column else {
                    column = (0..<record.count).first { record.validatedTrimmedString($0) == "cate" }
                    if column == nil {
                        throw HoldoutError(.invalidInput, "\(path) has no 'cate' column (a two-arm simulator truth.csv has one)", field: "truth")
                    }
                    return
                }
                row += 1
                if wanted.contains(row), let value = record.double(index) { found[row] = value }
            }
        } catch let error as HoldoutError {
            throw error
        } catch {
            throw HoldoutError(.invalidInput, "cannot read the truth file: \(error)", field: "truth")
        }
        return found
    }
}
