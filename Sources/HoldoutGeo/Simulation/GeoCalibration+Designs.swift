extension GeoCalibration {
    /// How well TBR's lift estimate does under one design, over the same simulated panels as
    /// the other designs of the comparison.
    ///
    /// Encoded with snake_case keys.
    public struct DesignRow: Sendable, Hashable, Codable {
        public var scenario: String
        public var design: String
        public var runs: Int
        public var analysed: Int
        /// Mean control geos per run.
        public var controlGeos: Double
        /// The mean true lift (the scenario's lift exactly when the effect is a pure lift).
        public var trueLift: Double
        public var bias: Double
        public var biasSE: Double
        public var rmse: Double
        public var rmseSE: Double
        public var coverage: Double
        public var coverageSE: Double
        /// mean(error² − reference error²) over runs analysed by both, against the first design
        /// of the comparison (0 for it): negative means a smaller MSE, on the same panels.
        public var mseDifference: Double
        public var mseDifferenceSE: Double

        enum CodingKeys: String, CodingKey {
            case scenario, design, runs, analysed, bias, rmse, coverage
            case controlGeos = "control_geos"
            case trueLift = "true_lift"
            case biasSE = "bias_se"
            case rmseSE = "rmse_se"
            case coverageSE = "coverage_se"
            case mseDifference = "mse_difference"
            case mseDifferenceSE = "mse_difference_se"
        }
    }

    /// TBR's lift estimate under each of `designs` on the same simulated panels.
    ///
    /// Run r draws y0 with seed ``runSeed(_:run:)`` once; each design assigns geos from its
    /// pre-period, the scenario's effect is injected in that design's treatment geos, and TBR
    /// (two-sided, level 1 − α) estimates the lift, compared with the run's true lift
    /// (incremental / counterfactual of that design's treatment group). The lift is relative,
    /// so designs with different group sizes compare fairly. Sharing the panels makes the
    /// paired MSE differences far more precise than the RMSEs themselves.
    ///
    /// - Throws: ``GeoError`` for invalid settings or a design that cannot be made.
    public static func compareDesigns(
        scenario: GeoScenario, designs: [GeoScenario.Design], settings: Settings, parallelism: Int = 2, progress: (@Sendable (Int) -> Void)? = nil
    ) throws(GeoError) -> [DesignRow] {
        try settings.validate()
        guard !designs.isEmpty else { throw GeoError(.invalidInput, "choose at least one design") }
        let generator = try GeoPanelGenerator(scenario)
        let level = 1 - settings.alpha
        struct Cell: Sendable {
            var estimate: Double?
            var low: Double?
            var high: Double?
            var truth: Double
            var controlGeos: Int
        }
        let runs = try parallel(runs: settings.runs, parallelism: parallelism, progress: progress) { r throws(GeoError) -> [Cell] in
            let seed = runSeed(settings.seed, run: r)
            let base = generator.baseline(seed: seed)
            var cells: [Cell] = []
            for design in designs {
                let assignment = try generator.design(design, baseline: base, seed: seed)
                let run = try generator.experiment(baseline: base, assignment: assignment)
                let controls = assignment.entries.filter { $0.group == .control }.count
                var cell = Cell(truth: run.truth.lift, controlGeos: controls)
                if let tbr = try? GeoAnalysis.tbr(panel: run.panel, assignment: run.assignment, periods: run.periods, level: level).estimate,
                    let lift = tbr.lift, let high = tbr.ciHigh
                {
                    // The lift's interval from the incremental's: lift is monotone in it for a fixed observed total.
                    let observed = run.truth.counterfactual + run.truth.incremental
                    cell.estimate = lift
                    cell.low = GeoAnalysis.lift(incremental: tbr.ciLow, observed: observed)
                    cell.high = GeoAnalysis.lift(incremental: high, observed: observed)
                }
                cells.append(cell)
            }
            return cells
        }
        var rows: [DesignRow] = []
        for (k, design) in designs.enumerated() {
            let cells = runs.map { $0[k] }
            let usable = cells.filter { $0.estimate != nil }
            let errors = usable.map { $0.estimate! - $0.truth }
            let n = Double(usable.count)
            let (bias, errorSD) = meanAndSD(errors)
            let (mse, squareSD) = meanAndSD(errors.map { $0 * $0 })
            let rmse = mse.squareRoot()
            let covered = usable.filter { c in c.low.map { $0 <= c.truth } ?? false && c.high.map { c.truth <= $0 } ?? true }.count
            let coverage = n > 0 ? Double(covered) / n : 0
            var differences: [Double] = []
            for run in runs {
                if let a = run[k].estimate, let b = run[0].estimate {
                    differences.append((a - run[k].truth) * (a - run[k].truth) - (b - run[0].truth) * (b - run[0].truth))
                }
            }
            let (difference, differenceSD) = meanAndSD(differences)
            rows.append(
                DesignRow(
                    scenario: scenario.name, design: design.rawValue, runs: cells.count, analysed: usable.count,
                    controlGeos: cells.isEmpty ? 0 : Double(cells.reduce(0) { $0 + $1.controlGeos }) / Double(cells.count),
                    trueLift: cells.isEmpty ? 0 : cells.reduce(0) { $0 + $1.truth } / Double(cells.count),
                    bias: bias, biasSE: n > 0 ? errorSD / n.squareRoot() : 0,
                    rmse: rmse, rmseSE: rmse > 0 && n > 0 ? squareSD / (2 * rmse * n.squareRoot()) : 0,
                    coverage: coverage, coverageSE: n > 0 ? (coverage * (1 - coverage) / n).squareRoot() : 0,
                    mseDifference: difference, mseDifferenceSE: differences.isEmpty ? 0 : differenceSD / Double(differences.count).squareRoot()))
        }
        return rows
    }
}
