/// A fitted uplift model as a versioned file: format version, learner, feature names, model.
///
/// The model holds its learner's settings (and its base learners'), and the trees with their
/// bin edges or the coefficients. Encode with any `Encoder` (JSON in practice); decoding
/// refuses a file of another format version or another learner, and ``model(for:)`` refuses
/// features that differ from the fitted ones, naming the first differing feature.
///
/// ```swift
/// let file = UpliftModelFile(model)
/// let json = try JSONEncoder().encode(file)
/// let loaded = try JSONDecoder().decode(UpliftModelFile<SLearner<BoostedTreesClassifier>.Model>.self, from: json)
/// let scores = try loaded.model(for: features.names).uplift(features)
/// ```
public struct UpliftModelFile<Model: UpliftModel>: Sendable, Codable {
    /// The format version this build writes and reads.
    public static var currentFormatVersion: Int { 1 }

    public let formatVersion: Int
    /// ``UpliftModel/learnerName`` of the model, e.g. `s_learner(boosted_trees_classifier)`.
    public let learner: String
    public let featureNames: [String]
    public let model: Model

    public init(_ model: Model) {
        formatVersion = Self.currentFormatVersion
        learner = Model.learnerName
        featureNames = model.featureNames
        self.model = model
    }

    /// The model, after checking that `features` are the ones it was fitted on.
    ///
    /// - Throws: ``LearnerError/Code/featureMismatch`` naming the first feature that differs.
    public func model(for features: [String]) throws(LearnerError) -> Model {
        try FeatureMatrix.requireSame(featureNames, features, context: "the data")
        return model
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version"
        case learner
        case featureNames = "feature_names"
        case model
    }

    /// - Throws: ``LearnerError`` with ``LearnerError/Code/unsupportedVersion`` for another
    ///   format version, ``LearnerError/Code/wrongLearner`` for another learner, or
    ///   ``LearnerError/Code/featureMismatch`` when the header's features differ from the model's;
    ///   the decoder's own errors for malformed content.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try c.decode(Int.self, forKey: .formatVersion)
        guard formatVersion == Self.currentFormatVersion else {
            throw LearnerError(
                .unsupportedVersion, "model file format version \(formatVersion) is not supported; this build reads version \(Self.currentFormatVersion)",
                field: "format_version")
        }
        learner = try c.decode(String.self, forKey: .learner)
        guard learner.utf8.elementsEqual(Model.learnerName.utf8) else {
            throw LearnerError(.wrongLearner, "the model file holds \(learner), expected \(Model.learnerName)", field: "learner")
        }
        featureNames = try c.decode([String].self, forKey: .featureNames)
        model = try c.decode(Model.self, forKey: .model)
        try FeatureMatrix.requireSame(featureNames, model.featureNames, context: "the model inside the file")
    }
}
