import Foundation
import HoldoutCore
import HoldoutUplift

/// The learners `holdout uplift train` fits (HoldoutCore's, shared with `holdout analyze`).
typealias UpliftLearnerKind = UpliftLearnerChoice.Meta

/// The base learners: boosted trees, or logistic regression (ridge regression where the
/// meta-learner needs a regressor: the X-learner's effect models, the transformed outcome).
typealias UpliftBaseKind = UpliftLearnerChoice.Base

/// A fitted model of any learner, with its file contents.
struct AnyUpliftModel: Sendable {
    let model: any UpliftModel
    let learner: String

    init<M: UpliftModel>(_ model: M) {
        self.model = model
        learner = M.learnerName
    }

    /// A model of a learner known at run time.
    init(fitted model: any UpliftModel) {
        func open<M: UpliftModel>(_ m: M) -> AnyUpliftModel { AnyUpliftModel(m) }
        self = open(model)
    }

    var featureNames: [String] { model.featureNames }

    /// The versioned JSON file (``UpliftModelFile``).
    func encoded() throws -> Data {
        func encode<M: UpliftModel>(_ m: M) throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return try encoder.encode(UpliftModelFile(m))
        }
        return try encode(model)
    }

    func uplift(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
        try model.uplift(features, threads: threads)
    }

    /// Every model type a file may hold, by its learner name.
    static let decoders: [String: @Sendable (Data) throws -> AnyUpliftModel] = {
        func entry<M: UpliftModel>(_: M.Type) -> (String, @Sendable (Data) throws -> AnyUpliftModel) {
            (M.learnerName, { data in AnyUpliftModel(try JSONDecoder().decode(UpliftModelFile<M>.self, from: data).model) })
        }
        return Dictionary(uniqueKeysWithValues: [
            entry(SLearner<BoostedTreesClassifier>.Model.self), entry(SLearner<LogisticRegression>.Model.self),
            entry(TLearner<BoostedTreesClassifier>.Model.self), entry(TLearner<LogisticRegression>.Model.self),
            entry(XLearner<BoostedTreesClassifier, BoostedTreesRegressor>.Model.self),
            entry(XLearner<LogisticRegression, RidgeRegression>.Model.self),
            entry(ClassTransformation<BoostedTreesClassifier>.Model.self), entry(ClassTransformation<LogisticRegression>.Model.self),
            entry(TransformedOutcome<BoostedTreesRegressor>.Model.self), entry(TransformedOutcome<RidgeRegression>.Model.self),
        ])
    }()

    private struct Header: Decodable {
        let formatVersion: Int?
        let learner: String?
        enum CodingKeys: String, CodingKey {
            case formatVersion = "format_version"
            case learner
        }
    }

    /// Reads a model file: at most ``UpliftData/maximumModelBytes``, JSON, this build's format
    /// version, a known learner, and a model whose trees and coefficients are consistent.
    static func load(path: String) throws(CLIError) -> AnyUpliftModel {
        let data: Data
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            guard size <= UpliftData.maximumModelBytes else {
                throw CLIError("--model: \(path) is \(size) bytes; a model file may have at most \(UpliftData.maximumModelBytes)")
            }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("--model: cannot read \(path): \(error.localizedDescription)")
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw CLIError("--model: \(path) is not a model file (not a JSON object: \(describe(error)))")
        }
        guard let version = header.formatVersion, let learner = header.learner else {
            throw CLIError("--model: \(path) is not a model file (no format_version or learner)")
        }
        guard version == UpliftModelFile<SLearner<LogisticRegression>.Model>.currentFormatVersion else {
            throw CLIError(
                "--model: \(path) has model format version \(version); this build reads version \(UpliftModelFile<SLearner<LogisticRegression>.Model>.currentFormatVersion)"
            )
        }
        guard let decode = decoders[learner] else {
            throw CLIError("--model: \(path) holds an unknown learner '\(learner)' (known: \(decoders.keys.sorted().joined(separator: ", ")))")
        }
        do {
            return try decode(data)
        } catch let error as LearnerError {
            throw CLIError("--model: \(path) is corrupted: \(error.message)")
        } catch {
            throw CLIError("--model: \(path) is corrupted: \(describe(error))")
        }
    }

    /// A decoding error as one line: where in the file, and what.
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        let context: DecodingError.Context
        var missing = ""
        switch decoding {
        case .dataCorrupted(let c), .typeMismatch(_, let c), .valueNotFound(_, let c): context = c
        case .keyNotFound(let key, let c):
            context = c
            missing = " (missing '\(key.stringValue)')"
        @unknown default: return "\(error)"
        }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        return (path.isEmpty ? context.debugDescription : "at \(path): \(context.debugDescription)") + missing
    }

    /// Fits a learner on base learners built from the options.
    static func fit(
        _ learner: UpliftLearnerKind, base: UpliftBaseKind, trees: GradientBoosting.Settings, lambda: Double?, propensity: Double?,
        data: UpliftTrainingData
    ) throws(LearnerError) -> AnyUpliftModel {
        AnyUpliftModel(fitted: try UpliftLearnerChoice(meta: learner, base: base).fit(data, settings: trees, lambda: lambda ?? 1, propensity: propensity))
    }
}
