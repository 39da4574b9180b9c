import ArgumentParser
import HoldoutStats

struct PowerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "power",
        abstract: "Plan an experiment: the sample size to detect an effect, or the effect a sample can detect.",
        discussion: """
            Two-sided test, unequal allocation allowed. For a conversion rate give --baseline-rate; for a \
            mean (revenue per user) give --metric mean and --std-dev.

            Examples:
              holdout power --baseline-rate 0.05 --mde 0.01
              holdout power --baseline-rate 0.05 --mde 0.10 --relative --treatment-rate 0.8
              holdout power --baseline-rate 0.05 --for-n 20000          # MDE reachable with 20,000 units
              holdout power --metric mean --std-dev 40 --mde 2 --variance-reduction 0.3 --json

            --variance-reduction is the share of variance CUPED removes (its R²); it scales N by (1 − R²).
            """)

    enum Metric: String, ExpressibleByArgument, CaseIterable {
        case proportion, mean
    }

    @Option(help: "The metric: proportion (conversion rate) or mean.")
    var metric: Metric = .proportion

    @Option(help: "Control's conversion rate, in (0, 1). Required for proportions.")
    var baselineRate: Double?

    @Option(help: "Standard deviation of the metric per unit. Required for means.")
    var stdDev: Double?

    @Option(help: "Control's mean, needed only for a relative MDE on a mean.")
    var baselineMean: Double?

    @Option(help: "Minimum detectable effect: absolute (0.01 = 1 percentage point) unless --relative.")
    var mde: Double?

    @Flag(help: "Read --mde as a fraction of the baseline (0.1 = +10%).")
    var relative = false

    @Option(help: "Significance level α (two-sided).")
    var alpha: Double = 0.05

    @Option(help: "Statistical power, 1 − β, greater than α/2 (0.8 is usual).")
    var power: Double = 0.8

    @Option(help: "Share of units in treatment, in (0, 1).")
    var treatmentRate: Double = 0.5

    @Option(help: "Variance removed by covariates (CUPED R²), in [0, 1).")
    var varianceReduction: Double = 0

    @Option(name: .customLong("for-n"), help: "Instead of a sample size, print the MDE reachable with this many units in total.")
    var forN: Int?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        switch metric {
        case .proportion:
            guard baselineRate != nil else { throw ValidationError("--baseline-rate is required for a proportion (e.g. --baseline-rate 0.05)") }
        case .mean:
            guard stdDev != nil else { throw ValidationError("--std-dev is required for --metric mean") }
        }
        if forN == nil && mde == nil { throw ValidationError("give --mde (to get a sample size) or --for-n (to get an MDE)") }
        if forN != nil && mde != nil { throw ValidationError("--mde and --for-n are alternatives; give one") }
    }

    struct SampleSizeOutput: Encodable {
        var total_sample_size: Int
        var treatment_size: Int
        var control_size: Int
        var baseline_rate: Double?
        var baseline_mean: Double?
        var std_dev: Double?
        var mde: Double
        var mde_abs: Double
        var relative: Bool
        var alpha: Double
        var power: Double
        var treatment_rate: Double
        var variance_reduction: Double
        var metric: String
    }

    struct MDEOutput: Encodable {
        var total_sample_size: Int
        var mde_abs: Double
        var mde_rel: Double?
        var baseline_rate: Double?
        var std_dev: Double?
        var alpha: Double
        var power: Double
        var treatment_rate: Double
        var variance_reduction: Double
        var metric: String
    }

    func run() throws {
        let design = PowerAnalysis.Design(
            alpha: alpha, power: power, treatmentShare: treatmentRate, varianceReduction: varianceReduction)
        if let forN {
            let mdeAbs: Double
            switch metric {
            case .proportion:
                mdeAbs = try PowerAnalysis.proportionMDE(baseline: baselineRate ?? 0, totalSampleSize: Double(forN), design: design)
            case .mean:
                mdeAbs = try PowerAnalysis.meanMDE(standardDeviation: stdDev ?? 0, totalSampleSize: Double(forN), design: design)
            }
            let baseline = metric == .proportion ? baselineRate : baselineMean
            let out = MDEOutput(
                total_sample_size: forN, mde_abs: mdeAbs, mde_rel: baseline.map { mdeAbs / abs($0) },
                baseline_rate: baselineRate, std_dev: stdDev, alpha: alpha, power: power,
                treatment_rate: treatmentRate, variance_reduction: varianceReduction, metric: metric.rawValue)
            if json { return try Output.json(out) }
            var lines = ["With \(forN) units (\(Output.number(treatmentRate * 100))% in treatment), α = \(alpha), power = \(power):"]
            lines.append("  minimum detectable effect: \(Output.number(mdeAbs)) absolute")
            if let rel = out.mde_rel { lines.append("                             \(Output.percent(rel)) relative") }
            print(lines.joined(separator: "\n"))
            return
        }
        let plan: PowerAnalysis.Plan
        switch metric {
        case .proportion:
            plan = try PowerAnalysis.proportionSampleSize(baseline: baselineRate ?? 0, mde: mde ?? 0, relative: relative, design: design)
        case .mean:
            plan = try PowerAnalysis.meanSampleSize(
                standardDeviation: stdDev ?? 0, mde: mde ?? 0, relative: relative, baselineMean: baselineMean, design: design)
        }
        let out = SampleSizeOutput(
            total_sample_size: plan.totalSampleSize, treatment_size: plan.treatmentSize, control_size: plan.controlSize,
            baseline_rate: baselineRate, baseline_mean: baselineMean, std_dev: stdDev, mde: mde ?? 0,
            mde_abs: plan.mdeAbsolute, relative: relative, alpha: alpha, power: power, treatment_rate: treatmentRate,
            variance_reduction: varianceReduction, metric: metric.rawValue)
        if json { return try Output.json(out) }
        print(
            Output.table(
                header: ["", "units"],
                rows: [
                    ["control", "\(plan.controlSize)"], ["treatment", "\(plan.treatmentSize)"],
                    ["total", "\(plan.totalSampleSize)"],
                ]))
        print(
            "to detect \(Output.number(plan.mdeAbsolute)) absolute with α = \(alpha) (two-sided), power = \(power), "
                + "\(Output.number(treatmentRate * 100))% in treatment"
                + (varianceReduction > 0 ? ", variance reduction \(varianceReduction)" : ""))
    }
}
