import Foundation
import HoldoutUplift
import Testing

@Suite("Boosted trees are seeded and deterministic for any thread count")
struct DeterminismTests {
    /// 80,000 rows × 6 features from a seeded generator: large enough that the row partition,
    /// the gradient gather and the binning subsample run in several chunks.
    static func data() throws -> (FeatureMatrix, [Double], [Double]) {
        var state: UInt64 = 20_261_130
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        let n = 80_000
        let columns = (0..<6).map { _ in (0..<n).map { _ in uniform() * 4 - 2 } }
        let labels = (0..<n).map { i -> Double in
            let eta = columns[0][i] - 0.5 * columns[1][i] * columns[2][i] + 0.3 * columns[3][i]
            return uniform() < 1 / (1 + exp(-eta)) ? 1 : 0
        }
        let weights = (0..<n).map { _ in 0.5 + uniform() }
        return (try FeatureMatrix(names: (0..<6).map { "x\($0)" }, columns: columns), labels, weights)
    }

    @Test("same seed: bit-identical trees and predictions with 1, 2 and 3 threads", arguments: [GradientBoosting.Loss.logLoss, .squaredError])
    func threads(_ loss: GradientBoosting.Loss) throws {
        let (x, y, w) = try Self.data()
        func fit(_ threads: Int) throws -> GradientBoosting.Model {
            let settings = GradientBoosting.Settings(
                iterations: 4, maxDepth: 5, maxLeafNodes: 20, binSubsample: 50_000,
                earlyStopping: .init(validationFraction: 0.1, patience: 2), seed: 7, threads: threads)
            return try GradientBoosting.fit(x, targets: y, weights: w, loss: loss, settings: settings)
        }
        let one = try fit(1)
        let two = try fit(2)
        let three = try fit(3)
        #expect(one.trees == two.trees)
        #expect(one.trees == three.trees)
        #expect(one.bins == two.bins)
        #expect(one.validationLosses == two.validationLosses)
        let p1 = try one.rawPredictions(x)
        #expect(p1 == (try two.rawPredictions(x)))
        #expect(p1 == (try three.rawPredictions(x)))
        // Another seed draws another binning subsample and validation split.
        var other = one.settings
        other.seed = 8
        let reseeded = try GradientBoosting.fit(x, targets: y, weights: w, loss: loss, settings: other)
        #expect(reseeded.bins != one.bins)
    }

    @Test("early stopping keeps the best round and records the validation losses")
    func earlyStopping() throws {
        let fixture = try LearnersFixture.load()
        let settings = GradientBoosting.Settings(
            iterations: 300, learningRate: 0.3, earlyStopping: .init(validationFraction: 0.2, patience: 5), seed: 1)
        let model = try BoostedTreesClassifier(settings: settings).fit(
            fixture.features(fixture.trainRows, withTreatment: true), labels: fixture.column("conversion", fixture.trainRows).map { $0 == 1 })
        let losses = try #require(model.validationLosses)
        #expect(model.trees.count < 300)
        #expect(losses.count == model.trees.count + 5)
        #expect(losses[model.trees.count - 1] == losses.min())
    }

    @Test("bad settings and inputs name the field")
    func errors() throws {
        let x = try FeatureMatrix(names: ["a"], columns: [[0, 1, 2, 3]])
        #expect(throws: LearnerError.self) { try GradientBoosting.fit(x, targets: [0, 1, 2, 1], loss: .logLoss) }
        do {
            _ = try GradientBoosting.fit(x, targets: [0, 1, 0, 1], loss: .logLoss, settings: .init(maxBins: 256))
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "maxBins")
        }
        do {
            _ = try FeatureMatrix(names: ["a", "b"], columns: [[0, 1], [1, .nan]])
            Issue.record("expected an error")
        } catch {
            #expect(error.field == "b")
            #expect(error.message.contains("row 1"))
        }
        #expect(throws: LearnerError.self) { try FeatureMatrix(names: ["a", "a"], columns: [[0], [1]]) }
        // A constant feature is never split on: one leaf per tree.
        let constant = try GradientBoosting.fit(x, targets: [1, 2, 3, 4], loss: .squaredError, settings: .init(iterations: 3, minSamplesLeaf: 3))
        #expect(constant.trees.allSatisfy { $0.feature == [-1] })
        #expect(try constant.rawPredictions(x).allSatisfy { abs($0 - 2.5) < 1e-12 })
    }
}
