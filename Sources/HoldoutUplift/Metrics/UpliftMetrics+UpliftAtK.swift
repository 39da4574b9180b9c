extension UpliftMetrics {
    /// scikit-uplift's `uplift_at_k`: the treated mean outcome minus the control mean outcome
    /// among the top of the ranking.
    ///
    /// - `overall`: the first m rows of the ranking, m = `int(n · k)` for a fraction (truncated,
    ///   computed in floating point exactly as Python does, so `int(100 · 0.29)` = 28) or k for
    ///   a count; uplift = mean(y | treated, top m) − mean(y | control, top m).
    /// - `by_group`: the first m_t = `int(n_t · k)` treated rows and the first m_c = `int(n_c · k)`
    ///   control rows in ranking order (k each for a count); uplift = mean of the former − mean of
    ///   the latter.
    ///
    /// Tied scores are cut in scikit-uplift's order (later rows first). Outcomes may be any real
    /// numbers (scikit-uplift itself requires 0/1).
    ///
    /// - Parameters:
    ///   - k: a fraction in (0, 1) or a row count in (0, n), as scikit-uplift (default 0.3).
    ///   - strategy: ``Strategy/overall`` or ``Strategy/byGroup``.
    /// - Throws: ``UpliftError``: `invalid_input` (field `k`) when k is out of range or, for
    ///   `by_group`, larger than an arm; `undefined` (field `uplift_at_k.<strategy>`) when an arm
    ///   has no rows among those taken — scikit-uplift returns NaN there.
    /// - Complexity: O(log n) on the ranked sample.
    public static func upliftAtK(_ sample: UpliftSample, k: K = .fraction(0.3), strategy: Strategy) throws(UpliftError) -> Double {
        try sample.ranked.upliftAtK(k: k, strategy: strategy)
    }
}

extension RankedRows {
    /// Checks k as scikit-uplift: a fraction in (0, 1) or a count in (0, n).
    func validate(k: UpliftMetrics.K) throws(UpliftError) {
        switch k {
        case .fraction(let f):
            guard f.isFinite, f > 0, f < 1 else {
                throw UpliftError(.invalidInput, "k = \(f) must be a fraction in (0, 1) or a row count in (0, \(units))", field: "k")
            }
        case .count(let c):
            guard c > 0, c < units else {
                throw UpliftError(.invalidInput, "k = \(c) must be a row count in (0, \(units)) (the number of rows) or a fraction in (0, 1)", field: "k")
            }
        }
    }

    /// The rows taken from `total` rows: `int(total · k)` or k.
    static func rowsTaken(_ k: UpliftMetrics.K, of total: Int) -> Int {
        switch k {
        case .fraction(let f): Int(Double(total) * f)
        case .count(let c): c
        }
    }

    func upliftAtK(k: UpliftMetrics.K, strategy: UpliftMetrics.Strategy) throws(UpliftError) -> Double {
        try validate(k: k)
        let field = "uplift_at_k.\(strategy.rawValue)"
        switch strategy {
        case .overall:
            let taken = Self.rowsTaken(k, of: units)
            let top = prefix(units: taken)
            for (arm, count) in [("treated", top.treated), ("control", top.control)] where count == 0 {
                throw UpliftError(
                    .undefined, "uplift_at_k (overall, k = \(k)) is undefined: no \(arm) rows among the top \(taken) of \(units) rows", field: field)
            }
            return top.treatedOutcome / top.treated - top.controlOutcome / top.control
        case .byGroup:
            var means: [Double] = []
            for arm in [true, false] {
                let name = arm ? "treated" : "control"
                let available = Int(armUnits(treated: arm))
                let taken = Self.rowsTaken(k, of: available)
                guard taken <= available else {
                    throw UpliftError(.invalidInput, "k = \(k) is larger than the \(available) \(name) rows (by_group takes k rows of each arm)", field: "k")
                }
                guard taken > 0 else {
                    throw UpliftError(
                        .undefined, "uplift_at_k (by_group, k = \(k)) is undefined: it takes 0 of the \(available) \(name) rows", field: field)
                }
                means.append(armOutcomeSum(treated: arm, firstUnits: taken) / Double(taken))
            }
            return means[0] - means[1]
        }
    }
}
