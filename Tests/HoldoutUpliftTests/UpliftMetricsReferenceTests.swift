import Testing

@testable import HoldoutUplift

/// Checks a thrown-or-returned metric against the library's number, or expects `undefined` /
/// `invalid_input` where the library returned NaN or raised.
func expectMatches(
    _ label: String, _ expected: UpliftFixture.Expected, sourceLocation: SourceLocation = #_sourceLocation,
    _ compute: () throws(UpliftError) -> Double
) {
    switch expected {
    case .value(let e):
        do {
            let actual = try compute()
            #expect(Tolerance.isClose(actual, e), "\(label): \(actual) vs \(e) (diff \(actual - e))", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(label): threw \(error.message), expected \(e)", sourceLocation: sourceLocation)
        }
    case .error(let reason):
        do {
            let actual = try compute()
            Issue.record("\(label): returned \(actual), the library gave \(reason)", sourceLocation: sourceLocation)
        } catch {
            #expect(!error.message.isEmpty && error.field != nil, "\(label): \(error)", sourceLocation: sourceLocation)
        }
    }
}

func expectMatches(_ label: String, _ actual: Curve, _ expected: UpliftFixture.CurvePoints, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(actual.x.count == expected.x.count, "\(label): \(actual.x.count) points vs \(expected.x.count)", sourceLocation: sourceLocation)
    guard actual.x.count == expected.x.count else { return }
    var worst = 0.0
    for i in actual.x.indices {
        worst = max(worst, abs(actual.x[i] - expected.x[i]) / max(abs(expected.x[i]), 1))
        worst = max(worst, abs(actual.y[i] - expected.y[i]) / max(abs(expected.y[i]), 1))
    }
    #expect(worst <= Tolerance.golden, "\(label): worst scaled difference \(worst)", sourceLocation: sourceLocation)
}

@Suite("Uplift metrics agree with scikit-uplift 0.5.1 and causalml 0.18")
struct UpliftMetricsReferenceTests {
    static let cases = UpliftFixture.cases

    func sample(_ c: UpliftFixture.Case) throws -> UpliftSample {
        try UpliftSample(scores: c.score, treatment: c.treatment, outcomes: c.outcome)
    }

    @Test("the fixture covers tied and untied scores and both library error paths")
    func coverage() {
        #expect(Self.cases.count >= 6)
        #expect(Self.cases.contains { $0.tied } && Self.cases.contains { !$0.tied })
        #expect(UpliftFixture.shared.versions["scikit-uplift"] == "0.5.1")
        #expect(UpliftFixture.shared.versions["causalml"]?.hasPrefix("0.18") == true)
        let atK = Self.cases.flatMap(\.uplift_at_k)
        #expect(atK.contains { $0.k_is_count } && atK.contains { !$0.k_is_count })
        #expect(atK.contains { if case .error = $0.value { true } else { false } })
        #expect(Self.cases.contains { if case .error = $0.qini_auc_score_no_negative_effect { true } else { false } })
    }

    @Test("uplift_curve, qini_curve and the perfect curves", arguments: cases)
    func curves(_ c: UpliftFixture.Case) throws {
        let s = try sample(c)
        expectMatches("\(c.name) uplift_curve", UpliftMetrics.upliftCurve(s), c.uplift_curve)
        expectMatches("\(c.name) qini_curve", UpliftMetrics.qiniCurve(s), c.qini_curve)
        expectMatches("\(c.name) perfect_uplift_curve", try UpliftMetrics.perfectUpliftCurve(s), c.perfect_uplift_curve)
        expectMatches("\(c.name) perfect_qini_curve", try UpliftMetrics.perfectQiniCurve(s), c.perfect_qini_curve)
        expectMatches(
            "\(c.name) perfect_qini_curve(negative_effect=False)", try UpliftMetrics.perfectQiniCurve(s, negativeEffect: false),
            c.perfect_qini_curve_no_negative_effect)
    }

    @Test("uplift_auc_score and qini_auc_score in both negative_effect modes", arguments: cases)
    func areaScores(_ c: UpliftFixture.Case) throws {
        let s = try sample(c)
        expectMatches("\(c.name) uplift_auc_score", c.uplift_auc_score) { () throws(UpliftError) in try UpliftMetrics.upliftAUCScore(s) }
        expectMatches("\(c.name) qini_auc_score", c.qini_auc_score) { () throws(UpliftError) in try UpliftMetrics.qiniAUCScore(s) }
        expectMatches("\(c.name) qini_auc_score(negative_effect=False)", c.qini_auc_score_no_negative_effect) { () throws(UpliftError) in
            try UpliftMetrics.qiniAUCScore(s, negativeEffect: false)
        }
    }

    @Test("uplift_at_k: overall and by_group, fractional and integer k", arguments: cases)
    func upliftAtK(_ c: UpliftFixture.Case) throws {
        let s = try sample(c)
        for row in c.uplift_at_k {
            let k: UpliftMetrics.K = row.k_is_count ? .count(Int(row.k)) : .fraction(row.k)
            let strategy = try #require(UpliftMetrics.Strategy(rawValue: row.strategy))
            expectMatches("\(c.name) uplift_at_k(\(row.strategy), k=\(k))", row.value) { () throws(UpliftError) in
                try UpliftMetrics.upliftAtK(s, k: k, strategy: strategy)
            }
        }
    }

    @Test("weighted_average_uplift: overall and by_group, several bin counts", arguments: cases)
    func weightedAverageUplift(_ c: UpliftFixture.Case) throws {
        let s = try sample(c)
        for row in c.weighted_average_uplift {
            let strategy = try #require(UpliftMetrics.Strategy(rawValue: row.strategy))
            expectMatches("\(c.name) weighted_average_uplift(\(row.strategy), bins=\(row.bins))", row.value) { () throws(UpliftError) in
                try UpliftMetrics.weightedAverageUplift(s, strategy: strategy, bins: row.bins)
            }
        }
    }

    @Test("causalml auuc_score and qini_score (normalize=True)", arguments: cases)
    func causalML(_ c: UpliftFixture.Case) throws {
        let s = try sample(c)
        expectMatches("\(c.name) causalml auuc_score", c.causalml.auuc_score) { () throws(UpliftError) in try UpliftMetrics.causalMLAUUCScore(s) }
        expectMatches("\(c.name) causalml qini_score", c.causalml.qini_score) { () throws(UpliftError) in try UpliftMetrics.causalMLQiniScore(s) }
    }

    @Test("the report holds the same numbers as the single metrics", arguments: cases)
    func report(_ c: UpliftFixture.Case) throws {
        let s = try sample(c)
        let report = try UpliftMetrics.Report(s, k: .fraction(0.3), bins: 10)
        #expect(report.n == c.n)
        #expect(report.convention == .scikitUplift && report.causalML.convention == .causalMLNormalized)
        func check(_ actual: Double?, _ expected: UpliftFixture.Expected, _ metric: String) {
            switch expected {
            case .value(let e):
                #expect(actual.map { Tolerance.isClose($0, e) } == true, "\(c.name) report \(metric): \(actual as Any) vs \(e)")
            case .error:
                #expect(actual == nil, "\(c.name) report \(metric)")
                #expect(report.undefined.contains { $0.metric == metric }, "\(c.name) report lists \(metric) as undefined")
            }
        }
        check(report.upliftAUCScore, c.uplift_auc_score, "uplift_auc_score")
        check(report.qiniAUCScore, c.qini_auc_score, "qini_auc_score")
        check(report.qiniAUCScoreNoNegativeEffect, c.qini_auc_score_no_negative_effect, "qini_auc_score_no_negative_effect")
        for row in c.uplift_at_k where !row.k_is_count && row.k == 0.3 {
            check(row.strategy == "overall" ? report.upliftAtK.overall : report.upliftAtK.byGroup, row.value, "uplift_at_k.\(row.strategy)")
        }
        for row in c.weighted_average_uplift where row.bins == 10 {
            check(
                row.strategy == "overall" ? report.weightedAverageUplift.overall : report.weightedAverageUplift.byGroup, row.value,
                "weighted_average_uplift.\(row.strategy)")
        }
        check(report.causalML.auucScore, c.causalml.auuc_score, "causalml.auuc_score")
        check(report.causalML.qiniScore, c.causalml.qini_score, "causalml.qini_score")
    }

    @Test("the two conventions differ: causalml's random-ranking AUUC is near 0.5, scikit-uplift's near 0")
    func conventionsDiffer() throws {
        // A random ranking (score independent of everything) on the near-zero-effect case's arms.
        let c = try #require(Self.cases.first { $0.name == "untied_5000_unbalanced" })
        var generator = SplitMix64(seed: 11)
        let random = (0..<c.n).map { _ in Double.random(in: 0..<1, using: &generator) }
        let s = try UpliftSample(scores: random, treatment: c.treatment, outcomes: c.outcome)
        let sklift = try UpliftMetrics.upliftAUCScore(s)
        let causal = try UpliftMetrics.causalMLAUUCScore(s)
        #expect(abs(sklift) < 0.2, "scikit-uplift uplift_auc_score of a random ranking: \(sklift)")
        #expect(abs(causal - 0.5) < 0.25, "causalml auuc_score of a random ranking: \(causal)")
    }
}
