import Testing

@testable import HoldoutUplift

/// Runs `body` and returns the UpliftError it throws (recording an issue when it does not throw).
func expectUpliftError(
    _ code: UpliftError.Code, field: String, mentioning text: String? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws(UpliftError) -> some Any
) {
    do {
        let value = try body()
        Issue.record("expected \(code) on \(field), got \(value)", sourceLocation: sourceLocation)
    } catch {
        #expect(error.code == code, "code \(error.code) for: \(error.message)", sourceLocation: sourceLocation)
        #expect(error.field == field, "field \(error.field ?? "nil") for: \(error.message)", sourceLocation: sourceLocation)
        if let text {
            #expect(error.message.contains(text), "message: \(error.message)", sourceLocation: sourceLocation)
        }
    }
}

@Suite("Uplift metrics reject bad input and name what is missing")
struct UpliftErrorTests {
    let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]
    let treatment = [true, true, true, false, true, false, false, true, false, false]
    let outcomes: [Double] = [1, 0, 1, 0, 1, 1, 0, 0, 0, 1]

    var sample: UpliftSample {
        get throws(UpliftError) { try UpliftSample(scores: scores, treatment: treatment, outcomes: outcomes) }
    }

    @Test("empty input")
    func empty() {
        expectUpliftError(.invalidInput, field: "scores", mentioning: "empty") { () throws(UpliftError) in
            try UpliftSample(scores: [], treatment: [Bool](), outcomes: [])
        }
    }

    @Test("lengths that differ")
    func lengths() {
        expectUpliftError(.invalidInput, field: "treatment", mentioning: "3 values") { () throws(UpliftError) in
            try UpliftSample(scores: [1, 2], treatment: [true, false, true], outcomes: [0, 1])
        }
        expectUpliftError(.invalidInput, field: "outcomes", mentioning: "1 values") { () throws(UpliftError) in
            try UpliftSample(scores: [1, 2], treatment: [true, false], outcomes: [0])
        }
    }

    @Test("a single arm", arguments: [true, false])
    func singleArm(_ arm: Bool) {
        expectUpliftError(.invalidInput, field: "treatment", mentioning: "need both arms") { () throws(UpliftError) in
            try UpliftSample(scores: [0.3, 0.2, 0.1], treatment: [arm, arm, arm], outcomes: [1, 0, 1])
        }
    }

    @Test("NaN and infinite scores and outcomes name the row", arguments: [Double.nan, .infinity, -.infinity])
    func notFinite(_ bad: Double) {
        expectUpliftError(.invalidInput, field: "scores", mentioning: "scores[2]") { () throws(UpliftError) in
            try UpliftSample(scores: [0.3, 0.2, bad, 0.1], treatment: [true, false, true, false], outcomes: [1, 0, 1, 0])
        }
        expectUpliftError(.invalidInput, field: "outcomes", mentioning: "outcomes[3]") { () throws(UpliftError) in
            try UpliftSample(scores: [0.3, 0.2, 0.1, 0.0], treatment: [true, false, true, false], outcomes: [1, 0, 1, bad])
        }
    }

    @Test("treatment flags other than 0 and 1")
    func treatmentFlags() {
        expectUpliftError(.invalidInput, field: "treatment", mentioning: "treatment[1] is 2") { () throws(UpliftError) in
            try UpliftSample(scores: [0.3, 0.2, 0.1], treatment: [1, 2, 0], outcomes: [1, 0, 1])
        }
    }

    @Test(
        "k out of range",
        arguments: [UpliftMetrics.K.fraction(0), .fraction(1), .fraction(1.5), .fraction(-0.1), .fraction(.nan), .count(0), .count(10), .count(-3)])
    func kOutOfRange(_ k: UpliftMetrics.K) throws {
        let s = try sample
        for strategy in UpliftMetrics.Strategy.allCases {
            expectUpliftError(.invalidInput, field: "k") { () throws(UpliftError) in try UpliftMetrics.upliftAtK(s, k: k, strategy: strategy) }
        }
        expectUpliftError(.invalidInput, field: "k") { () throws(UpliftError) in try UpliftMetrics.Report(s, k: k) }
    }

    @Test("by_group k larger than an arm")
    func kLargerThanArm() throws {
        expectUpliftError(.invalidInput, field: "k", mentioning: "larger than the 5 treated rows") { () throws(UpliftError) in
            try UpliftMetrics.upliftAtK(sample, k: .count(6), strategy: .byGroup)
        }
    }

    @Test("bins out of range", arguments: [0, -1, 10, 11])
    func binsOutOfRange(_ bins: Int) throws {
        let s = try sample
        for strategy in UpliftMetrics.Strategy.allCases {
            expectUpliftError(.invalidInput, field: "bins") { () throws(UpliftError) in
                try UpliftMetrics.weightedAverageUplift(s, strategy: strategy, bins: bins)
            }
        }
        expectUpliftError(.invalidInput, field: "bins") { () throws(UpliftError) in try UpliftMetrics.Report(s, bins: bins) }
    }

    @Test("an arm missing from the top k is an error, not NaN")
    func armMissingFromTopK() throws {
        // The top three rows are all treated.
        expectUpliftError(.undefined, field: "uplift_at_k.overall", mentioning: "no control rows among the top 3 of 10 rows") {
            () throws(UpliftError) in try UpliftMetrics.upliftAtK(sample, k: .fraction(0.3), strategy: .overall)
        }
        // int(5 · 0.1) = 0 rows of each arm.
        expectUpliftError(.undefined, field: "uplift_at_k.by_group", mentioning: "takes 0 of the 5") { () throws(UpliftError) in
            try UpliftMetrics.upliftAtK(sample, k: .fraction(0.1), strategy: .byGroup)
        }
        // Bins of 2 rows: the first is all treated.
        expectUpliftError(.undefined, field: "weighted_average_uplift.overall", mentioning: "bin 1 has no control rows") { () throws(UpliftError) in
            try UpliftMetrics.weightedAverageUplift(sample, strategy: .overall, bins: 5)
        }
    }

    @Test("the report lists undefined metrics instead of throwing")
    func reportListsUndefined() throws {
        let report = try UpliftMetrics.Report(sample, k: .fraction(0.3), bins: 5)
        #expect(report.upliftAtK.overall == nil)
        #expect(report.undefined.map(\.metric).contains("uplift_at_k.overall"))
        #expect(report.undefined.first { $0.metric == "uplift_at_k.overall" }?.reason.contains("no control rows") == true)
        #expect(report.policy == nil)
    }

    @Test("scikit-uplift's normalised scores need 0/1 outcomes; the others take any outcome")
    func continuousOutcomes() throws {
        let revenue = outcomes.enumerated().map { $0.element * Double($0.offset + 1) * 2.5 }
        let s = try UpliftSample(scores: scores, treatment: treatment, outcomes: revenue)
        #expect(!s.hasBinaryOutcomes)
        expectUpliftError(.invalidInput, field: "outcomes", mentioning: "0 or 1") { () throws(UpliftError) in try UpliftMetrics.upliftAUCScore(s) }
        expectUpliftError(.invalidInput, field: "outcomes") { () throws(UpliftError) in try UpliftMetrics.qiniAUCScore(s, negativeEffect: false) }
        expectUpliftError(.invalidInput, field: "outcomes") { () throws(UpliftError) in try UpliftMetrics.perfectQiniCurve(s) }
        // Top 5: treated rows 0, 1, 2, 4 (2.5, 0, 7.5, 12.5 → mean 5.625); control row 3 (0).
        #expect(try UpliftMetrics.upliftAtK(s, k: .count(5), strategy: .overall) == 5.625)
        _ = try UpliftMetrics.causalMLQiniScore(s)
    }

    @Test("zero normalisers are errors, not NaN")
    func zeroNormalisers() throws {
        // Equal means in both arms: causalml divides by a zero gain; no outcome at all: every
        // perfect curve is flat.
        let equal = try UpliftSample(scores: [0.4, 0.3, 0.2, 0.1], treatment: [true, false, true, false], outcomes: [1, 1, 0, 0])
        expectUpliftError(.undefined, field: "causalml.auuc_score") { () throws(UpliftError) in try UpliftMetrics.causalMLAUUCScore(equal) }
        expectUpliftError(.undefined, field: "causalml.qini_score") { () throws(UpliftError) in try UpliftMetrics.causalMLQiniScore(equal) }
        let none = try UpliftSample(scores: [0.4, 0.3, 0.2, 0.1], treatment: [true, false, true, false], outcomes: [0, 0, 0, 0])
        expectUpliftError(.undefined, field: "uplift_auc_score") { () throws(UpliftError) in try UpliftMetrics.upliftAUCScore(none) }
        expectUpliftError(.undefined, field: "qini_auc_score") { () throws(UpliftError) in try UpliftMetrics.qiniAUCScore(none) }
        expectUpliftError(.undefined, field: "qini_auc_score_no_negative_effect") { () throws(UpliftError) in
            try UpliftMetrics.qiniAUCScore(none, negativeEffect: false)
        }
        // A negative overall effect: the no-negative-effect perfect curve does not exist.
        let harmful = try UpliftSample(scores: [0.4, 0.3, 0.2, 0.1], treatment: [true, false, true, false], outcomes: [0, 1, 0, 1])
        expectUpliftError(.undefined, field: "qini_auc_score_no_negative_effect", mentioning: "negative") { () throws(UpliftError) in
            try UpliftMetrics.qiniAUCScore(harmful, negativeEffect: false)
        }
    }

    @Test(
        "bad bootstrap settings", arguments: [(1, 0.95, "replicates"), (0, 0.95, "replicates"), (100, 1.0, "level"), (100, 0, "level"), (100, .nan, "level")])
    func bootstrapSettings(_ replicates: Int, _ level: Double, _ field: String) throws {
        let s = try sample
        let settings = UpliftMetrics.BootstrapSettings(replicates: replicates, seed: 1, level: level)
        expectUpliftError(.invalidInput, field: field) { () throws(UpliftError) in try UpliftMetrics.Report(s, k: .count(5), bins: 2, bootstrap: settings) }
        expectUpliftError(.invalidInput, field: field) { () throws(UpliftError) in try TargetingPolicy(s, fraction: 0.5, bootstrap: settings) }
    }
}
