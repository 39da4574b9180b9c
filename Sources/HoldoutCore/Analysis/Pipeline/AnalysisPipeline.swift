import Crypto
import Foundation
public import HoldoutModel
import HoldoutStats
import HoldoutStore
import HoldoutUplift

/// `holdout analyze`: seed 002's analysis as stages with explicit dependencies — load → srm →
/// ab → cuped → uplift → policy → decision → report — each recorded in the store with its
/// status, the fingerprint of its inputs, its duration and its output, like a materialized
/// asset graph: a rerun reuses every stage whose fingerprint did not change (unless `force`).
///
/// - A stage is `ok`, `skipped` (it does not apply: no features for CUPED or uplift), `halted`
///   (an upstream gate stopped it: SRM) or `failed` (its error is the reason; later stages that
///   need it are skipped). A halt is a result: ``run(experiment:store:settings:force:outDirectory:truthCSV:progress:)``
///   returns normally.
/// - The SRM gate compares the cohort's split with the experiment's planned weights (85/15 for
///   a Criteo import, not 50/50).
/// - CUPED and uplift read the randomized (ITT) cohort whatever `mode` says: uplift models
///   compare arms as randomized, and exposure happens after randomization.
public struct AnalysisPipeline: Sendable {
    public struct Settings: Sendable, Hashable, Codable {
        /// The outcome metric (`""`: the experiment's default).
        public var metric: String = ""
        public var mode: AnalysisMode = .itt
        public var alpha: Double = 0.05
        /// SRM p-values below this halt the downstream stages.
        public var srmThreshold: Double = 0.001
        /// The smallest relative lift worth detecting: a non-significant result whose minimum
        /// detectable lift (80% power) is above it is "keep running", else "do not ship".
        public var minimumEffect: Double = 0.05
        public var learners: [UpliftLearnerChoice] = UpliftLearnerChoice.defaults
        /// At most this many units (a seeded sample, by unit) train and evaluate the learners.
        public var upliftRows: Int = 1_000_000
        public var trainFraction: Double = 0.7
        /// Top share targeted by the policy and in uplift@k.
        public var k: Double = 0.3
        public var trees: Int = 100
        public var depth: Int = 6
        public var learningRate: Double = 0.1
        public var minLeaf: Int = 20
        public var seed: UInt64 = 1

        public init() {}

        enum CodingKeys: String, CodingKey {
            case metric, mode, alpha, k, trees, depth, seed, learners
            case srmThreshold = "srm_threshold"
            case minimumEffect = "minimum_effect"
            case upliftRows = "uplift_rows"
            case trainFraction = "train_fraction"
            case learningRate = "learning_rate"
            case minLeaf = "min_leaf"
        }

        /// - Throws: ``HoldoutError`` naming the setting.
        public func validate() throws(HoldoutError) {
            func check(_ ok: Bool, _ field: String, _ message: String) throws(HoldoutError) {
                if !ok { throw HoldoutError(.invalidInput, message, field: field) }
            }
            try check(alpha > 0 && alpha < 1, "alpha", "alpha must be in (0, 1), got \(alpha)")
            try check(srmThreshold > 0 && srmThreshold < 1, "srm_threshold", "the SRM threshold must be in (0, 1), got \(srmThreshold)")
            try check(minimumEffect > 0, "minimum_effect", "the minimum effect must be positive, got \(minimumEffect)")
            try check(upliftRows >= 100 && upliftRows <= 20_000_000, "uplift_rows", "uplift rows must be in 100…20,000,000, got \(upliftRows)")
            try check(trainFraction > 0 && trainFraction < 1, "train_fraction", "the train fraction must be in (0, 1), got \(trainFraction)")
            try check(k > 0 && k < 1, "k", "k must be a fraction in (0, 1), got \(k)")
            try check(trees >= 1 && trees <= 2_000, "trees", "trees must be in 1…2000, got \(trees)")
            try check(depth >= 1 && depth <= 16, "depth", "depth must be in 1…16, got \(depth)")
            try check(learningRate > 0 && learningRate <= 1, "learning_rate", "the learning rate must be in (0, 1], got \(learningRate)")
            try check(minLeaf >= 1, "min_leaf", "min leaf must be at least 1, got \(minLeaf)")
            try check(!learners.isEmpty && learners.count <= 10, "learners", "give 1–10 learners")
        }

        /// The run's name in the store: the metric and the mode.
        public var runName: String { runKey }
        var runKey: String { "\(metric.isEmpty ? "default" : metric)|\(mode.rawValue)" }
    }

    public enum Stage: String, Sendable, Hashable, Codable, CaseIterable {
        case load, srm, ab, cuped, uplift, policy, decision, report
    }

    public enum Status: String, Sendable, Hashable, Codable {
        case ok, skipped, halted, failed
    }

    /// One stage's line in the output.
    public struct StageSummary: Sendable, Encodable {
        public var name: Stage
        public var status: Status
        public var reason: String?
        public var durationSeconds: Double
        /// Reused from the store: its inputs had not changed.
        public var cached: Bool
        public var fingerprint: String

        enum CodingKeys: String, CodingKey {
            case name, status, reason, cached, fingerprint
            case durationSeconds = "duration_s"
        }
    }
}
