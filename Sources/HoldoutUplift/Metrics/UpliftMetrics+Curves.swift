extension UpliftMetrics {
    /// scikit-uplift's uplift curve: at the last row of each group of tied scores, the
    /// difference of the arms' mean outcomes so far, times the rows so far.
    ///
    /// y(i) = (Y_t(i)/N_t(i) − Y_c(i)/N_c(i)) · i, where N_t, N_c count the treated and control
    /// rows among the first i and Y_t, Y_c sum their outcomes; a mean over zero rows counts as 0
    /// (scikit-uplift's `np.divide(..., where=n != 0)`). The curve starts at (0, 0). This is
    /// causalml's `get_cumgain` (without `normalize`) evaluated at tie-group ends.
    ///
    /// Reference: Devriendt, Guns & Verbeke (2020), *Learning to rank for uplift modeling*,
    /// arXiv:2002.05897. Convention: ``Convention/scikitUplift``. Complexity: O(distinct scores).
    public static func upliftCurve(_ sample: UpliftSample) -> Curve { sample.ranked.curve(RankedRows.upliftValue) }

    /// scikit-uplift's Qini curve: at the last row of each group of tied scores, the treated
    /// outcomes so far minus the control outcomes scaled to the treated count.
    ///
    /// y(i) = Y_t(i) − Y_c(i) · N_t(i)/N_c(i) (the ratio is 0 while N_c(i) = 0); starts at (0, 0).
    ///
    /// Reference: Radcliffe (2007), *Using control groups to target on predicted lift*, Direct
    /// Marketing Analytics Journal 3:14–21. Convention: ``Convention/scikitUplift``.
    public static func qiniCurve(_ sample: UpliftSample) -> Curve { sample.ranked.curve(RankedRows.qiniValue) }

    /// scikit-uplift's perfect uplift curve: the uplift curve of the ranking treated responders,
    /// control non-responders, then control responders and treated non-responders (in the order
    /// that puts the larger of the two groups last).
    ///
    /// scikit-uplift scores rows 2·[y = t] + (y if #control responders > #treated non-responders
    /// else t) and takes the uplift curve of that score.
    ///
    /// - Throws: ``UpliftError`` (`invalid_input`, field `outcomes`) unless every outcome is 0 or 1.
    public static func perfectUpliftCurve(_ sample: UpliftSample) throws(UpliftError) -> Curve {
        try sample.ranked.perfectUpliftCurve()
    }

    /// scikit-uplift's perfect Qini curve.
    ///
    /// With `negativeEffect` (the default), the Qini curve of the ranking treated responders,
    /// non-responders, control responders (score y·t − y·(1 − t)). Without, the curve rises at
    /// slope 1 to the overall incremental response r = Y_t − N_t·Y_c/N_c and stays there:
    /// points (0, 0), (r, r), (n, r).
    ///
    /// - Throws: ``UpliftError`` (`invalid_input`, field `outcomes`) unless every outcome is 0 or 1.
    public static func perfectQiniCurve(_ sample: UpliftSample, negativeEffect: Bool = true) throws(UpliftError) -> Curve {
        try sample.ranked.perfectQiniCurve(negativeEffect: negativeEffect)
    }
}

extension RankedRows {
    /// scikit-uplift's uplift-curve height for the first rows summarised by `p`.
    @inline(__always)
    static func upliftValue(_ p: Prefix) -> Double {
        let control = p.control
        let treatedMean = p.treated != 0 ? p.treatedOutcome / p.treated : 0
        let controlMean = control != 0 ? p.controlOutcome / control : 0
        return (treatedMean - controlMean) * p.units
    }

    /// scikit-uplift's Qini-curve height for the first rows summarised by `p`.
    @inline(__always)
    static func qiniValue(_ p: Prefix) -> Double {
        let control = p.control
        return p.treatedOutcome - p.controlOutcome * (control != 0 ? p.treated / control : 0)
    }

    /// Points at tie-group ends, starting at (0, 0).
    func curve(_ height: (Prefix) -> Double) -> Curve {
        var x = [0.0]
        var y = [0.0]
        x.reserveCapacity(groupEnds.count + 1)
        y.reserveCapacity(groupEnds.count + 1)
        for end in groupEnds {
            let p = prefix(rows: end)
            x.append(p.units)
            y.append(height(p))
        }
        return Curve(x: x, y: y)
    }

    /// Trapezoidal areas under the uplift and Qini curves, without building them.
    func curveAreas() -> (uplift: Double, qini: Double) {
        var uplift = 0.0
        var qini = 0.0
        var x0 = 0.0
        var u0 = 0.0
        var q0 = 0.0
        for end in groupEnds {
            let p = prefix(rows: end)
            let u = Self.upliftValue(p)
            let q = Self.qiniValue(p)
            let dx = p.units - x0
            uplift += dx * (u + u0) / 2
            qini += dx * (q + q0) / 2
            x0 = p.units
            u0 = u
            q0 = q
        }
        return (uplift, qini)
    }

    func requireBinaryOutcomes(_ metric: String) throws(UpliftError) {
        guard isBinaryOutcome else {
            throw UpliftError(
                .invalidInput, "\(metric) needs outcomes of 0 or 1 (scikit-uplift checks y_true is binary); the outcomes include other values",
                field: "outcomes")
        }
    }

    /// A curve through groups of rows given by their sums, starting at (0, 0); empty groups
    /// are skipped (scikit-uplift never sees them).
    private static func curve(groups: [Prefix], _ height: (Prefix) -> Double) -> Curve {
        var x = [0.0]
        var y = [0.0]
        var total = Prefix(units: 0, treated: 0, treatedOutcome: 0, controlOutcome: 0)
        for group in groups where group.units > 0 {
            total.units += group.units
            total.treated += group.treated
            total.treatedOutcome += group.treatedOutcome
            total.controlOutcome += group.controlOutcome
            x.append(total.units)
            y.append(height(total))
        }
        return Curve(x: x, y: y)
    }

    func perfectUpliftCurve() throws(UpliftError) -> Curve {
        try requireBinaryOutcomes("perfect_uplift_curve")
        let c = cells
        let treatedResponders = Prefix(units: c.treatedResponders, treated: c.treatedResponders, treatedOutcome: c.treatedResponders, controlOutcome: 0)
        let controlNonResponders = Prefix(units: c.controlNonResponders, treated: 0, treatedOutcome: 0, controlOutcome: 0)
        let controlResponders = Prefix(units: c.controlResponders, treated: 0, treatedOutcome: 0, controlOutcome: c.controlResponders)
        let treatedNonResponders = Prefix(units: c.treatedNonResponders, treated: c.treatedNonResponders, treatedOutcome: 0, controlOutcome: 0)
        let tail = c.controlResponders > c.treatedNonResponders ? [controlResponders, treatedNonResponders] : [treatedNonResponders, controlResponders]
        return Self.curve(groups: [treatedResponders, controlNonResponders] + tail, Self.upliftValue)
    }

    func perfectQiniCurve(negativeEffect: Bool) throws(UpliftError) -> Curve {
        try requireBinaryOutcomes("perfect_qini_curve")
        let c = cells
        if negativeEffect {
            let treatedResponders = Prefix(units: c.treatedResponders, treated: c.treatedResponders, treatedOutcome: c.treatedResponders, controlOutcome: 0)
            let nonResponders = Prefix(
                units: c.treatedNonResponders + c.controlNonResponders, treated: c.treatedNonResponders, treatedOutcome: 0, controlOutcome: 0)
            let controlResponders = Prefix(units: c.controlResponders, treated: 0, treatedOutcome: 0, controlOutcome: c.controlResponders)
            return Self.curve(groups: [treatedResponders, nonResponders, controlResponders], Self.qiniValue)
        }
        let r = overallIncrementalResponse
        return Curve(x: [0, r, Double(units)], y: [0, r, r])
    }

    /// Y_t − N_t·Y_c/N_c over all rows, evaluated as scikit-uplift does.
    var overallIncrementalResponse: Double {
        let all = prefix(rows: rows)
        return all.treatedOutcome - all.treated * all.controlOutcome / all.control
    }
}
