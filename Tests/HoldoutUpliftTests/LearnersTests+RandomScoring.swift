import Foundation
import Testing

@testable import HoldoutUplift

@Suite("Every boosted-tree learner's fast scoring equals a tree-by-tree walk of the raw values on random data, to the last bit")
struct RandomScoringTests {
    static let names = ["normal", "heavy_tail", "five_values", "wide", "narrow", "outliers"]

    /// Uniform on [0, 1) from the top 53 bits.
    static func uniform(_ g: inout SplitMix64) -> Double { Double(g.next() >> 11) / 9_007_199_254_740_992 }

    static func normal(_ g: inout SplitMix64) -> Double {
        (-2 * log(1 - uniform(&g))).squareRoot() * cos(2 * Double.pi * uniform(&g))
    }

    /// Six kinds of feature: normal; log-normal with σ = 4 (edges crowd near zero, so binning falls
    /// back to the binary search); five repeated values (midpoint edges); uniform on [0, 10⁶);
    /// a narrow normal around 7; a normal with 1% of outliers at ±10¹² (most edges in one bucket).
    static func row(_ g: inout SplitMix64) -> [Double] {
        let z = normal(&g)
        return [
            z, exp(4 * normal(&g)), Double(g.next(below: 5)), 1e6 * uniform(&g), 7 + 1e-3 * normal(&g),
            uniform(&g) < 0.01 ? (uniform(&g) < 0.5 ? -1e12 : 1e12) : normal(&g),
        ]
    }

    static func matrix(_ rows: [[Double]]) throws -> FeatureMatrix {
        try FeatureMatrix(names: names, columns: (0..<names.count).map { j in rows.map { $0[j] } })
    }

    static func trainingData(rows: Int, seed: UInt64) throws -> UpliftTrainingData {
        var g = SplitMix64(seed: seed)
        var x = [[Double]]()
        var treatment = [Bool]()
        var outcome = [Double]()
        for _ in 0..<rows {
            let r = row(&g)
            let t = uniform(&g) < 0.7
            let effect = t ? (r[2] > 2 ? 1.2 : -0.4) + 0.3 * r[0] : 0
            let logit = 0.6 * r[0] - 0.2 * log1p(r[1]) + 0.5 * (r[3] / 1e6 - 0.5) + 200 * (r[4] - 7) + effect
            x.append(r)
            treatment.append(t)
            outcome.append(uniform(&g) < 1 / (1 + exp(-logit)) ? 1 : 0)
        }
        return try UpliftTrainingData(features: matrix(x), treatment: treatment, outcome: outcome)
    }

    /// Random rows, then rows at every bin edge of `bins` and one ulp either side of it, and extremes.
    static func scoringRows(seed: UInt64, count: Int, bins: FeatureBins) throws -> FeatureMatrix {
        var g = SplitMix64(seed: seed)
        var rows = (0..<count).map { _ in row(&g) }
        let longest = bins.edges.map(\.count).max() ?? 0
        for k in 0..<longest {
            for shift in [-1, 0, 1] {
                rows.append(
                    bins.edges.enumerated().map { j, e in
                        let x = e.isEmpty ? 0 : e[k % e.count]
                        return shift < 0 ? x.nextDown : shift > 0 ? x.nextUp : x
                    })
            }
        }
        rows.append([Double](repeating: -1e300, count: names.count))
        rows.append([Double](repeating: 1e300, count: names.count))
        rows.append([Double](repeating: 0, count: names.count))
        return try matrix(rows)
    }

    /// The uplift each learner defines, from ``GradientBoosting/Model/referenceRawPredictions(_:)``.
    static func reference(_ model: any UpliftModel, _ x: FeatureMatrix) throws -> [Double] {
        let σ = GradientBoosting.Model.logistic
        switch model {
        case let m as SLearner<BoostedTreesClassifier>.Model:
            let n = x.rowCount
            let treated = try m.outcome.referenceRawPredictions(
                SLearner<BoostedTreesClassifier>.design(x, treatment: [Double](repeating: 1, count: n), interactions: false))
            let control = try m.outcome.referenceRawPredictions(
                SLearner<BoostedTreesClassifier>.design(x, treatment: [Double](repeating: 0, count: n), interactions: false))
            return zip(treated, control).map { σ($0) - σ($1) }
        case let m as TLearner<BoostedTreesClassifier>.Model:
            return zip(try m.treated.referenceRawPredictions(x), try m.control.referenceRawPredictions(x)).map { σ($0) - σ($1) }
        case let m as XLearner<BoostedTreesClassifier, BoostedTreesRegressor>.Model:
            let g = m.propensity
            return zip(try m.controlEffect.referenceRawPredictions(x), try m.treatedEffect.referenceRawPredictions(x)).map {
                g * $0 + (1 - g) * $1
            }
        case let m as ClassTransformation<BoostedTreesClassifier>.Model:
            return try m.transformed.referenceRawPredictions(x).map { 2 * σ($0) - 1 }
        case let m as TransformedOutcome<BoostedTreesRegressor>.Model:
            return try m.regression.referenceRawPredictions(x)
        default:
            Issue.record("no reference for \(type(of: model).learnerName)")
            return []
        }
    }

    static func forests(_ model: any UpliftModel) -> [GradientBoosting.Model] {
        switch model {
        case let m as SLearner<BoostedTreesClassifier>.Model: [m.outcome]
        case let m as TLearner<BoostedTreesClassifier>.Model: [m.treated, m.control]
        case let m as XLearner<BoostedTreesClassifier, BoostedTreesRegressor>.Model: [m.treatedEffect, m.controlEffect]
        case let m as ClassTransformation<BoostedTreesClassifier>.Model: [m.transformed]
        case let m as TransformedOutcome<BoostedTreesRegressor>.Model: [m.regression]
        default: []
        }
    }

    @Test(
        "S, T, X, class transformation and transformed outcome on trees of depth 6 and 7 (lanes) and 9 (complete layout)",
        arguments: [(6, 31, UInt64(11)), (7, 90, 12), (9, 200, 13)])
    func everyLearner(depth: Int, leaves: Int, seed: UInt64) throws {
        let data = try Self.trainingData(rows: 3000, seed: seed)
        let settings = GradientBoosting.Settings(iterations: 30, maxDepth: depth, maxLeafNodes: leaves, minSamplesLeaf: 5, seed: seed, threads: 2)
        let classifier = BoostedTreesClassifier(settings: settings)
        let regressor = BoostedTreesRegressor(settings: settings)
        let models: [any UpliftModel] = [
            try SLearner(base: classifier).fit(data), try TLearner(base: classifier).fit(data),
            try XLearner(outcome: classifier, effect: regressor).fit(data), try ClassTransformation(base: classifier).fit(data),
            try TransformedOutcome(base: regressor).fit(data),
        ]
        var searched = 0
        var bucketed = 0
        for model in models {
            let name = type(of: model).learnerName
            let forests = Self.forests(model)
            #expect(!forests.isEmpty, "\(name)")
            for trees in forests {
                #expect(trees.forest.layout == (depth <= CompiledForest.maximumLaneDepth ? .lanes : .complete), "\(name)")
                if let lanes = trees.forest.lanes {
                    for j in 0..<trees.featureNames.count where !trees.bins.edges[j].isEmpty {
                        if lanes.probes[j] > LaneTables.maximumProbes { searched += 1 } else { bucketed += 1 }
                    }
                }
            }
            // 2,000 random rows and 3 × 254 rows on and beside the edges: not a multiple of 64 rows or of the 256-row blocks.
            let x = try Self.scoringRows(seed: seed + 100, count: 2000, bins: forests[0].bins)
            let expected = try Self.reference(model, x).map(\.bitPattern)
            #expect(expected.count == x.rowCount)
            for threads in [1, 2, 3] {
                #expect(try model.uplift(x, threads: threads).map(\.bitPattern) == expected, "\(name), depth \(depth), \(threads) threads")
            }
        }
        // No rows: no scores (and no buffer to walk).
        for model in models { #expect(try model.uplift(Self.matrix([]), threads: 2).isEmpty) }
        if depth <= CompiledForest.maximumLaneDepth {
            // Both binning paths ran: equal-width buckets, and the binary search for crowded edges.
            #expect(searched > 0 && bucketed > 0, "searched \(searched), bucketed \(bucketed)")
        }
    }

    @Test("extreme edges and values: one edge, edges spanning ±10³⁰⁸ (a width that overflows), values at ±the largest double")
    func extremeEdges() throws {
        let bins = try FeatureBins(edges: [[-1e308], [-1e308, 0, 1e308], [5]])
        // Node 0 splits b at −10³⁰⁸, node 1 a at −10³⁰⁸, node 2 b at 10³⁰⁸, node 5 c at 5; the second tree is one leaf.
        let tree = GradientBoosting.Tree(
            feature: [1, 0, 1, -1, -1, 2, -1, -1, -1], bin: [0, 0, 2, 0, 0, 0, 0, 0, 0], threshold: [-1e308, -1e308, 1e308, 0, 0, 5, 0, 0, 0],
            left: [1, 3, 5, -1, -1, 7, -1, -1, -1], value: [0, 0, 0, 1, 2, 0, 4, 8, 16])
        let leaf = GradientBoosting.Tree(feature: [-1], bin: [0], threshold: [0], left: [-1], value: [0.25])
        let model = try GradientBoosting.Model(
            loss: .squaredError, settings: .init(), featureNames: ["a", "b", "c"], bins: bins, baseline: 0.5, trees: [tree, leaf, tree],
            validationLosses: nil)
        let lanes = try #require(model.forest.lanes)
        #expect(lanes.probes[0] == 1 && lanes.probes[1] == Int.max && lanes.probes[2] == 1)
        let values: [Double] = [
            -.greatestFiniteMagnitude, -1e308, (-1e308).nextDown, (-1e308).nextUp, -0.0, 0, 5, (5.0).nextDown, (5.0).nextUp, 1e308,
            (1e308).nextUp, .greatestFiniteMagnitude,
        ]
        var rows = [[Double]]()
        for a in values { for b in values { for c in values { rows.append([a, b, c]) } } }
        let x = try FeatureMatrix(names: ["a", "b", "c"], columns: (0..<3).map { j in rows.map { $0[j] } })
        let expected = try model.referenceRawPredictions(x).map(\.bitPattern)
        #expect(Set(expected).count == 5)  // every leaf reached
        for layout in [CompiledForest.Layout.lanes, .complete, .pointer] {
            let forest = try CompiledForest(trees: model.trees, bins: model.bins, layout: layout)
            for threads in [1, 2] {
                #expect(forest.predict(x, baseline: model.baseline, threads: threads).map(\.bitPattern) == expected, "\(layout), \(threads) threads")
            }
        }
    }
}
