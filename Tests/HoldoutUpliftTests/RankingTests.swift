import Testing

@testable import HoldoutUplift

@Suite("The radix ranking is scikit-uplift's order")
struct RankingTests {
    /// np.argsort(score, kind="mergesort")[::-1]: descending score, tied rows in decreasing row order.
    static func reference(_ scores: [Double]) -> [Int] {
        scores.indices.sorted { a, b in
            let x = scores[a] == 0 ? 0 : scores[a]
            let y = scores[b] == 0 ? 0 : scores[b]
            return x != y ? x > y : a > b
        }
    }

    @Test("random scores with many ties, ±0, negatives, subnormals and extremes", arguments: [1, 2, 3, 17, 1000, 40_000])
    func matchesReference(_ n: Int) {
        var generator = SplitMix64(seed: UInt64(n))
        let specials: [Double] = [
            0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1e-300, -1e300,
        ]
        let scores = (0..<n).map { i -> Double in
            switch i % 4 {
            case 0: return Double.random(in: -1...1, using: &generator)
            case 1: return (Double.random(in: -3...3, using: &generator) * 4).rounded() / 4
            case 2: return specials[Int.random(in: 0..<specials.count, using: &generator)]
            default: return Double(Int.random(in: -2...2, using: &generator))
            }
        }
        #expect(RankedRows.rankingOrder(scores).map(Int.init) == Self.reference(scores))
    }

    @Test("scores in one narrow range (one bucket of the first pass, sorted on the low bits)", arguments: [0.5, 1e-3, -7.25])
    func narrowRange(_ center: Double) {
        var generator = SplitMix64(seed: 99)
        let scores = (0..<20_000).map { i -> Double in
            i % 3 == 0 ? center : center + Double.random(in: 0..<(abs(center) * 1e-4), using: &generator) * (i % 2 == 0 ? 1 : -1)
        }
        #expect(RankedRows.rankingOrder(scores).map(Int.init) == Self.reference(scores))
    }

    @Test("−0.0 and +0.0 are one group of tied scores")
    func signedZero() throws {
        let s = try UpliftSample(scores: [0.0, -0.0, 0.0, 1], treatment: [true, false, true, false], outcomes: [1, 0, 0, 1])
        #expect(s.distinctScores == 2)
    }
}

@Suite("Bootstrap intervals and the targeting policy")
struct BootstrapAndPolicyTests {
    static func fixtureSample(_ name: String) throws -> (UpliftFixture.Case, UpliftSample) {
        let c = try #require(UpliftFixture.cases.first { $0.name == name })
        return (c, try UpliftSample(scores: c.score, treatment: c.treatment, outcomes: c.outcome))
    }

    @Test("a row drawn w times counts as w adjacent rows: weighted rows equal the expanded sample")
    func weightsEqualExpandedRows() throws {
        let (c, sample) = try Self.fixtureSample("untied_200")
        var generator = SplitMix64(seed: 5)
        let rows = sample.ranked
        let treatedRows = (0..<rows.rows).filter { rows.treated[$0] }
        let controlRows = (0..<rows.rows).filter { !rows.treated[$0] }
        let replicate = rows.resample(treatedRows: treatedRows, controlRows: controlRows, using: &generator)
        #expect(replicate.units == c.n)
        #expect(Int(replicate.armUnits(treated: true)) == treatedRows.count)
        // The same replicate with every copy written out (scores untied, so copies only tie with
        // themselves).
        var scores: [Double] = []
        var treatment: [Bool] = []
        var outcomes: [Double] = []
        // Distinct descending scores per group of ties keep the replicate's order and ties.
        var group = 0
        for r in 0..<replicate.rows {
            if r >= replicate.groupEnds[group] { group += 1 }
            for _ in 0..<Int(replicate.weight?[r] ?? 1) {
                scores.append(-Double(group))
                treatment.append(replicate.treated[r])
                outcomes.append(replicate.outcome[r])
            }
        }
        let expanded = try UpliftSample(scores: scores, treatment: treatment, outcomes: outcomes).ranked
        for k in [UpliftMetrics.K.fraction(0.3), .fraction(0.17), .count(41)] {
            let a = replicate.replicateValues(k: k)
            let b = expanded.replicateValues(k: k)
            for (x, y) in [
                (a.upliftAUCScore, b.upliftAUCScore), (a.qiniAUCScore, b.qiniAUCScore), (a.upliftAtKOverall, b.upliftAtKOverall),
                (a.upliftAtKByGroup, b.upliftAtKByGroup), (a.causalMLAUUCScore, b.causalMLAUUCScore), (a.causalMLQiniScore, b.causalMLQiniScore),
                (a.averageUplift, b.averageUplift),
            ] {
                let (x, y) = (try #require(x), try #require(y))
                #expect(Tolerance.isClose(x, y, tolerance: 1e-12), "k = \(k): \(x) vs \(y)")
            }
        }
        for bins in [3, 10, 7] {
            for strategy in UpliftMetrics.Strategy.allCases {
                let x = try replicate.weightedAverageUplift(strategy: strategy, bins: bins)
                let y = try expanded.weightedAverageUplift(strategy: strategy, bins: bins)
                #expect(Tolerance.isClose(x, y, tolerance: 1e-12), "weighted_average_uplift \(strategy) \(bins): \(x) vs \(y)")
            }
        }
        #expect(replicate.curve(RankedRows.qiniValue) == expanded.curve(RankedRows.qiniValue))
    }

    @Test("the same seed gives the same intervals; another seed other intervals")
    func seeded() throws {
        let (_, sample) = try Self.fixtureSample("untied_5000_unbalanced")
        let a = try UpliftMetrics.Report(sample, bootstrap: .init(replicates: 50, seed: 42))
        let b = try UpliftMetrics.Report(sample, bootstrap: .init(replicates: 50, seed: 42))
        let c = try UpliftMetrics.Report(sample, bootstrap: .init(replicates: 50, seed: 43))
        #expect(a == b)
        #expect(a.bootstrap?.qiniAUCScore != c.bootstrap?.qiniAUCScore)
        #expect(a.bootstrap?.replicates == 50 && a.bootstrap?.seed == 42)
    }

    @Test("intervals are ordered and cover their point estimates on a 5,000-row experiment")
    func intervalsCoverPoints() throws {
        let (_, sample) = try Self.fixtureSample("untied_5000_unbalanced")
        let report = try UpliftMetrics.Report(sample, k: .fraction(0.3), bootstrap: .init(replicates: 200, seed: 7))
        let intervals = try #require(report.bootstrap)
        let pairs: [(String, Double?, UpliftMetrics.Interval?)] = [
            ("uplift_auc_score", report.upliftAUCScore, intervals.upliftAUCScore),
            ("qini_auc_score", report.qiniAUCScore, intervals.qiniAUCScore),
            ("uplift_at_k.overall", report.upliftAtK.overall, intervals.upliftAtKOverall),
            ("uplift_at_k.by_group", report.upliftAtK.byGroup, intervals.upliftAtKByGroup),
            ("causalml.auuc_score", report.causalML.auucScore, intervals.causalMLAUUCScore),
            ("causalml.qini_score", report.causalML.qiniScore, intervals.causalMLQiniScore),
        ]
        for (name, point, interval) in pairs {
            let p = try #require(point, "\(name)")
            let i = try #require(interval, "\(name)")
            #expect(i.low < i.high, "\(name): [\(i.low), \(i.high)]")
            #expect(i.low <= p && p <= i.high, "\(name): \(p) outside [\(i.low), \(i.high)]")
            #expect(i.undefinedReplicates == 0)
        }
        let policy = try #require(report.policy?.intervals)
        let over = try #require(policy.incrementalOverRandom)
        #expect(over.low <= report.policy!.incrementalOverRandom && report.policy!.incrementalOverRandom <= over.high)
    }

    @Test("percentile interval: NumPy's linear interpolation between order statistics")
    func percentile() throws {
        let values: [Double?] = [5, 1, nil, 3, 2, 4]
        let interval = try #require(UpliftMetrics.Interval.percentile(values, level: 0.5))
        // np.percentile([1, 2, 3, 4, 5], [25, 75]) = [2, 4]
        #expect(interval == UpliftMetrics.Interval(low: 2, high: 4, undefinedReplicates: 1))
        let narrow = try #require(UpliftMetrics.Interval.percentile([0, 10], level: 0.9))
        #expect(Tolerance.isClose(narrow.low, 0.5, tolerance: 1e-15) && Tolerance.isClose(narrow.high, 9.5, tolerance: 1e-15))
        #expect(UpliftMetrics.Interval.percentile([nil, nil], level: 0.9) == nil)
    }

    @Test("targeting the top 30%: budget × uplift@k against budget × average uplift")
    func policyArithmetic() throws {
        // 10 rows; top 3 = rows with scores 0.9, 0.8, 0.7: treated 1, 0 and control 0.
        let sample = try UpliftSample(
            scores: [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0], treatment: [1, 1, 0, 0, 1, 0, 1, 0, 1, 0],
            outcomes: [1, 0, 0, 0, 1, 1, 0, 1, 0, 0])
        let policy = try TargetingPolicy(sample, fraction: 0.3, population: 1000)
        // uplift@k: treated mean 1/2 − control mean 0 = 0.5; average: treated 2/5 − control 2/5 = 0.
        #expect(policy.targeted == 300)
        #expect(policy.targetedUplift == 0.5 && policy.averageUplift == 0)
        #expect(policy.incrementalTargeted == 150 && policy.incrementalRandom == 0 && policy.incrementalOverRandom == 150)
        #expect(policy.relativeToRandom == nil)
        expectUpliftError(.invalidInput, field: "k") { () throws(UpliftError) in try TargetingPolicy(sample, fraction: 1.2) }
        expectUpliftError(.invalidInput, field: "population") { () throws(UpliftError) in try TargetingPolicy(sample, population: 0) }
    }

    @Test("the policy's targeted uplift is scikit-uplift's uplift_at_k(overall, k=0.3)", arguments: ["untied_200", "tied_500", "untied_5000_unbalanced"])
    func policyMatchesUpliftAtK(_ name: String) throws {
        let (c, sample) = try Self.fixtureSample(name)
        let expected = try #require(c.uplift_at_k.first { $0.k == 0.3 && !$0.k_is_count && $0.strategy == "overall" })
        guard case .value(let e) = expected.value else { Issue.record("fixture has no value"); return }
        let policy = try TargetingPolicy(sample, bootstrap: .init(replicates: 100, seed: 3))
        #expect(Tolerance.isClose(policy.targetedUplift, e))
        #expect(policy.targeted == Int(Double(c.n) * 0.3))
        let interval = try #require(policy.intervals?.targetedUplift)
        #expect(interval.low <= policy.targetedUplift && policy.targetedUplift <= interval.high)
        if policy.incrementalRandom > 0 {
            #expect(try #require(policy.relativeToRandom) == policy.incrementalTargeted / policy.incrementalRandom)
        }
    }
}
