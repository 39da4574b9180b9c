import Foundation
import HoldoutUplift
import Testing

/// The learners' reference data: `Fixtures/uplift_learners.csv` and the scikit-learn results in
/// `Fixtures/uplift_learners.json`, both written by `Scripts/reference/uplift_learners_reference.py`.
struct LearnersFixture {
    struct Reference: Decodable {
        struct Logistic: Decodable {
            let C: Double
            let lambda: Double
            let intercept: Double
            let coefficients: [Double]
        }
        struct Classifier: Decodable {
            let test_log_loss: Double
            let test_probabilities: [Double]
        }
        struct RegressorResult: Decodable { let test_mse: Double }
        struct SLearner: Decodable {
            let test_uplift: [Double]
            let test_qini_auc: Double
            let true_cate_qini_auc: Double
            let correlation_with_true_cate: Double
        }
        let features: [String]
        let train_rows: Int
        let logistic: Logistic
        let gbdt_classifier: Classifier
        let gbdt_regressor: RegressorResult
        let s_learner: SLearner
    }

    /// The 12 features f0…f11.
    static let featureNames = (0..<12).map { "f\($0)" }

    let columns: [String: [Double]]
    let reference: Reference
    let rowCount: Int

    static let shared: Result<LearnersFixture, any Error> = Result { try LearnersFixture() }

    static func load() throws -> LearnersFixture { try shared.get() }

    private init() throws {
        let csvURL = try #require(Bundle.module.url(forResource: "uplift_learners", withExtension: "csv", subdirectory: "Fixtures"))
        let jsonURL = try #require(Bundle.module.url(forResource: "uplift_learners", withExtension: "json", subdirectory: "Fixtures"))
        let lines = try String(contentsOf: csvURL, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",").map(String.init)
        var columns = [[Double]](repeating: [], count: header.count)
        for line in lines.dropFirst() {
            for (j, field) in line.split(separator: ",").enumerated() { columns[j].append(try #require(Double(field))) }
        }
        self.columns = Dictionary(uniqueKeysWithValues: zip(header, columns))
        rowCount = lines.count - 1
        reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: jsonURL))
    }

    var trainRows: Range<Int> { 0..<reference.train_rows }
    var testRows: Range<Int> { reference.train_rows..<rowCount }

    func column(_ name: String, _ rows: Range<Int>) -> [Double] { Array(columns[name]![rows]) }

    /// f0…f11 (and `treatment` when asked) on `rows`.
    func features(_ rows: Range<Int>, withTreatment: Bool) throws -> FeatureMatrix {
        let names = Self.featureNames + (withTreatment ? ["treatment"] : [])
        return try FeatureMatrix(names: names, columns: names.map { column($0, rows) })
    }

    func uplift(_ rows: Range<Int>) throws -> UpliftTrainingData {
        try UpliftTrainingData(
            features: features(rows, withTreatment: false), treatment: column("treatment", rows).map { $0 == 1 },
            outcome: column("conversion", rows))
    }
}

/// Small statistics for the checks.
enum LearnersCheck {
    static func logLoss(_ p: [Double], _ y: [Double]) -> Double {
        zip(p, y).map { p, y in -(y * log(max(p, 1e-15)) + (1 - y) * log(max(1 - p, 1e-15))) }.reduce(0, +) / Double(p.count)
    }

    static func meanSquaredError(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / Double(a.count)
    }

    static func correlation(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0, +) / n
        let mb = b.reduce(0, +) / n
        var sab = 0.0
        var saa = 0.0
        var sbb = 0.0
        for i in a.indices {
            sab += (a[i] - ma) * (b[i] - mb)
            saa += (a[i] - ma) * (a[i] - ma)
            sbb += (b[i] - mb) * (b[i] - mb)
        }
        return sab / (saa * sbb).squareRoot()
    }

    /// Mean of `truth` over the rows with the top `share` of `score`.
    static func topMean(_ score: [Double], _ truth: [Double], share: Double) -> Double {
        let order = score.indices.sorted { score[$0] > score[$1] }
        let k = Int(Double(score.count) * share)
        return order.prefix(k).map { truth[$0] }.reduce(0, +) / Double(k)
    }

    /// scikit-uplift 0.5.1's `qini_auc_score` (negative effects allowed): the area between the
    /// Qini curve and the random line, over the same area for the perfect ranking. Ties in the
    /// score share one point of the curve, as in scikit-uplift.
    static func qiniAUC(_ y: [Double], _ score: [Double], _ treated: [Bool]) -> Double {
        func curve(_ score: [Double]) -> [(x: Double, y: Double)] {
            let order = score.indices.sorted { score[$0] > score[$1] || (score[$0] == score[$1] && $0 > $1) }
            var points = [(x: 0.0, y: 0.0)]
            var (nt, nc, yt, yc) = (0.0, 0.0, 0.0, 0.0)
            for (k, i) in order.enumerated() {
                if treated[i] {
                    nt += 1
                    yt += y[i]
                } else {
                    nc += 1
                    yc += y[i]
                }
                if k == order.count - 1 || score[order[k + 1]] != score[i] {
                    points.append((Double(k + 1), yt - (nc > 0 ? yc * nt / nc : 0)))
                }
            }
            return points
        }
        func area(_ p: [(x: Double, y: Double)]) -> Double {
            zip(p, p.dropFirst()).map { ($1.x - $0.x) * ($1.y + $0.y) / 2 }.reduce(0, +)
        }
        let actual = curve(score)
        let perfect = curve(y.indices.map { treated[$0] ? y[$0] : -y[$0] })
        let last = perfect.last!
        let baseline = last.x * last.y / 2
        return (area(actual) - baseline) / (area(perfect) - baseline)
    }
}
