import Foundation
import Testing

/// The reference fixture that `Scripts/reference/uplift_metrics_reference.py` writes
/// (scikit-uplift 0.5.1, causalml 0.18), so the tests need no Python.
struct UpliftFixture: Decodable {
    /// A library's result: a number, or the error/NaN it produced instead.
    enum Expected: Decodable, CustomStringConvertible {
        case value(Double)
        case error(String)

        struct ErrorBody: Decodable { let error: String }

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let value = try? container.decode(Double.self) {
                self = .value(value)
            } else {
                self = .error(try container.decode(ErrorBody.self).error)
            }
        }

        var description: String {
            switch self {
            case .value(let v): "\(v)"
            case .error(let e): "error(\(e))"
            }
        }
    }

    struct CurvePoints: Decodable {
        let x: [Double]
        let y: [Double]
    }

    struct AtK: Decodable {
        let k: Double
        let k_is_count: Bool
        let strategy: String
        let value: Expected
    }

    struct WeightedAverage: Decodable {
        let bins: Int
        let strategy: String
        let value: Expected
    }

    struct CausalML: Decodable {
        let auuc_score: Expected
        let qini_score: Expected
    }

    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let note: String
        let n: Int
        let tied: Bool
        let score: [Double]
        let treatment: [Int]
        let outcome: [Double]
        let uplift_curve: CurvePoints
        let qini_curve: CurvePoints
        let perfect_uplift_curve: CurvePoints
        let perfect_qini_curve: CurvePoints
        let perfect_qini_curve_no_negative_effect: CurvePoints
        let uplift_auc_score: Expected
        let qini_auc_score: Expected
        let qini_auc_score_no_negative_effect: Expected
        let uplift_at_k: [AtK]
        let weighted_average_uplift: [WeightedAverage]
        let causalml: CausalML
        let causalml_raw_ties: CausalML?

        var testDescription: String { name }
    }

    let versions: [String: String]
    let cases: [Case]

    static let shared: UpliftFixture = {
        do {
            let url = try #require(Bundle.module.url(forResource: "uplift_metrics", withExtension: "json", subdirectory: "Fixtures"))
            return try JSONDecoder().decode(UpliftFixture.self, from: Data(contentsOf: url))
        } catch {
            fatalError("cannot load Fixtures/uplift_metrics.json: \(error)")
        }
    }()

    static var cases: [Case] { shared.cases }
}

/// The tolerance every golden test uses: |actual − expected| ≤ 1e-9 · max(|expected|, 1), i.e.
/// 1e-9 absolute for values of magnitude ≤ 1 (scores, uplifts) and 1e-9 relative above
/// (curve heights and x in units).
enum Tolerance {
    static let golden = 1e-9

    static func isClose(_ actual: Double, _ expected: Double, tolerance: Double = golden) -> Bool {
        actual == expected || abs(actual - expected) <= tolerance * max(abs(expected), 1)
    }
}
