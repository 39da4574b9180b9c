import Foundation

/// The sentence `holdout ask` prints under the rows: what the rows of a built-in question say,
/// or, for an LLM's query, how many rows there are and the first one.
enum AnswerText {
    /// Most items (experiments, days) a sentence names before "and N more".
    static let listed = 10

    static func summary(intent: QuestionIntent, result: QueryResult) -> String {
        let rows = result.rows.map { Row(columns: result.columns, values: $0) }
        var text: String
        switch intent {
        case .results(let key, let mode): text = results(rows, key: key, mode: mode)
        case .significant(let alpha, let mode, let period): text = significant(rows, alpha: alpha, mode: mode, period: period)
        case .srmFailures(let threshold, let key, let period): text = srmFailures(rows, threshold: threshold, key: key, period: period)
        case .sampleSize(let key, let period): text = sampleSize(rows, key: key, period: period)
        case .exposureHealth(let key, let period): text = exposureHealth(rows, key: key, period: period)
        case .freeform: text = freeform(rows, columns: result.columns)
        }
        if result.truncated {
            text += " (The query returned more rows than the limit; only the first \(result.rows.count) were read, and this answer is about them.)"
        }
        return text
    }

    struct Row {
        var columns: [String]
        var values: [QueryValue]

        subscript(_ name: String) -> QueryValue {
            guard let index = columns.firstIndex(of: name), index < values.count else { return .null }
            return values[index]
        }
        func text(_ name: String) -> String { self[name].description }
        func double(_ name: String) -> Double? { self[name].doubleValue }
        func int(_ name: String) -> Int64 { self[name].integerValue ?? self[name].doubleValue.map { Int64($0.rounded()) } ?? 0 }
    }

    // MARK: Families

    static func results(_ rows: [Row], key: String, mode: String) -> String {
        guard !rows.isEmpty else {
            return "No results for experiment \(key): it is not an experiment of this tenant, or it has no variants."
        }
        var parts: [String] = []
        for metric in unique(rows.map { $0.text("metric_id") }) {
            let arms = rows.filter { $0.text("metric_id") == metric }.map { row -> String in
                var arm = "\(row.text("variation_id")) \(percent(row.double("conversion_rate"))) (\(row.int("n_converted"))/\(row.int("n_users")))"
                if row.int("is_control") == 1 { return arm + " [control]" }
                guard let uplift = row.double("uplift_abs") else { return arm + ", not compared (an empty arm)" }
                arm += ", \(points(uplift))"
                if let low = row.double("ci_low"), let high = row.double("ci_high") { arm += " [95% CI \(points(low)), \(points(high))]" }
                if let p = row.double("p_value_two_sided") {
                    arm += ", \(pText(p))" + (p < 0.05 ? ", significant at 5%" : ", not significant at 5%")
                } else {
                    arm += ", p undefined"
                }
                return arm
            }
            parts.append("\(metric): " + arms.joined(separator: "; "))
        }
        return "Experiment \(key) (\(mode) cohort) — " + parts.joined(separator: ". ") + "."
    }

    static func significant(_ rows: [Row], alpha: Double, mode: String, period: Period?) -> String {
        let scope = "at \(BuiltinPlanner.number(alpha)) (\(mode) cohort, results to date)" + (period.map { ", among the experiments active \($0.label)" } ?? "")
        guard !rows.isEmpty else { return "No experiment has a variant significant \(scope)." }
        let experiments = unique(rows.map { $0.text("experiment_id") })
        let described = experiments.prefix(listed).map { experiment in
            let variants = rows.filter { $0.text("experiment_id") == experiment }.map { row in
                "\(row.text("variation_id")) \(points(row.double("uplift_abs") ?? 0)), \(pText(row.double("p_value_two_sided") ?? 0))"
            }
            return "\(experiment) (\(variants.joined(separator: "; ")))"
        }
        let count = experiments.count == 1 ? "1 experiment has" : "\(experiments.count) experiments have"
        return "\(count) a variant significant \(scope): " + described.joined(separator: ", ") + more(experiments.count) + "."
    }

    static func srmFailures(_ rows: [Row], threshold: Double, key: String?, period: Period?) -> String {
        let scope = "at p < \(BuiltinPlanner.number(threshold))" + (key.map { " in experiment \($0)" } ?? "") + (period.map { ", \($0.label)" } ?? "")
        guard !rows.isEmpty else { return "No day fails the sample-ratio test \(scope)." }
        let days = rows.prefix(listed).map { row in
            "\(row.text("experiment_id")) on \(row.text("date_day").prefix(10)) (\(pText(row.double("srm_p_value") ?? 0)), \(row.int("n_assigned")) assigned)"
        }
        let count = rows.count == 1 ? "1 day fails" : "\(rows.count) days fail"
        return "\(count) the sample-ratio test \(scope): " + days.joined(separator: ", ") + more(rows.count) + "."
    }

    static func sampleSize(_ rows: [Row], key: String?, period: Period?) -> String {
        let when = period.map { $0.label } ?? "so far"
        guard !rows.isEmpty else { return "No units assigned \(when)" + (key.map { " to experiment \($0)" } ?? "") + "." }
        let experiments = unique(rows.map { $0.text("experiment_id") })
        let described = experiments.prefix(listed).map { experiment in
            let arms = rows.filter { $0.text("experiment_id") == experiment }
            let total = arms.reduce(Int64(0)) { $0 + $1.int("n_assigned") }
            let exposed = arms.reduce(Int64(0)) { $0 + $1.int("n_exposed") }
            let valid = arms.reduce(Int64(0)) { $0 + $1.int("n_valid") }
            let split = arms.map { "\($0.text("variation_id")) \($0.int("n_assigned"))" }.joined(separator: ", ")
            return "\(experiment): \(total) units assigned \(when) — \(split); \(exposed) exposed, \(valid) validly"
        }
        return described.joined(separator: "; ") + more(experiments.count) + "."
    }

    static func exposureHealth(_ rows: [Row], key: String?, period: Period?) -> String {
        guard !rows.isEmpty else {
            return "No units were assigned" + (key.map { " to experiment \($0)" } ?? "") + (period.map { " \($0.label)" } ?? "")
                + ", so there is no exposure to report."
        }
        let experiments = unique(rows.map { $0.text("experiment_id") })
        let described = experiments.prefix(listed).map { experiment in
            let days = rows.filter { $0.text("experiment_id") == experiment }
            let assigned = days.reduce(Int64(0)) { $0 + $1.int("n_assigned") }
            let exposed = days.reduce(Int64(0)) { $0 + $1.int("n_exposures") }
            let invalid = days.reduce(Int64(0)) { $0 + $1.int("n_invalid") }
            let mismatched = days.reduce(0.0) { $0 + ($1.double("mismatch_rate") ?? 0) * Double($1.int("n_exposures")) }.rounded()
            let first = days.first.map { String($0.text("date_day").prefix(10)) } ?? ""
            let last = days.last.map { String($0.text("date_day").prefix(10)) } ?? ""
            var text = "\(experiment), \(days.count == 1 ? "1 day" : "\(days.count) days") (\(first == last ? first : "\(first) to \(last)")): "
            text += "\(assigned) assigned, \(percent(ratio(exposed, assigned))) exposed, \(percent(ratio(exposed - invalid, assigned))) validly exposed, "
            text += "\(percent(exposed > 0 ? mismatched / Double(exposed) : 0)) of the exposed mismatched"
            if let lowest = days.compactMap({ $0.double("srm_p_value") }).min() { text += "; lowest daily SRM p-value \(pText(lowest, prefix: false))" }
            return text
        }
        return described.joined(separator: "; ") + more(experiments.count) + "."
    }

    static func freeform(_ rows: [Row], columns: [String]) -> String {
        guard let first = rows.first else { return "No rows." }
        let cells = zip(columns, first.values).prefix(8).map { "\($0) = \($1.description.prefix(80))" }.joined(separator: ", ")
        if rows.count == 1 { return "1 row: \(cells)\(columns.count > 8 ? ", …" : "")." }
        return "\(rows.count) rows of \(columns.prefix(8).joined(separator: ", "))\(columns.count > 8 ? ", …" : ""); the first: \(cells)."
    }

    // MARK: Formatting

    static func unique(_ values: [String]) -> [String] {
        var seen: Set<String> = []
        return values.filter { seen.insert($0).inserted }
    }

    static func more(_ count: Int) -> String { count > listed ? ", and \(count - listed) more" : "" }

    static func ratio(_ a: Int64, _ b: Int64) -> Double { b > 0 ? Double(a) / Double(b) : 0 }

    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        return String(format: "%.1f%%", value * 100)
    }

    /// An absolute uplift in percentage points, signed.
    static func points(_ value: Double) -> String { String(format: "%+.1f pp", value * 100) }

    /// "p = 0.0063", "p < 0.0001" (or the number alone).
    static func pText(_ p: Double, prefix: Bool = true) -> String {
        let number = p < 0.0001 ? (prefix ? "< 0.0001" : String(format: "%.2g", p)) : String(format: "%.2g", p)
        guard prefix else { return number }
        return p < 0.0001 ? "p \(number)" : "p = \(number)"
    }
}
