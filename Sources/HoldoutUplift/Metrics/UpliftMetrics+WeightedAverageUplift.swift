extension UpliftMetrics {
    /// scikit-uplift's `weighted_average_uplift`: the uplift per bin of the ranking, averaged
    /// with the bins' treated counts as weights.
    ///
    /// The ranking (``Strategy/overall``) or each arm's own ranking (``Strategy/byGroup``) is cut
    /// into `bins` consecutive parts as `np.array_split` does (the first n mod bins parts one row
    /// longer). Per bin b, u_b = mean(y | treated) − mean(y | control); the result is
    /// Σ n_t,b · u_b / Σ n_t,b.
    ///
    /// - Parameters:
    ///   - strategy: ``Strategy/overall`` (bins of the whole ranking) or ``Strategy/byGroup``.
    ///   - bins: 0 < bins < n (default 10).
    /// - Throws: ``UpliftError``: `invalid_input` (field `bins`) when out of range; `undefined`
    ///   (field `weighted_average_uplift.<strategy>`) when a bin has no treated or no control
    ///   rows — scikit-uplift returns NaN there.
    /// - Complexity: O(bins · log n) on the ranked sample.
    public static func weightedAverageUplift(_ sample: UpliftSample, strategy: Strategy, bins: Int = 10) throws(UpliftError) -> Double {
        try sample.ranked.weightedAverageUplift(strategy: strategy, bins: bins)
    }
}

extension RankedRows {
    /// `np.array_split` boundaries: the end of each of `bins` parts of `total` items.
    static func splitEnds(_ total: Int, bins: Int) -> [Int] {
        let size = total / bins
        let longer = total % bins
        var ends: [Int] = []
        var end = 0
        for b in 0..<bins {
            end += size + (b < longer ? 1 : 0)
            ends.append(end)
        }
        return ends
    }

    func weightedAverageUplift(strategy: UpliftMetrics.Strategy, bins: Int) throws(UpliftError) -> Double {
        guard bins > 0, bins < units else {
            throw UpliftError(.invalidInput, "bins = \(bins) must be a positive integer smaller than the \(units) rows", field: "bins")
        }
        let field = "weighted_average_uplift.\(strategy.rawValue)"
        func undefined(_ bin: Int, _ arm: String) -> UpliftError {
            UpliftError(
                .undefined, "weighted_average_uplift (\(strategy.rawValue), \(bins) bins) is undefined: bin \(bin + 1) has no \(arm) rows", field: field)
        }
        var weighted = 0.0
        var treatedTotal = 0.0
        switch strategy {
        case .overall:
            var start = prefix(units: 0)
            for (b, end) in Self.splitEnds(units, bins: bins).enumerated() {
                let stop = prefix(units: end)
                let treated = stop.treated - start.treated
                let control = stop.control - start.control
                if treated == 0 { throw undefined(b, "treated") }
                if control == 0 { throw undefined(b, "control") }
                let uplift = (stop.treatedOutcome - start.treatedOutcome) / treated - (stop.controlOutcome - start.controlOutcome) / control
                weighted += treated * uplift
                treatedTotal += treated
                start = stop
            }
        case .byGroup:
            let treatedEnds = Self.splitEnds(Int(armUnits(treated: true)), bins: bins)
            let controlEnds = Self.splitEnds(Int(armUnits(treated: false)), bins: bins)
            var treatedStart = (units: 0, sum: 0.0)
            var controlStart = (units: 0, sum: 0.0)
            for b in 0..<bins {
                let treatedStop = (units: treatedEnds[b], sum: armOutcomeSum(treated: true, firstUnits: treatedEnds[b]))
                let controlStop = (units: controlEnds[b], sum: armOutcomeSum(treated: false, firstUnits: controlEnds[b]))
                let treated = Double(treatedStop.units - treatedStart.units)
                let control = Double(controlStop.units - controlStart.units)
                if treated == 0 { throw undefined(b, "treated") }
                if control == 0 { throw undefined(b, "control") }
                let uplift = (treatedStop.sum - treatedStart.sum) / treated - (controlStop.sum - controlStart.sum) / control
                weighted += treated * uplift
                treatedTotal += treated
                treatedStart = treatedStop
                controlStart = controlStop
            }
        }
        return weighted / treatedTotal
    }
}
