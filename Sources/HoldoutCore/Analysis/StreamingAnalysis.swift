import Foundation
import HoldoutCSV
public import HoldoutModel
public import HoldoutStats

/// Reduces a unit-level CSV (one row per unit) to per-arm sufficient statistics in one pass and
/// constant memory, then compares every arm with control (``Analysis/compare(control:treatments:settings:)``,
/// the one settings → test mapping). What `holdout stats analyze` and `holdout bench analyze` run.
///
/// ```swift
/// let report = try StreamingAnalysis.run(.init(path: "units.csv", armColumn: "arm", control: "control", metric: "revenue"))
/// ```
public struct StreamingAnalysis {
    public enum MetricType: String, Sendable, Codable, CaseIterable {
        case proportion, mean
    }

    public struct Configuration {
        public var path: String
        public var armColumn: String
        public var control: String
        public var metric: String
        /// Detected from the values when nil (0/1 only: proportion).
        public var metricType: MetricType?
        /// Pre-experiment covariate columns for CUPED.
        public var covariates: [String]
        public var options: TestOptions
        /// Called about once a second with the rows read so far.
        public var progress: ((Int) -> Void)?

        public init(
            path: String, armColumn: String, control: String, metric: String, metricType: MetricType? = nil, covariates: [String] = [],
            options: TestOptions = .standard, progress: ((Int) -> Void)? = nil
        ) {
            self.path = path
            self.armColumn = armColumn
            self.control = control
            self.metric = metric
            self.metricType = metricType
            self.covariates = covariates
            self.options = options
            self.progress = progress
        }
    }

    /// Per-arm accumulators.
    struct Arm {
        var name: String
        var outcome = MeanStatistic()
        var regression: RegressionStatistic?
        var isBinary = true
    }

    /// The analysis of one arm against control.
    public struct ArmResult: Sendable, Encodable {
        public var arm: String
        public var comparison: Comparison
        public var cuped: RegressionAdjustment.Result?
        public var pValueHolm: Double?
        public var pValueBH: Double?

        enum CodingKeys: String, CodingKey {
            case arm, cuped
            case pValueHolm = "p_value_holm"
            case pValueBH = "p_value_bh"
        }

        public func encode(to encoder: any Encoder) throws {
            try comparison.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(arm, forKey: .arm)
            try c.encode(pValueHolm, forKey: .pValueHolm)
            try c.encode(pValueBH, forKey: .pValueBH)
            if let cuped {
                try c.encode(CupedSummary(cuped), forKey: .cuped)
            }
        }
    }

    /// The `cuped` object: the adjusted lift and how much variance the covariates removed.
    ///
    /// `stats analyze`'s own flat shape, kept so its JSON does not change; `holdout results` and
    /// `Analysis.Result` write ``RegressionAdjustment/Result``'s (`comparison`, `theta`,
    /// `variance_reduction`). One of the two has to change to have one shape.
    public struct CupedSummary: Sendable, Encodable {
        public var uplift_abs: Double?
        public var uplift_rel: Double?
        public var ci_low: Double?
        public var ci_high: Double?
        public var p_value: Double?
        public var std_error: Double?
        public var variance_reduction: Double
        public var theta: [Double]
        public var insufficient_data: Bool
        public var reason: String?

        init(_ result: RegressionAdjustment.Result) {
            let c = result.comparison
            uplift_abs = c.upliftAbs
            uplift_rel = c.upliftRel
            ci_low = c.ciLow
            ci_high = c.ciHigh
            p_value = c.pValue
            std_error = c.standardError
            variance_reduction = result.varianceReduction
            theta = result.theta
            insufficient_data = c.insufficientData
            reason = c.reason
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(uplift_abs, forKey: .uplift_abs)
            try c.encode(uplift_rel, forKey: .uplift_rel)
            try c.encode(ci_low, forKey: .ci_low)
            try c.encode(ci_high, forKey: .ci_high)
            try c.encode(p_value, forKey: .p_value)
            try c.encode(std_error, forKey: .std_error)
            try c.encode(variance_reduction, forKey: .variance_reduction)
            try c.encode(theta, forKey: .theta)
            try c.encode(insufficient_data, forKey: .insufficient_data)
            try c.encode(reason, forKey: .reason)
        }

        enum Keys: String, CodingKey {
            case uplift_abs, uplift_rel, ci_low, ci_high, p_value, std_error, variance_reduction, theta,
                insufficient_data, reason
        }
    }

    public struct ArmSummary: Sendable, Encodable {
        public var arm: String
        public var n: Int
        public var mean: Double
    }

    /// The whole analysis.
    public struct Report: Sendable, Encodable {
        public var file: String
        public var rows: Int
        public var metric: String
        public var metricType: MetricType
        public var control: String
        public var covariates: [String]
        public var alpha: Double
        public var arms: [ArmSummary]
        public var comparisons: [ArmResult]

        enum CodingKeys: String, CodingKey {
            case file, rows, metric, control, covariates, alpha, arms, comparisons
            case metricType = "metric_type"
        }

        /// With exactly one treatment arm its comparison is also flattened to the top level, so
        /// `jq .uplift_abs` works as for `stats compare`.
        public func encode(to encoder: any Encoder) throws {
            if comparisons.count == 1 { try comparisons[0].encode(to: encoder) }
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(file, forKey: .file)
            try c.encode(rows, forKey: .rows)
            try c.encode(metric, forKey: .metric)
            try c.encode(metricType, forKey: .metricType)
            try c.encode(control, forKey: .control)
            try c.encode(covariates, forKey: .covariates)
            try c.encode(alpha, forKey: .alpha)
            try c.encode(arms, forKey: .arms)
            try c.encode(comparisons, forKey: .comparisons)
        }
    }

    /// The most distinct arm values (more means the arm column is probably not one).
    public static let maximumArms = 64

    /// Reads the file and computes the report.
    ///
    /// - Throws: ``HoldoutError`` (`invalid_input`) naming the option (`arm_column`, `metric`,
    ///   `covariates`, `control`) or the line and column of a bad value; StatsError's message
    ///   for an analysis the statistics refuse.
    public static func run(_ config: Configuration) throws(HoldoutError) -> Report {
        let scanner = CSVScanner(path: config.path)
        var metricIndex = -1
        var armIndex = -1
        var covariateIndices: [Int] = []
        var arms: [Arm] = []
        var armBytes: [[UInt8]] = []
        var lastArm = -1
        var rows = 0
        var header = true
        var requiredFields = 0
        let k = config.covariates.count
        var x = [Double](repeating: 0, count: max(k, 1))
        let clock = ContinuousClock()
        var nextProgress = clock.now + .seconds(1)

        do {
            try scanner.forEachRecord { record in
                if header {
                    header = false
                    let names = (0..<record.count).map { record.string($0).trimmingCharacters(in: .whitespaces) }
                    func index(of column: String, option: String) throws(HoldoutError) -> Int {
                        guard let i = names.firstIndex(of: column) else {
                            throw HoldoutError(
                                .invalidInput,
                                "\(option): column '\(column)' is not in the header of \(config.path) (columns: \(names.joined(separator: ", ")))",
                                field: option)
                        }
                        return i
                    }
                    armIndex = try index(of: config.armColumn, option: "--arm-column")
                    metricIndex = try index(of: config.metric, option: "--metric")
                    for covariate in config.covariates {
                        covariateIndices.append(try index(of: covariate, option: "--covariates"))
                    }
                    requiredFields = ([armIndex, metricIndex] + covariateIndices).max()! + 1
                    return
                }
                rows += 1
                guard record.count >= requiredFields else {
                    throw HoldoutError(.invalidInput, "line \(record.line): expected at least \(requiredFields) columns, found \(record.count)")
                }
                // Find the arm: the same as the previous row's in most files.
                let armField = record.bytes(armIndex)
                var arm = lastArm
                if arm < 0 || !armBytes[arm].elementsEqual(armField) {
                    arm = armBytes.firstIndex { $0.elementsEqual(armField) } ?? -1
                    if arm < 0 {
                        let name = record.string(armIndex)
                        if name.isEmpty {
                            throw HoldoutError(.invalidInput, "line \(record.line), column '\(config.armColumn)': empty arm value")
                        }
                        guard arms.count < maximumArms else {
                            throw HoldoutError(
                                .invalidInput,
                                "column '\(config.armColumn)' has more than \(maximumArms) distinct values; is it the arm column?")
                        }
                        armBytes.append(Array(armField))
                        var newArm = Arm(name: name)
                        if k > 0 { newArm.regression = RegressionStatistic(covariateCount: k) }
                        arms.append(newArm)
                        arm = arms.count - 1
                    }
                    lastArm = arm
                }
                guard let y = record.double(metricIndex) else {
                    let text = record.string(metricIndex)
                    throw HoldoutError(
                        .invalidInput,
                        "line \(record.line), column '\(config.metric)': "
                            + (text.isEmpty ? "empty value" : "'\(text)' is not a finite number"))
                }
                for j in 0..<k {
                    guard let value = record.double(covariateIndices[j]) else {
                        let text = record.string(covariateIndices[j])
                        throw HoldoutError(
                            .invalidInput,
                            "line \(record.line), column '\(config.covariates[j])': "
                                + (text.isEmpty ? "empty value" : "'\(text)' is not a finite number"))
                    }
                    x[j] = value
                }
                arms[arm].outcome.add(y)
                if y != 0 && y != 1 { arms[arm].isBinary = false }
                if k > 0 {
                    x.withUnsafeBufferPointer { arms[arm].regression!.add(y: y, x: $0) }
                }
                if let progress = config.progress, rows & 0xFFFF == 0, clock.now >= nextProgress {
                    progress(rows)
                    nextProgress = clock.now + .seconds(1)
                }
            }
        } catch let error as HoldoutError {
            throw error
        } catch {
            throw HoldoutError(.invalidInput, "\(error)", field: "csv", cause: error)
        }
        if header { throw HoldoutError(.invalidInput, "\(config.path) is empty: expected a header row") }
        guard let controlIndex = arms.firstIndex(where: { $0.name == config.control }) else {
            throw HoldoutError(
                .invalidInput, "--control: no row has \(config.armColumn) = '\(config.control)' (values seen: \(arms.map(\.name).joined(separator: ", ")))",
                field: "--control")
        }
        guard arms.count >= 2 else {
            throw HoldoutError(.invalidInput, "only one arm ('\(config.control)') in column '\(config.armColumn)'; nothing to compare")
        }
        let isBinary = arms.allSatisfy(\.isBinary)
        let metricType = config.metricType ?? (isBinary ? .proportion : .mean)
        if metricType == .proportion && !isBinary {
            throw HoldoutError(.invalidInput, "--metric-type proportion: column '\(config.metric)' has values other than 0 and 1", field: "--metric-type")
        }
        let treatments = arms.indices.filter { $0 != controlIndex }.map { arms[$0] }
        func analysisArm(_ arm: Arm) -> Analysis.Arm {
            switch metricType {
            case .proportion: Analysis.Arm(ProportionStatistic(n: arm.outcome.n, conversions: Int(arm.outcome.sum)), regression: arm.regression)
            case .mean: Analysis.Arm(arm.outcome, regression: arm.regression)
            }
        }
        let settings = Analysis.Settings(
            metric: metricType == .proportion ? .proportion : .mean, alternative: config.options.alternative, alpha: config.options.alpha,
            isCUPED: k > 0, covariateNames: config.covariates)
        let analysis: Analysis.Result
        do {
            analysis = try Analysis.compare(control: analysisArm(arms[controlIndex]), treatments: treatments.map(analysisArm), settings: settings)
        } catch {
            let message = error.field.map { error.message.hasPrefix($0) ? error.message : "\($0): \(error.message)" } ?? error.message
            throw HoldoutError(.invalidInput, message, field: error.field, cause: error)
        }
        let results = zip(treatments, analysis.treatments).map { arm, result in
            ArmResult(arm: arm.name, comparison: result.comparison, cuped: result.cuped, pValueHolm: result.pValueHolm, pValueBH: result.pValueBH)
        }
        return Report(
            file: config.path, rows: rows, metric: config.metric, metricType: metricType, control: config.control,
            covariates: config.covariates, alpha: config.options.alpha,
            arms: arms.map { ArmSummary(arm: $0.name, n: $0.outcome.n, mean: $0.outcome.mean) }, comparisons: results)
    }
}
