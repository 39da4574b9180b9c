import Foundation
import Testing

@testable import HoldoutStats

extension AnalysisTests {
    static func decode(_ json: String) throws -> Analysis.Request {
        try JSONDecoder().decode(Analysis.Request.self, from: Data(json.utf8))
    }

    /// The StatsError decoding `json` throws.
    static func decodingError(_ json: String) -> StatsError? {
        do {
            _ = try decode(json)
            return nil
        } catch {
            return error as? StatsError
        }
    }

    @Test(
        "decoding validates and names the field",
        arguments: [
            (
                #"{"method":"bootstrap","control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#, "method",
                #"method: must be frequentist, sequential or bayesian, got "bootstrap""#
            ),
            (
                #"{"method":"sequential","alternative":"greater","control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#,
                "alternative", "sequential results are two-sided"
            ),
            (
                #"{"method":"bayesian","alternative":"less","control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#,
                "alternative", "bayesian results are two-sided"
            ),
            (#"{"alpha":1.5,"control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#, "alpha", "alpha must be in (0, 1), got 1.5"),
            (
                #"{"metric":"median","control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#, "metric",
                #"metric: must be proportion, mean or ratio, got "median""#
            ),
            (#"{"tuning":0,"control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#, "tuning", "tuning must be positive"),
            (
                #"{"prior":{"mean":0},"method":"bayesian","control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#, "prior.sd",
                "prior.sd: missing"
            ),
            (
                #"{"prior":{"sd":-1},"method":"bayesian","control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#, "prior.sd",
                "prior.sd must be positive"
            ),
            (
                #"{"cuped":true,"method":"sequential","control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#, "cuped",
                "regression adjustment is frequentist"
            ),
            (#"{"cuped":true,"control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#, "control.sum_x", "control.sum_x: missing"),
            (
                #"{"correction":"bonferroni","control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":2}}"#, "correction",
                #"correction: must be none, holm or benjamini-hochberg, got "bonferroni""#
            ),
            (#"{"control":{"n":10,"conversions":11},"treatment":{"n":10,"conversions":1}}"#, "control.conversions", "cannot exceed"),
            (#"{"control":{"n":-3,"conversions":1},"treatment":{"n":10,"conversions":1}}"#, "control.n", "control.n: expected an integer ≥ 0, got -3"),
            (
                #"{"control":{"n":10,"conversion":1},"treatment":{"n":10,"conversions":1}}"#, "control.conversion",
                "control.conversion: unknown field (expected one of: conversions, n)"
            ),
            (#"{"control":{"n":"ten","conversions":1},"treatment":{"n":10,"conversions":1}}"#, "control.n", #"control.n: expected a number, got "ten""#),
            (
                #"{"control":{"n":10,"conversions":1},"treatments":[{"n":10,"conversions":1},{"n":10,"conversions":12}]}"#, "treatments[1].conversions",
                "treatments[1].conversions (12) cannot exceed treatments[1].n (10)"
            ),
            (#"{"control":{"n":10,"conversions":1},"treatments":[]}"#, "treatments", "treatments: needs at least one arm"),
            (#"{"control":{"n":10,"conversions":1}}"#, "treatment", "treatment: missing"),
            (#"{"control":{"n":10,"conversions":1},"treatment":[1]}"#, "treatment", "treatment: expected an object, got an array"),
            (
                #"{"metric":"mean","control":{"n":10,"sum":1,"sum_squares":1},"treatment":{"n":10,"sum":1}}"#, "treatment.sum_squares",
                "treatment.sum_squares: missing"
            ),
            (#"{"control":{"n":10,"conversions":1},"treatment":{"n":10,"conversions":1},"extra":1}"#, "extra", "extra: unknown field"),
        ] as [(String, String, String)])
    func invalid(json: String, field: String, message: String) throws {
        let error = try #require(Self.decodingError(json), "no StatsError for \(json)")
        #expect(error.field == field, "field \(error.field ?? "nil")")
        #expect(error.message.contains(message), "message \(error.message)")
    }

    @Test("settings decode alone, with defaults, and refuse request keys")
    func settingsAlone() throws {
        let settings = try JSONDecoder().decode(Analysis.Settings.self, from: Data("{}".utf8))
        #expect(settings == Analysis.Settings())
        #expect(settings.metric == .proportion && settings.method == .frequentist && settings.alpha == 0.05)
        #expect(settings.tuning == SequentialTest.defaultTuning && settings.correction == .none && !settings.isCUPED)
        #expect(throws: StatsError.self) { try JSONDecoder().decode(Analysis.Settings.self, from: Data(#"{"control":{}}"#.utf8)) }
    }

    @Test("requests, settings and results survive a round trip through JSON")
    func roundTrip() throws {
        let requests = [
            #"{"metric":"ratio","method":"sequential","tuning":2500,"control":{"n":50,"sum_num":1744.55,"sum_num_sq":113992.3869,"sum_den":65,"sum_den_sq":129,"sum_num_den":3417.83},"treatments":[{"n":50,"sum_num":1546.88,"sum_num_sq":117830.0898,"sum_den":52,"sum_den_sq":104,"sum_num_den":3145.52}]}"#,
            #"{"method":"bayesian","prior":{"mean":0.01,"sd":0.02},"correction":"holm","control":{"n":200,"conversions":8},"treatment":{"n":800,"conversions":45}}"#,
            #"{"metric":"mean","cuped":true,"covariates":["pre"],"control":{"n":4,"sum":10,"sum_squares":30,"sum_x":[4],"sum_xy":[11],"sum_xx":[[6]]},"treatment":{"n":4,"sum":12,"sum_squares":40,"sum_x":[5],"sum_xy":[16],"sum_xx":[[7]]}}"#,
        ]
        for json in requests {
            let request = try Self.decode(json)
            let encoded = try JSONEncoder().encode(request)
            #expect(try JSONDecoder().decode(Analysis.Request.self, from: encoded) == request, "\(json)")
            let result = try Self.run(request)
            let decoded = try JSONDecoder().decode(Analysis.Result.self, from: JSONEncoder().encode(result))
            #expect(decoded == result)
        }
        let one = try Self.decode(requests[0])
        #expect(one.isMultiArm && one.treatments.count == 1)
        #expect(try !Self.decode(requests[1]).isMultiArm)
    }

    @Test("the result's keys are snake_case and the comparison keeps its shape")
    func resultKeys() throws {
        let request = try Self.decode(#"{"control":{"n":200,"conversions":8},"treatment":{"n":800,"conversions":45}}"#)
        let result = try Self.run(request)
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(result)) as? [String: Any])
        let treatment = try #require((object["treatments"] as? [[String: Any]])?.first)
        #expect(Set(treatment.keys) == ["comparison", "p_value_holm", "p_value_bh", "p_value_adjusted"])
        let comparison = try #require(treatment["comparison"] as? [String: Any])
        #expect(comparison["uplift_abs"] as? Double == 0.01625)
        let settings = try #require(object["settings"] as? [String: Any])
        #expect(Set(settings.keys) == ["metric", "method", "alternative", "alpha", "tuning", "correction", "cuped"])
    }

    @Test("programmatic calls are checked too: the arms' kind, regression sums for CUPED, at least one treatment")
    func programmaticChecks() throws {
        let p = Analysis.Arm(ProportionStatistic(n: 100, conversions: 5))
        let m = Analysis.Arm(MeanStatistic(n: 100, sum: 5, sumSquares: 5))
        #expect(throws: StatsError.self) { try Analysis.compare(control: p, treatments: [], settings: .init()) }
        #expect(throws: StatsError.self) { try Analysis.compare(control: p, treatments: [m], settings: .init()) }
        #expect(throws: StatsError.self) { try Analysis.compare(control: m, treatments: [m], settings: .init(metric: .mean, isCUPED: true)) }
        #expect(throws: StatsError.self) { try Analysis.compare(control: p, treatments: [p], settings: .init(alpha: 0)) }
    }
}
