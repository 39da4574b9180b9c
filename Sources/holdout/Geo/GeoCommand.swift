import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutGeo
import HoldoutModel
import HoldoutStore

struct GeoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geo",
        abstract: "Geo holdouts: design from a tenant's orders, the daily panel, analyses and power.",
        discussion: """
            Examples:
              holdout import orders --tenant acme --file orders.csv          # imports, then designs (seed 000)
              holdout geo design --tenant acme --method matched-pairs
              holdout geo panel --tenant acme --out panel.csv
              holdout geo analyze --panel panel.csv --assignment state/analytics/experiments/geo_holdouts/acme_20260301_020000.json \\
                  --pre-start 2026-01-01 --test-start 2026-03-01 --test-end 2026-03-28 --method all
              holdout geo power --panel panel.csv --treatment-geos 9q8yy,9q9zz --test-days 28
            """,
        subcommands: [GeoDesignCommand.self, GeoPanelCommand.self, GeoAnalyzeCommand.self, GeoPowerCommand.self])
}

/// The geo holdout step's options, shared by `import orders` and `geo design`.
struct GeoStepOptions: ParsableArguments {
    @Option(help: "The orders' geo column (seed 000: ship_geohash).") var geoColumn = "ship_geohash"
    @Option(help: "Where designs and telemetry are written (state/analytics/…, state/telemetry/…).") var stateDir = "state"
    @Option(help: "The share of geos held out as control, in (0, 1).") var holdoutRatio = 0.2
    @Option(help: "The fewest control geos; fewer than max(2 × this, 4) geos skips the design.") var minHoldoutUnits = 4
    @Option(help: "The random seed of the design.") var seed: UInt64 = GeoDesign.defaultSeed
    @Option(help: "Test duration, in days, of the minimum detectable lift every design reports (TBR placebo).")
    var powerTestDays = DesignPower.defaultTestDays
    @Option(help: "Pre-period of each placebo window, in days (at least 3).") var powerPreDays = DesignPower.defaultPreDays
    @Option(help: "Level of the placebo tests, in (0, 1).") var powerLevel = 0.9
    @Option(help: "Tails of the placebo tests: 1 or 2.") var powerTails = 2

    func validate() throws {
        guard holdoutRatio.isFinite, holdoutRatio > 0, holdoutRatio < 1 else {
            throw ValidationError("--holdout-ratio must be in (0, 1), got \(holdoutRatio)")
        }
        guard minHoldoutUnits >= 1, minHoldoutUnits <= 1_000_000 else {
            throw ValidationError("--min-holdout-units must be in 1…1000000, got \(minHoldoutUnits)")
        }
        guard !geoColumn.isEmpty else { throw ValidationError("--geo-column must name a column") }
        guard !stateDir.isEmpty else { throw ValidationError("--state-dir must name a directory") }
        guard powerTestDays >= 1, powerTestDays <= 3660 else { throw ValidationError("--power-test-days must be in 1…3660, got \(powerTestDays)") }
        guard powerPreDays >= 3, powerPreDays <= 3660 else { throw ValidationError("--power-pre-days must be in 3…3660, got \(powerPreDays)") }
        guard powerLevel.isFinite, powerLevel > 0, powerLevel < 1 else { throw ValidationError("--power-level must be in (0, 1), got \(powerLevel)") }
        guard powerTails == 1 || powerTails == 2 else { throw ValidationError("--power-tails must be 1 or 2, got \(powerTails)") }
    }

    func options(method: IncrementalityStep.Method) -> IncrementalityStep.Options {
        IncrementalityStep.Options(
            geoColumn: geoColumn, holdoutRatio: holdoutRatio, minHoldoutUnits: minHoldoutUnits, seed: seed, method: method, powerTestDays: powerTestDays,
            powerPreDays: powerPreDays, powerLevel: powerLevel, powerTails: powerTails)
    }

    var state: GeoStateDirectory { GeoStateDirectory(root: stateDir) }
}

/// A `YYYY-MM-DD` option as a day; the error names the option.
func day(_ text: String, option: String) throws -> GeoDay {
    guard let day = try? GeoDay(text) else { throw CLIError("\(option): '\(text)' is not a date of the form YYYY-MM-DD") }
    return day
}

/// Readable text for the geo commands.
enum GeoOutput {
    static func describe(_ result: IncrementalityResult) -> String {
        switch result.status {
        case .success:
            guard let design = result.design else { return "incrementality: success" }
            var lines = [
                "incrementality: success — \((design.method ?? .weighted).rawValue) design for tenant \(result.tenantID): \(design.holdoutCount) of \(design.geoCount) geos "
                    + "in control, \(Output.percent(design.controlShare).dropFirst()) of revenue"
            ]
            if let power = design.power {
                let test = "\(power.testDays)-day test (TBR placebo, \(power.preDays) pre days)"
                if let mde = power.minimumDetectableLift {
                    lines.append("  minimum detectable lift: \(Output.percent(mde).dropFirst()) for a \(test)")
                } else {
                    lines.append("  minimum detectable lift: unknown for a \(test): \(power.reason ?? "")")
                }
            }
            if let path = result.assignmentPath { lines.append("  assignment: \(path)") }
            if let id = result.designID { lines.append("  stored as design \(id)") }
            return lines.joined(separator: "\n")
        case .skip:
            return "incrementality: skip (\(result.reason ?? "")) for tenant \(result.tenantID)"
                + (result.geoCount.map { " — \($0) geos" } ?? "")
        case .error:
            return "incrementality: error for tenant \(result.tenantID): \(result.reason ?? "")"
        }
    }
}

struct GeoDesignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "design",
        abstract: "Run the geo holdout step (seed 000) on a tenant's orders: design, file, database, telemetry.",
        discussion: """
            Methods: weighted (seed 000: control geos drawn with probability proportional to revenue), \
            stratified and matched-pairs (on the tenant's daily panel, the whole order history as the \
            pre-period, with balance diagnostics). Every design carries its minimum detectable lift (placebo \
            power of TBR over the order history, --power-test-days 28 and --power-pre-days 28 by default; null \
            with a reason when the history is shorter than one window). Prints the step's result: success (with the design and its \
            path), skip (no_orders, insufficient_geo) or error; exits 1 on error.

            Examples:
              holdout geo design --tenant acme
              holdout geo design --tenant acme --method stratified --holdout-ratio 0.5 --json
            """)

    @OptionGroup var db: DatabaseOptions
    @Option(help: "The tenant whose orders are read.") var tenant: String
    @OptionGroup var geo: GeoStepOptions
    @Option(help: "weighted, stratified or matched-pairs.") var method = "weighted"
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        guard !tenant.isEmpty else { throw ValidationError("--tenant must not be empty") }
        guard IncrementalityStep.Method(rawValue: method) != nil else {
            throw ValidationError("--method: '\(method)' is not one of \(IncrementalityStep.Method.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        let step = IncrementalityStep(options: geo.options(method: IncrementalityStep.Method(rawValue: method) ?? .weighted), state: geo.state)
        let tenant = self.tenant
        let result = try await db.with { store in await step.run(tenant: tenant, orders: store, designs: store, at: Date()) }
        if json {
            try Output.json(result)
        } else {
            print(GeoOutput.describe(result))
            if let design = result.design, design.assignment.count <= 40 {
                print(
                    Output.table(
                        header: ["geo", "group", "weight", "pair"],
                        rows: design.assignment.map { [$0.geo, $0.group.rawValue, Output.number($0.weight, digits: 4), $0.pair.map(String.init) ?? ""] }))
            }
        }
        if result.status == .error { throw ExitCode.failure }
    }
}

struct GeoPanelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panel",
        abstract: "Write a tenant's daily panel (date, geo, revenue) from its orders.",
        discussion: """
            Every geo gets a row for every UTC day from the first order's day to the last (0 when it had no \
            orders that day), so the panel has no missing days.

            Example:
              holdout geo panel --tenant acme --out panel.csv
            """)

    @OptionGroup var db: DatabaseOptions
    @Option(help: "The tenant whose orders are read.") var tenant: String
    @Option(help: "The CSV file to write.") var out: String
    @Flag(help: "Print one JSON object.") var json = false

    struct Written: Encodable {
        var file: String
        var geos: Int
        var days: Int
        var rows: Int
        var firstDay: String?
        var lastDay: String?

        enum CodingKeys: String, CodingKey {
            case file, geos, days, rows
            case firstDay = "first_day"
            case lastDay = "last_day"
        }
    }

    func run() async throws {
        let tenant = self.tenant
        let rows = try await db.with { store in OrdersPanel.rows(try await store.dailyRevenue(tenant: tenant)) }
        guard !rows.isEmpty else { throw CLIError("tenant '\(tenant)' has no orders: import some with holdout import orders --tenant \(tenant)") }
        try GeoFiles.writePanel(rows, to: out)
        let days = Set(rows.map(\.date)).count
        let written = Written(
            file: out, geos: rows.count / max(days, 1), days: days, rows: rows.count, firstDay: rows.first?.date.description,
            lastDay: rows.last?.date.description)
        if json {
            try Output.json(written)
        } else {
            print("wrote \(written.rows) rows (\(written.geos) geos × \(written.days) days, \(written.firstDay ?? "") … \(written.lastDay ?? "")) to \(out)")
        }
    }
}

struct GeoAnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse a geo experiment on a daily panel: summary, DiD, TBR, trimmed match, synthetic control.",
        discussion: """
            The panel is a CSV with date (YYYY-MM-DD), geo and the response (and optionally cost) per geo and \
            day, every geo on every day. The assignment is a design JSON written by the geo holdout step, or a \
            CSV geo,group[,pair] (group control or treatment; pair for trimmed match). Pre-period \
            [--pre-start, --test-start), test [--test-start, --test-end], cooldown (--test-end, --cooldown-end]. \
            Prints {panel: {geos, days, pre_days, test_days, cooldown_days}, methods: {<method>: {…}}}; with \
            --method all a method that cannot run on this panel reports its error and the others still run.

            Examples:
              holdout geo analyze --panel panel.csv --assignment design.json --pre-start 2026-01-01 \\
                  --test-start 2026-03-01 --test-end 2026-03-28 --method tbr --level 0.9 --tails 2
              holdout geo analyze --panel panel.csv --assignment design.json --pre-start 2026-01-01 \\
                  --test-start 2026-03-01 --test-end 2026-03-28 --method scm --augment --permutations 999 --seed 7
            """)

    @Option(help: "The panel CSV.") var panel: String
    @Option(help: "The assignment: a design JSON or a CSV geo,group[,pair].") var assignment: String
    @Option(help: "First pre-period day (YYYY-MM-DD).") var preStart: String
    @Option(help: "First test day.") var testStart: String
    @Option(help: "Last test day.") var testEnd: String
    @Option(help: "Last cooldown day (optional).") var cooldownEnd: String?
    @Option(help: "summary, did, tbr, trimmed-match, scm or all.") var method = "all"
    @Option(help: "Interval level, in (0, 1).") var level = 0.9
    @Option(help: "1 (one-sided, effect > 0) or 2.") var tails = 2
    @Option(help: "The response column.") var responseColumn = "revenue"
    @Option(help: "The cost column (used when present; trimmed match needs it).") var costColumn = "cost"
    @Option(help: "Trimmed match: a fixed trim rate in [0, --max-trim-rate] (default: chosen from the data).") var trimRate: Double?
    @Option(help: "Trimmed match: the largest trim rate the data may choose, in [0, 0.5) (the trimmed_match package's 0.25).")
    var maxTrimRate = 0.25
    @Flag(help: "Synthetic control: ridge-augment the weights as augsynth (λ from --ridge, else cross-validated on the pre-period).")
    var augment = false
    @Option(help: "Synthetic control: the ridge λ (≥ 0, on donors scaled to their pre-period mean); implies --augment.") var ridge: Double?
    @Option(help: "Synthetic control: permutations of the conformal test, 19…100000.") var permutations = 1000
    @Option(help: "Synthetic control: the seed of the permutations.") var seed: UInt64 = GeoDesign.defaultSeed
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if let ridge, !(ridge.isFinite && ridge >= 0) { throw ValidationError("--ridge must be a finite number ≥ 0, got \(ridge)") }
        guard (19...100_000).contains(permutations) else {
            throw ValidationError("--permutations must be in 19…100000 (19 lets a p-value reach 0.05), got \(permutations)")
        }
        guard maxTrimRate >= 0, maxTrimRate < 0.5 else { throw ValidationError("--max-trim-rate must be in [0, 0.5), got \(maxTrimRate)") }
        if let trimRate, !(trimRate >= 0 && trimRate <= maxTrimRate) {
            throw ValidationError("--trim-rate must be in [0, --max-trim-rate = \(maxTrimRate)], got \(trimRate); raise --max-trim-rate to fix a larger rate")
        }
        guard method == "all" || GeoAnalysisReport.Method(rawValue: method) != nil else {
            throw ValidationError(
                "--method: '\(method)' is not one of \(GeoAnalysisReport.Method.allCases.map(\.rawValue).joined(separator: ", ")), all")
        }
        guard level > 0, level < 1 else { throw ValidationError("--level must be in (0, 1), got \(level)") }
        guard tails == 1 || tails == 2 else { throw ValidationError("--tails must be 1 or 2, got \(tails)") }
        _ = try periods()
    }

    func periods() throws -> GeoPeriods {
        GeoPeriods(
            preStart: try day(preStart, option: "--pre-start"), testStart: try day(testStart, option: "--test-start"),
            testEnd: try day(testEnd, option: "--test-end"), cooldownEnd: try cooldownEnd.map { try day($0, option: "--cooldown-end") })
    }

    func run() throws {
        let panel = try GeoFiles.readPanel(path: self.panel, responseColumn: responseColumn, costColumn: costColumn)
        let assignment = try GeoFiles.readAssignment(path: self.assignment, panel: panel)
        let periods = try periods()
        let report = try GeoAnalysisReport.run(
            panel: panel, assignment: assignment, periods: periods, method: GeoAnalysisReport.Method(rawValue: method), level: level, tails: tails,
            trimRate: trimRate, maxTrimRate: maxTrimRate,
            scm: GeoAnalysisReport.SCMSettings(augment: augment || ridge != nil, ridge: ridge, permutations: permutations, seed: seed))
        if json {
            try Output.json(report)
            return
        }
        let p = report.panel
        print("panel: \(p.geos) geos × \(p.days) days; pre \(p.preDays), test \(p.testDays), cooldown \(p.cooldownDays) days")
        var rows: [[String]] = []
        for (method, outcome) in report.methods {
            func row(_ e: GeoEstimate) -> [String] {
                [
                    method.rawValue, Output.number(e.incremental), Output.number(e.ciLow), Output.number(e.ciHigh), Output.pValue(e.pValue),
                    Output.percent(e.lift), "",
                ]
            }
            switch outcome {
            case .summary(let r): rows.append(row(r.estimate))
            case .did(let r): rows.append(row(r.estimate))
            case .tbr(let r): rows.append(row(r.estimate))
            case .scm(let r): rows.append(row(r.estimate))
            case .trimmedMatch(let r):
                rows.append([
                    method.rawValue, "iROAS " + Output.number(r.iroas), Output.number(r.ciLow), Output.number(r.ciHigh), Output.pValue(r.pValue), "", "",
                ])
            case .failed(let message): rows.append([method.rawValue, "—", "—", "—", "—", "—", message])
            }
        }
        print(Output.table(header: ["method", "incremental", "ci_low", "ci_high", "p", "lift", "note"], rows: rows))
        print("level \(level), \(tails)-sided; --json prints every field")
    }
}

struct GeoPowerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "power",
        abstract: "Placebo power of a geo test (TBR or synthetic control) on a panel's history.",
        discussion: """
            Slides windows of --pre-days + --test-days over the panel, injects each relative effect into the \
            treatment geos' test days and counts how often the analysis detects it at --level: TBR's test \
            (--method tbr, the default) or synthetic control's conformal permutation test (--method scm, \
            --permutations permutations of the window's days drawn with --seed; slower: one fit of the donor \
            weights per window and effect). The treatment geos come from --assignment (a design JSON or CSV) \
            or --treatment-geos (every other geo is control). --json prints {method, plan, windows, \
            false_positive_rate, points, minimum_detectable_lift}, with permutations and seed for scm.

            Examples:
              holdout geo power --panel panel.csv --treatment-geos 9q8yy,9q9zz --test-days 28 --effect-sizes 0.02,0.05,0.1
              holdout geo power --panel panel.csv --assignment design.json --test-days 14 --method scm --permutations 199 --json
            """)

    @Option(help: "The panel CSV (date, geo, revenue).") var panel: String
    @Option(help: "The assignment: a design JSON or a CSV geo,group[,pair].") var assignment: String?
    @Option(help: "Treatment geos, comma-separated (the others are control).") var treatmentGeos: String?
    @Option(help: "Test days per window.") var testDays: Int
    @Option(help: "Pre days per window (default: the panel's days − test days, at most 4 × test days).") var preDays: Int?
    @Option(help: "Relative effects, ascending, comma-separated.") var effectSizes = "0.01,0.02,0.03,0.05,0.1,0.2"
    @Option(help: "The placebo analysis: tbr (TBR's test) or scm (synthetic control's conformal test).") var method = "tbr"
    @Option(help: "scm: permutations of each conformal test, 19…\(GeoPower.maxPermutations) (default \(GeoPower.defaultPermutations)).")
    var permutations: Int?
    @Option(help: "scm: the seed of the permutations (default \(GeoDesign.defaultSeed)).") var seed: UInt64?
    @Option(help: "Interval level, in (0, 1).") var level = 0.9
    @Option(help: "1 or 2.") var tails = 2
    @Option(help: "The response column.") var responseColumn = "revenue"
    @Flag(help: "Print one JSON object.") var json = false

    static let methods = ["tbr", "scm"]

    func validate() throws {
        guard (assignment == nil) != (treatmentGeos == nil) else { throw ValidationError("give --assignment FILE or --treatment-geos a,b,… (one of them)") }
        guard Self.methods.contains(method) else {
            throw ValidationError("--method: '\(method)' is not one of \(Self.methods.joined(separator: ", ")) (the analyses with a placebo power)")
        }
        if method != "scm", permutations != nil || seed != nil {
            throw ValidationError("--permutations and --seed apply to --method scm only (TBR's test has no permutations)")
        }
        if let permutations, permutations < 19 || permutations > GeoPower.maxPermutations {
            throw ValidationError("--permutations must be in 19…\(GeoPower.maxPermutations) (19 lets a p-value reach 0.05), got \(permutations)")
        }
        guard testDays >= 1 else { throw ValidationError("--test-days must be at least 1, got \(testDays)") }
        if let preDays { guard preDays >= 3 else { throw ValidationError("--pre-days must be at least 3, got \(preDays)") } }
        guard level > 0, level < 1 else { throw ValidationError("--level must be in (0, 1), got \(level)") }
        guard tails == 1 || tails == 2 else { throw ValidationError("--tails must be 1 or 2, got \(tails)") }
        _ = try lifts()
    }

    func lifts() throws -> [Double] {
        let parts = effectSizes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var values: [Double] = []
        for part in parts {
            guard let v = Double(part), v.isFinite, v >= 0 else { throw ValidationError("--effect-sizes: '\(part)' is not a non-negative number") }
            values.append(v)
        }
        guard !values.isEmpty, zip(values, values.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw ValidationError("--effect-sizes must be ascending, e.g. 0.01,0.02,0.05")
        }
        return values
    }

    func run() throws {
        let panel = try GeoFiles.readPanel(path: self.panel, responseColumn: responseColumn)
        let assignment: GeoAssignment
        if let file = self.assignment {
            assignment = try GeoFiles.readAssignment(path: file, panel: panel)
        } else {
            let names = (treatmentGeos ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for name in names where panel.position(of: name) == nil {
                throw CLIError("--treatment-geos: geo '\(name)' is not in the panel (\(panel.geos.count) geos); fix the geo id")
            }
            let treated = Set(names.map { OpaqueID($0) })
            let control = panel.geos.filter { !treated.contains(OpaqueID($0)) }
            assignment = GeoAssignment(control: control, treatment: names)
        }
        let pre = preDays ?? min(panel.dayCount - testDays, 4 * testDays)
        let plan = GeoPower.Plan(preDays: pre, testDays: testDays, level: level, tails: tails, lifts: try lifts())
        let history = panel.firstDay...panel.lastDay
        let scm = method == "scm"
        let permutations = self.permutations ?? GeoPower.defaultPermutations
        let seed = self.seed ?? GeoDesign.defaultSeed
        let result =
            scm
            ? try GeoPower.placeboSCM(panel: panel, assignment: assignment, history: history, plan: plan, permutations: permutations, seed: seed)
            : try GeoPower.placebo(panel: panel, assignment: assignment, history: history, plan: plan)
        if json {
            try Output.json(PowerOutput(method: method, permutations: scm ? permutations : nil, seed: scm ? seed : nil, result: result))
            return
        }
        let analysis = scm ? "SCM, conformal test with \(permutations) permutations, seed \(seed)" : "TBR"
        print(
            "placebo power (\(analysis)): \(result.windows) windows of \(pre) pre + \(testDays) test days; false-positive rate \(Output.number(result.falsePositiveRate, digits: 3))"
        )
        print(Output.table(header: ["effect", "power"], rows: result.points.map { [Output.percent($0.lift), Output.number($0.power, digits: 3)] }))
        print("minimum detectable effect (80% power): \(result.minimumDetectableLift.map { Output.percent($0) } ?? "not reached on this grid")")
    }

    /// The JSON of `--json`: the method (and the conformal test's settings) beside ``GeoPower/Result``'s keys.
    struct PowerOutput: Encodable {
        let method: String
        let permutations: Int?
        let seed: UInt64?
        let result: GeoPower.Result

        enum CodingKeys: String, CodingKey { case method, permutations, seed }

        func encode(to encoder: any Encoder) throws {
            try result.encode(to: encoder)
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(method, forKey: .method)
            try c.encodeIfPresent(permutations, forKey: .permutations)
            try c.encodeIfPresent(seed, forKey: .seed)
        }
    }
}
