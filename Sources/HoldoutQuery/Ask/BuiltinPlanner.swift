import Foundation

/// The deterministic planner: recognises the common questions by their words and writes the SQL
/// for them, with no model and no network.
///
/// | Family | Recognised by | Reads |
/// |---|---|---|
/// | SRM failures | "srm", "sample ratio" | `fct_experiment_exposure_quality_daily`, days with `srm_p_value` < 0.001 (or "at N%") |
/// | significant experiments | "significant", "significance" | `fct_experiment_results`, non-control variants with `p_value_two_sided` < 0.05 (or "at N%") |
/// | sample size so far | "sample size", "how many units/users/…", "assigned", "enrolled" | `fct_experiment_cohort`, units per variant |
/// | exposure health | "exposure", "exposed" | `fct_experiment_exposure_quality_daily`, per day |
/// | results of an experiment | "result", "uplift", "lift", "how is … doing", "conversion", "winner", … and a key | `fct_experiment_results` |
///
/// The first family that matches, in this order, decides. An experiment is named by a quoted key
/// (`'email-q1'`, `"email-q1"`, `` `email-q1` ``), by one of the tenant's keys written as a word,
/// or by the word after "experiment"; a period by ``Period/find(in:now:)``. Results and
/// significance use the ITT cohort unless the question says "exposure mode" (or "exposure
/// analysis"). Values reach the SQL as escaped string literals, and the guard checks the SQL
/// anyway.
public struct BuiltinPlanner: QuestionPlanner {
    public let name = "builtin"

    public init() {}

    /// The forms the planner understands, for its error message and `holdout ask --help`.
    public static let supportedForms = [
        "results of 'KEY' (or: how is KEY doing?)",
        "exposure health of KEY this week",
        "which experiments are significant this week? (at 1%, …)",
        "SRM failures in the last 7 days",
        "sample size of KEY so far",
    ]

    public func plan(_ question: String, context: PlanningContext) async throws(PlanningError) -> QueryPlan {
        try planSynchronously(question, context: context)
    }

    /// The plan, without suspending (the planner does no I/O).
    public func planSynchronously(_ question: String, context: PlanningContext) throws(PlanningError) -> QueryPlan {
        let text = try validatedQuestion(question)
        let key = try Self.experimentKey(in: text, known: context.experimentKeys)
        // The words of the key are not the question's: "results of srm-today" asks for results.
        let lower = (key.map { text.replacingOccurrences(of: $0, with: " ", options: .caseInsensitive) } ?? text).lowercased()
        let period = try Period.find(in: lower, now: context.now)
        let mode = lower.contains(#/\bexposure[\s-]+(?:mode|analysis|based)\b/#) ? "exposure" : "itt"

        if lower.contains(#/\bsrm\b|\bsample[\s-]+ratio\b/#) {
            let threshold = try Self.level(in: lower) ?? 0.001
            return srmFailures(threshold: threshold, key: key, period: period)
        }
        if lower.contains(#/\bsignifican(?:t|ce|tly)\b|\bstat(?:istically)?[\s-]*sig\b/#) {
            let alpha = try Self.level(in: lower) ?? 0.05
            return significant(alpha: alpha, mode: mode, period: period)
        }
        if lower.contains(
            #/\bsample[\s-]+sizes?\b|\bhow\s+many\s+(?:units|users|profiles|people|customers|subjects)\b|\bassigned\b|\benrolled\b|\benrollment\b/#)
        {
            return sampleSize(key: key, period: period)
        }
        if lower.contains(#/\bexposures?\b|\bexposed\b/#) && mode == "itt" {
            return exposureHealth(key: key, period: period)
        }
        if lower.contains(
            #/\bresults?\b|\buplift\b|\blift\b|\bhow(?:'s|\s+is|\s+are)\b|\bdoing\b|\bperform(?:s|ing|ance)?\b|\bconver(?:sion|sions|ts|ting)\b|\bwinn(?:er|ing)\b|\bp[\s-]?values?\b|\beffects?\b/#
        ) {
            guard let key else {
                throw PlanningError(
                    .notUnderstood,
                    "which experiment? Name it by its key, quoted if it is not one of this tenant's (e.g. results of 'email-q1')")
            }
            return results(key: key, mode: mode)
        }
        throw PlanningError(
            .notUnderstood,
            "the built-in planner does not understand \"\(text.prefix(200))\"; it answers: "
                + Self.supportedForms.joined(separator: "; ")
                + ". For other questions use the LLM planner (--planner llm with HOLDOUT_LLM_URL and HOLDOUT_LLM_MODEL set), or `holdout sql run`.")
    }

    // MARK: The families

    func results(key: String, mode: String) -> QueryPlan {
        let sql = """
            SELECT metric_id, variation_id, is_control, n_users, n_converted, conversion_rate, uplift_abs, uplift_rel, p_value_two_sided, ci_low, ci_high
            FROM fct_experiment_results
            WHERE experiment_id = \(Self.literal(key)) AND analysis_mode = \(Self.literal(mode))
            ORDER BY metric_id, is_control DESC, variation_id
            """
        return QueryPlan(
            planner: name, sql: sql,
            explanation:
                "Results of experiment \(key) (\(mode) cohort): each variant against the control, two-sided pooled z-test, 95% Wald interval, live from the events.",
            intent: .results(experiment: key, mode: mode))
    }

    func significant(alpha: Double, mode: String, period: Period?) -> QueryPlan {
        var conditions = ["analysis_mode = \(Self.literal(mode))", "is_control = 0", "p_value_two_sided < \(Self.number(alpha))"]
        var explanation =
            "Variants whose two-sided p-value against the control is below \(Self.number(alpha)) (\(mode) cohort, results to date)"
        if let period {
            conditions.append(
                """
                experiment_id IN (SELECT experiment_id FROM fct_experiment_cohort \
                WHERE (assigned_at >= \(period.startMicroseconds) AND assigned_at < \(period.endMicroseconds)) \
                OR (first_exposure_at >= \(period.startMicroseconds) AND first_exposure_at < \(period.endMicroseconds)))
                """)
            explanation += ", of the experiments that assigned or exposed units \(period.label)"
        }
        let sql = """
            SELECT experiment_id, metric_id, variation_id, n_users, conversion_rate, uplift_abs, uplift_rel, p_value_two_sided, ci_low, ci_high
            FROM fct_experiment_results
            WHERE \(conditions.joined(separator: "\n    AND "))
            ORDER BY p_value_two_sided, experiment_id, metric_id, variation_id
            """
        return QueryPlan(planner: name, sql: sql, explanation: explanation + ".", intent: .significant(alpha: alpha, mode: mode, period: period))
    }

    func srmFailures(threshold: Double, key: String?, period: Period?) -> QueryPlan {
        var conditions = ["srm_p_value < \(Self.number(threshold))"]
        if let key { conditions.append("experiment_id = \(Self.literal(key))") }
        conditions += Self.dayConditions(period)
        let sql = """
            SELECT experiment_id, date_day, n_assigned, srm_p_value
            FROM fct_experiment_exposure_quality_daily
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY srm_p_value, experiment_id, date_day
            """
        return QueryPlan(
            planner: name, sql: sql,
            explanation:
                "Days whose assignments fail the sample-ratio test (chi-squared against the planned weights, p < \(Self.number(threshold)))"
                + (key.map { " in experiment \($0)" } ?? "") + (period.map { ", \($0.label)" } ?? "") + ".",
            intent: .srmFailures(threshold: threshold, experiment: key, period: period))
    }

    func sampleSize(key: String?, period: Period?) -> QueryPlan {
        var conditions: [String] = []
        if let key { conditions.append("experiment_id = \(Self.literal(key))") }
        if let period { conditions.append("assigned_at >= \(period.startMicroseconds) AND assigned_at < \(period.endMicroseconds)") }
        let sql = """
            SELECT experiment_id, variation_id, COUNT(*) AS n_assigned, SUM(is_exposed) AS n_exposed,
                SUM(CASE WHEN validation_status = 'valid' THEN 1 ELSE 0 END) AS n_valid
            FROM fct_experiment_cohort\(conditions.isEmpty ? "" : "\nWHERE " + conditions.joined(separator: " AND "))
            GROUP BY experiment_id, variation_id
            ORDER BY experiment_id, variation_id
            """
        return QueryPlan(
            planner: name, sql: sql,
            explanation: "Units assigned per variant" + (key.map { " of experiment \($0)" } ?? ", per experiment")
                + (period.map { ", \($0.label)" } ?? " so far") + ", with how many were exposed and validly exposed.",
            intent: .sampleSize(experiment: key, period: period))
    }

    func exposureHealth(key: String?, period: Period?) -> QueryPlan {
        var conditions: [String] = []
        if let key { conditions.append("experiment_id = \(Self.literal(key))") }
        conditions += Self.dayConditions(period)
        let sql = """
            SELECT experiment_id, date_day, n_assigned, n_exposures, n_invalid, exposure_rate, valid_exposure_rate, mismatch_rate, srm_p_value
            FROM fct_experiment_exposure_quality_daily\(conditions.isEmpty ? "" : "\nWHERE " + conditions.joined(separator: " AND "))
            ORDER BY experiment_id, date_day
            """
        return QueryPlan(
            planner: name, sql: sql,
            explanation: "Daily exposure health of the units assigned each day" + (key.map { " in experiment \($0)" } ?? "")
                + (period.map { ", \($0.label)" } ?? "") + ": exposure, valid exposure and mismatch rates, and the day's SRM p-value.",
            intent: .exposureHealth(experiment: key, period: period))
    }

    // MARK: Parsing

    /// `date_day` within the period: ISO day text compares in day order on SQLite, and
    /// PostgreSQL reads the literal as a DATE.
    static func dayConditions(_ period: Period?) -> [String] {
        guard let period else { return [] }
        return ["date_day >= \(literal(period.firstDayString))", "date_day < \(literal(period.endDayString))"]
    }

    /// A significance level: "at 1%", "at 0.01", "alpha 0.01", "p < 0.01", "95% confidence".
    static func level(in lower: String) throws(PlanningError) -> Double? {
        var value: Double?
        if let match = lower.firstMatch(of: #/(\d{1,2}(?:\.\d+)?)\s*%\s*(?:confidence|confident|level of confidence)/#) {
            value = Double(match.1).map { 1 - $0 / 100 }
        } else if let match = lower.firstMatch(of: #/\b(?:at|alpha|level|threshold)\s*(?:of\s*|=\s*)?(\d{1,2}(?:\.\d+)?)\s*%/#) {
            value = Double(match.1).map { $0 / 100 }
        } else if let match = lower.firstMatch(of: #/\b(?:at|alpha|level|threshold|p)\s*(?:of\s*|=\s*|<=?\s*)?(0?\.\d+)\b/#) {
            value = Double(match.1)
        }
        guard let value else { return nil }
        guard value > 0, value <= 0.5 else {
            throw PlanningError(.invalidInput, "a significance level must be above 0 and at most 50% (0.5), got \(number(value))")
        }
        return value
    }

    /// Words that follow "experiment" without being a key.
    static let notKeys: Set<String> = [
        "is", "are", "was", "the", "a", "an", "results", "result", "doing", "so", "far", "this", "with", "in", "of", "for", "that", "which",
        "has", "have", "size", "sizes", "health", "exposure", "exposures", "significant", "key",
    ]

    /// The experiment the question names: a quoted value, a known key written as a word (the
    /// earliest in the question), or the word after "experiment".
    static func experimentKey(in text: String, known: [String]) throws(PlanningError) -> String? {
        // A quote opens at the start or after a non-word character and closes before one, so the
        // apostrophes of "how's" and "experiment's" are not quotes.
        if let match = text.firstMatch(of: #/(?:^|[^\w])(?:'([^']*)'|"([^"]*)"|`([^`]*)`|‘([^’]*)’|“([^”]*)”)(?:[^\w]|$)/#) {
            let value = String(match.1 ?? match.2 ?? match.3 ?? match.4 ?? match.5 ?? "")
            guard !value.isEmpty, value.utf8.count <= 200, !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw PlanningError(.invalidInput, "a quoted experiment key must be 1–200 bytes without control characters")
            }
            return value
        }
        let words = text.split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == ";" || $0 == "(" || $0 == ")" }).map { word in
            var w = Substring(word)
            while let last = w.last, "?.!:".contains(last) { w = w.dropLast() }
            if w.hasSuffix("'s") || w.hasSuffix("’s") { w = w.dropLast(2) }
            return String(w)
        }
        let knownSet = Set(known)
        let knownLower = Dictionary(known.map { ($0.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        for word in words {
            if knownSet.contains(word) { return word }
            if let key = knownLower[word.lowercased()] { return key }
        }
        for (index, word) in words.enumerated().dropLast() where word.lowercased() == "experiment" {
            let next = words[index + 1]
            if !notKeys.contains(next.lowercased()), next.utf8.count <= 200, next.contains(#/^[A-Za-z0-9][A-Za-z0-9_.:\/-]*$/#) {
                return next
            }
        }
        return nil
    }

    /// A SQL string literal (quotes doubled; both engines read it the same way with PostgreSQL's
    /// standard_conforming_strings, its default since 9.1).
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// A number as SQL and prose write it: 0.05, 0.001.
    static func number(_ value: Double) -> String {
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
