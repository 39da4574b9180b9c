import ArgumentParser
import Foundation
import HoldoutStats

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare treatment with control from per-arm sufficient statistics (JSON on stdin).",
        discussion: """
            Reads one JSON object on standard input:

              {"metric": "proportion", "control": {"n": 200, "conversions": 8},
               "treatment": {"n": 800, "conversions": 45}, "alpha": 0.05, "method": "frequentist"}

            metric       proportion  arms {"n", "conversions"}
                         mean        arms {"n", "sum", "sum_squares"}
                         ratio       arms {"n", "sum_num", "sum_num_sq", "sum_den", "sum_den_sq", "sum_num_den"}
            method       frequentist (default), sequential (always-valid, safe to peek) or bayesian
            alternative  two-sided (default), greater or less (frequentist only)
            tuning       sequential tuning sample size (default 5000, as GrowthBook)
            prior        bayesian prior on the absolute lift {"mean", "sd"} (default flat)
            treatments   instead of "treatment": an array of arms, each compared with control, with
                         Holm and Benjamini–Hochberg adjusted p-values

            The interval fields hold the chosen method's interval. Example:
              echo '{"metric":"proportion","control":{"n":200,"conversions":8},"treatment":{"n":800,"conversions":45}}' \\
                | holdout stats compare --json
            """)

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: "Read the request from this file instead of standard input.")
    var input: String?

    enum Method: String { case frequentist, sequential, bayesian }
    enum Metric: String { case proportion, mean, ratio }

    struct Request {
        var metric: Metric
        var method: Method
        var options: TestOptions
        var tuning: Double
        var prior: BayesianTest.Prior?
        var control: JSONObject
        var treatments: [JSONObject]
        var isMultiArm: Bool
    }

    static func parse(_ object: JSONObject) throws(CLIError) -> Request {
        try object.rejectUnknownKeys(["metric", "method", "alpha", "alternative", "control", "treatment", "treatments", "tuning", "prior"])
        let metricName = try object.string("metric") ?? "proportion"
        guard let metric = Metric(rawValue: metricName) else {
            throw CLIError("metric: must be proportion, mean or ratio, got \"\(metricName)\"")
        }
        let methodName = try object.string("method") ?? "frequentist"
        guard let method = Method(rawValue: methodName) else {
            throw CLIError("method: must be frequentist, sequential or bayesian, got \"\(methodName)\"")
        }
        let alternativeName = try object.string("alternative") ?? "two-sided"
        guard let alternative = Alternative(rawValue: alternativeName) else {
            throw CLIError("alternative: must be two-sided, greater or less, got \"\(alternativeName)\"")
        }
        if method != .frequentist && alternative != .twoSided {
            throw CLIError("alternative: \(method.rawValue) results are two-sided; drop \"alternative\" or use method frequentist")
        }
        let alpha = try object.double("alpha") ?? 0.05
        guard alpha > 0, alpha < 1 else { throw CLIError("alpha: must be in (0, 1), got \(alpha)") }
        let tuning = try object.double("tuning") ?? SequentialTest.defaultTuning
        guard tuning > 0 else { throw CLIError("tuning: must be positive, got \(tuning)") }
        var prior: BayesianTest.Prior?
        if object.has("prior") {
            let p = try object.object("prior")
            try p.rejectUnknownKeys(["mean", "sd"])
            let sd = try p.requiredDouble("sd")
            guard sd > 0 else { throw CLIError("prior.sd: must be positive, got \(sd)") }
            prior = BayesianTest.Prior(mean: try p.double("mean") ?? 0, standardDeviation: sd)
        }
        let control = try object.object("control")
        let treatments: [JSONObject]
        let isMultiArm = object.has("treatments")
        if isMultiArm {
            if object.has("treatment") { throw CLIError("give either \"treatment\" or \"treatments\", not both") }
            treatments = try object.objects("treatments")
            if treatments.isEmpty { throw CLIError("treatments: needs at least one arm") }
        } else {
            treatments = [try object.object("treatment")]
        }
        return Request(
            metric: metric, method: method, options: TestOptions(alpha: alpha, alternative: alternative), tuning: tuning,
            prior: prior, control: control, treatments: treatments, isMultiArm: isMultiArm)
    }

    static func proportion(_ arm: JSONObject) throws(CLIError) -> ProportionStatistic {
        try arm.rejectUnknownKeys(["n", "conversions"])
        let stat = ProportionStatistic(n: try arm.count("n"), conversions: try arm.count("conversions"))
        try cli { () throws(StatsError) in try stat.validate(arm: arm.path) }
        return stat
    }

    static func mean(_ arm: JSONObject) throws(CLIError) -> MeanStatistic {
        try arm.rejectUnknownKeys(["n", "sum", "sum_squares"])
        let stat = MeanStatistic(n: try arm.count("n"), sum: try arm.requiredDouble("sum"), sumSquares: try arm.requiredDouble("sum_squares"))
        try cli { () throws(StatsError) in try stat.validate(arm: arm.path) }
        return stat
    }

    static func ratio(_ arm: JSONObject) throws(CLIError) -> RatioStatistic {
        try arm.rejectUnknownKeys(["n", "sum_num", "sum_num_sq", "sum_den", "sum_den_sq", "sum_num_den"])
        let stat = RatioStatistic(
            n: try arm.count("n"), sumNumerator: try arm.requiredDouble("sum_num"),
            sumNumeratorSquares: try arm.requiredDouble("sum_num_sq"), sumDenominator: try arm.requiredDouble("sum_den"),
            sumDenominatorSquares: try arm.requiredDouble("sum_den_sq"), sumCrossProducts: try arm.requiredDouble("sum_num_den"))
        try cli { () throws(StatsError) in try stat.validate(arm: arm.path) }
        return stat
    }

    /// Runs one comparison of the request's metric and method.
    static func compare(_ request: Request, control: JSONObject, treatment: JSONObject) throws(CLIError) -> Comparison {
        let options = request.options
        let fixed: Comparison
        switch (request.metric, request.method) {
        case (.proportion, .sequential):
            let (c, t) = (try proportion(control), try proportion(treatment))
            return try cli { () throws(StatsError) in try SequentialTest.compare(control: c, treatment: t, alpha: options.alpha, tuning: request.tuning) }
        case (.mean, .sequential):
            let (c, t) = (try mean(control), try mean(treatment))
            return try cli { () throws(StatsError) in try SequentialTest.compare(control: c, treatment: t, alpha: options.alpha, tuning: request.tuning) }
        case (.ratio, .sequential):
            let (c, t) = (try ratio(control), try ratio(treatment))
            return try cli { () throws(StatsError) in
                try SequentialTest.compare(control: c, treatment: t, alpha: options.alpha, tuning: request.tuning)
            }
        case (.proportion, _):
            let (c, t) = (try proportion(control), try proportion(treatment))
            fixed = try cli { () throws(StatsError) in try ProportionTest.compare(control: c, treatment: t, options: options) }
        case (.mean, _):
            let (c, t) = (try mean(control), try mean(treatment))
            fixed = try cli { () throws(StatsError) in try WelchTest.compare(control: c, treatment: t, options: options) }
        case (.ratio, _):
            let (c, t) = (try ratio(control), try ratio(treatment))
            fixed = try cli { () throws(StatsError) in try RatioTest.compare(control: c, treatment: t, options: options) }
        }
        if request.method == .bayesian {
            return try cli { () throws(StatsError) in try BayesianTest.summarize(fixed, alpha: options.alpha, prior: request.prior) }
        }
        return fixed
    }

    struct MultiArmOutput: Encodable {
        var metric: String
        var method: String
        var alpha: Double
        var result: MultiArmComparison
    }

    func run() throws {
        let data: Data
        if let input {
            guard let contents = FileManager.default.contents(atPath: input) else {
                throw CLIError("--input: cannot read '\(input)'")
            }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw CLIError("no input: pipe a JSON request into `holdout stats compare` (see --help)")
        }
        let request = try Self.parse(try JSONObject.parse(data))
        var comparisons: [Comparison] = []
        for treatment in request.treatments {
            comparisons.append(try Self.compare(request, control: request.control, treatment: treatment))
        }
        if !request.isMultiArm {
            if json { return try Output.json(comparisons[0]) }
            print(Self.render([("treatment", comparisons[0])], method: request.method, alpha: request.options.alpha))
            return
        }
        let result = MultiArmComparison(comparisons: comparisons)
        if json {
            return try Output.json(
                MultiArmOutput(metric: request.metric.rawValue, method: request.method.rawValue, alpha: request.options.alpha, result: result))
        }
        print(
            Self.render(
                comparisons.indices.map { ("treatments[\($0)]", comparisons[$0]) }, method: request.method,
                alpha: request.options.alpha))
        let adjusted = comparisons.indices.map {
            ["treatments[\($0)]", Output.pValue(comparisons[$0].pValue), Output.pValue(result.holm[$0]), Output.pValue(result.benjaminiHochberg[$0])]
        }
        print("")
        print(Output.table(header: ["arm", "p", "p (Holm)", "p (BH)"], rows: adjusted))
    }

    /// A human-readable table of comparisons.
    static func render(_ rows: [(String, Comparison)], method: Method, alpha: Double) -> String {
        let level = Output.number((1 - alpha) * 100)
        let intervalName = method == .bayesian ? "\(level)% credible" : method == .sequential ? "\(level)% always-valid" : "\(level)% CI"
        var table = rows.map { name, c in
            [
                name, Output.number(c.controlMean), Output.number(c.treatmentMean), Output.number(c.upliftAbs),
                "[\(Output.number(c.ciLow)), \(Output.number(c.ciHigh))]", Output.percent(c.upliftRel),
                "[\(Output.percent(c.relCiLow)), \(Output.percent(c.relCiHigh))]",
                method == .bayesian ? Output.number(c.chanceToWin) : Output.pValue(c.pValue),
            ]
        }
        if table.isEmpty { table = [] }
        var text = Output.table(
            header: ["arm", "control", "treatment", "lift", intervalName, "rel. lift", "rel. interval", method == .bayesian ? "P(win)" : "p"],
            rows: table)
        for (name, c) in rows where c.insufficientData {
            text += "\n\(name): insufficient data: \(c.reason ?? "")"
        }
        return text
    }
}
