import Foundation
import Testing

@testable import HoldoutUplift

@Suite("The fast scorer gives the per-row tree walk's scores bit for bit, for any thread count")
struct FastScoringTests {
    static let trees = GradientBoosting.Settings(iterations: 25, maxDepth: 6, minSamplesLeaf: 20, seed: 1, threads: 2)

    /// Every GBDT inside a model and the matrix it reads, so each can be checked against the reference walk.
    static func components(_ model: any UpliftModel, _ x: FeatureMatrix) throws -> [(GradientBoosting.Model, FeatureMatrix)] {
        let n = x.rowCount
        switch model {
        case let m as SLearner<BoostedTreesClassifier>.Model:
            return try [1.0, 0.0].map { t in
                (m.outcome, try SLearner<BoostedTreesClassifier>.design(x, treatment: [Double](repeating: t, count: n), interactions: false))
            }
        case let m as TLearner<BoostedTreesClassifier>.Model: return [(m.treated, x), (m.control, x)]
        case let m as XLearner<BoostedTreesClassifier, BoostedTreesRegressor>.Model: return [(m.treatedEffect, x), (m.controlEffect, x)]
        case let m as ClassTransformation<BoostedTreesClassifier>.Model: return [(m.transformed, x)]
        case let m as TransformedOutcome<BoostedTreesRegressor>.Model: return [(m.regression, x)]
        default: return []
        }
    }

    static func models(_ data: UpliftTrainingData) throws -> [any UpliftModel] {
        let classifier = BoostedTreesClassifier(settings: trees)
        let regressor = BoostedTreesRegressor(settings: trees)
        return [
            try SLearner(base: classifier).fit(data), try TLearner(base: classifier).fit(data),
            try XLearner(outcome: classifier, effect: regressor).fit(data), try ClassTransformation(base: classifier).fit(data),
            try TransformedOutcome(base: regressor).fit(data), try SLearner(base: LogisticRegression()).fit(data),
            try TLearner(base: LogisticRegression()).fit(data), try XLearner(outcome: LogisticRegression(), effect: RidgeRegression()).fit(data),
            try ClassTransformation(base: LogisticRegression()).fit(data), try TransformedOutcome(base: RidgeRegression()).fit(data),
        ]
    }

    @Test("every learner: trees equal the reference walk, uplift equal on 1, 2 and 3 threads")
    func everyLearner() throws {
        let fixture = try LearnersFixture.load()
        let models = try Self.models(fixture.uplift(fixture.trainRows))
        // 1,999 rows: seven full blocks of 256 and a last one that is not a multiple of the 8-row lanes.
        let x = try fixture.features(fixture.rowCount - 1999..<fixture.rowCount, withTreatment: false)
        var treeModels = 0
        for model in models {
            let name = type(of: model).learnerName
            let one = try model.uplift(x, threads: 1)
            #expect(one.allSatisfy { $0.isFinite }, "\(name)")
            for threads in [2, 3] {
                #expect(try model.uplift(x, threads: threads) == one, "\(name) on \(threads) threads")
            }
            if let linear = model as? SLearner<LogisticRegression>.Model {
                // The direct linear S-learner equals σ on the built design matrices.
                let n = x.rowCount
                let p1 = try linear.outcome.probabilities(
                    SLearner<LogisticRegression>.design(x, treatment: [Double](repeating: 1, count: n), interactions: true))
                let p0 = try linear.outcome.probabilities(
                    SLearner<LogisticRegression>.design(x, treatment: [Double](repeating: 0, count: n), interactions: true))
                #expect(one.map(\.bitPattern) == zip(p1, p0).map { ($0 - $1).bitPattern })
            }
            for (trees, input) in try Self.components(model, x) {
                treeModels += 1
                let reference = try trees.referenceRawPredictions(input)
                for threads in [1, 2, 3] {
                    let fast = try trees.rawPredictions(input, threads: threads)
                    #expect(fast.map(\.bitPattern) == reference.map(\.bitPattern), "\(name) on \(threads) threads")
                }
                #expect(trees.forest.layout == .lanes)
                // The layouts used for deeper trees (complete up to depth 12, pointers beyond) give the same scores.
                for layout in [CompiledForest.Layout.lanes, .complete, .pointer] {
                    let forest = try CompiledForest(trees: trees.trees, bins: trees.bins, layout: layout)
                    for threads in [1, 2, 3] {
                        #expect(forest.predict(input, baseline: trees.baseline, threads: threads).map(\.bitPattern) == reference.map(\.bitPattern))
                    }
                }
            }
        }
        #expect(treeModels == 8)
    }

    @Test("deep trees without a depth limit score as the reference walk")
    func deepTrees() throws {
        let fixture = try LearnersFixture.load()
        let x = try fixture.features(fixture.trainRows, withTreatment: true)
        let settings = GradientBoosting.Settings(iterations: 5, maxDepth: nil, maxLeafNodes: 400, minSamplesLeaf: 1, threads: 2)
        let model = try GradientBoosting.fit(x, targets: fixture.column("spend", fixture.trainRows), loss: .squaredError, settings: settings)
        let reference = try model.referenceRawPredictions(x)
        for threads in [1, 2, 3] { #expect(try model.rawPredictions(x, threads: threads) == reference) }
    }

    @Test("a model file whose thresholds, bins or edges are inconsistent is refused")
    func corruptedTrees() throws {
        let fixture = try LearnersFixture.load()
        let model = try TLearner(base: BoostedTreesClassifier(settings: .init(iterations: 3))).fit(fixture.uplift(0..<1000))
        let json = try JSONEncoder().encode(UpliftModelFile(model))
        var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        var inner = try #require(object["model"] as? [String: Any])
        var treated = try #require(inner["treated"] as? [String: Any])
        var trees = try #require(treated["trees"] as? [[String: Any]])
        var thresholds = try #require(trees[0]["threshold"] as? [Double])
        thresholds[0] += 0.001
        trees[0]["threshold"] = thresholds
        treated["trees"] = trees
        inner["treated"] = treated
        object["model"] = inner
        let corrupted = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: LearnerError.self) { try JSONDecoder().decode(UpliftModelFile<TLearner<BoostedTreesClassifier>.Model>.self, from: corrupted) }
        // 300 bin edges do not fit in a byte.
        var edges = try #require((treated["bin_edges"] as? [String: Any])?["edges"] as? [[Double]])
        edges[0] = (0..<300).map(Double.init)
        treated["bin_edges"] = ["edges": edges]
        inner["treated"] = treated
        object["model"] = inner
        let tooMany = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: LearnerError.self) { try JSONDecoder().decode(UpliftModelFile<TLearner<BoostedTreesClassifier>.Model>.self, from: tooMany) }
    }
}
