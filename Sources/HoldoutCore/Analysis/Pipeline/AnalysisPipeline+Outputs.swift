public import HoldoutStats
public import HoldoutUplift

extension AnalysisPipeline {
    /// `load`: what the store holds for the experiment.
    public struct LoadOutput: Sendable, Codable {
        /// Assigned units per variant, in the experiment's order.
        public var units: [String: Int]
        public var counts: [String: Int]
        public var featureNames: [String]
        /// The outcome metrics analysed (``AnalysisPipeline/metricKey(_:)``), the run's first.
        public var metrics: [String]
        enum CodingKeys: String, CodingKey {
            case units, counts, metrics
            case featureNames = "feature_names"
        }
    }

    /// `srm`: chi-squared of the assigned units against the planned weights.
    public struct SRMOutput: Sendable, Codable {
        public var chi2: Double
        public var pValue: Double
        public var srmDetected: Bool
        public var threshold: Double
        public var observed: [Int]
        public var plannedShares: [Double]
        enum CodingKeys: String, CodingKey {
            case chi2, threshold, observed
            case pValue = "p_value"
            case srmDetected = "srm_detected"
            case plannedShares = "planned_shares"
        }
    }

    /// `cuped`: the conversion comparison adjusted by every pre-experiment feature.
    public struct CUPEDOutput: Sendable, Codable {
        public var covariates: [String]
        public var upliftAbs: Double?
        public var ciLow: Double?
        public var ciHigh: Double?
        public var pValue: Double?
        public var varianceReduction: Double
        public var theta: [Double]
        public var comparison: Comparison
        enum CodingKeys: String, CodingKey {
            case covariates, theta, comparison
            case upliftAbs = "uplift_abs"
            case ciLow = "ci_low"
            case ciHigh = "ci_high"
            case pValue = "p_value"
            case varianceReduction = "variance_reduction"
        }
    }

    /// `uplift`: each learner trained on the train split and evaluated on the rest.
    public struct UpliftOutput: Sendable, Codable {
        public struct Learner: Sendable, Codable {
            public var metrics: UpliftMetrics.Report
            /// Pearson correlation of predicted uplift with the simulator's true CATE on the
            /// evaluation rows (simulated data with `--truth` only).
            public var trueCATECorrelation: Double?
            /// The Qini curve on the evaluation rows, thinned to at most 201 points, with the
            /// random line's end point (x = rows, y = incremental conversions).
            public var qiniCurve: Curve
            public var perfectQiniCurve: Curve?
            /// The uplift curve (incremental conversions when treating the top x rows).
            public var upliftCurve: Curve
            public var seconds: Double
            /// Set when the model cannot rank (every evaluation row gets the same score: an
            /// S-learner whose trees never split on the treatment, say).
            public var warning: String?
            enum CodingKeys: String, CodingKey {
                case metrics, seconds, warning
                case trueCATECorrelation = "true_cate_correlation"
                case qiniCurve = "qini_curve"
                case perfectQiniCurve = "perfect_qini_curve"
                case upliftCurve = "uplift_curve"
            }
        }
        public var sampledUnits: Int
        public var trainRows: Int
        public var evaluationRows: Int
        public var learners: [String: Learner]
        public var errors: [String: String]
        enum CodingKeys: String, CodingKey {
            case learners, errors
            case sampledUnits = "sampled_units"
            case trainRows = "train_rows"
            case evaluationRows = "evaluation_rows"
        }
    }

    /// `policy`: targeting the top k by the best learner's predicted uplift.
    public struct PolicyOutput: Sendable, Codable {
        /// The learner with the highest Qini coefficient (scikit-uplift's `qini_auc_score`).
        public var learner: String
        public var policy: TargetingPolicy
        enum CodingKeys: String, CodingKey { case learner, policy }
    }

    /// `decision`: ship / do not ship / keep running / investigate, with the rule that fired.
    public struct DecisionOutput: Sendable, Codable {
        public enum Verdict: String, Sendable, Codable {
            case ship
            case doNotShip = "do_not_ship"
            case keepRunning = "keep_running"
            case investigate
        }
        public var verdict: Verdict
        public var rule: String
        public var explanation: String
        public var numbers: [String: Double]
    }

    /// `report`: the files written.
    public struct ReportOutput: Sendable, Codable {
        public var paths: [String]
    }

    /// The part of `holdout results`' object the decision reads.
    struct ABDigest: Decodable {
        struct Arm: Decodable {
            var conversion: Comparison
            var insufficientData: Bool
            var reason: String?
            enum CodingKeys: String, CodingKey {
                case conversion, reason
                case insufficientData = "insufficient_data"
            }
        }
        var comparisons: [Arm]
    }
}
