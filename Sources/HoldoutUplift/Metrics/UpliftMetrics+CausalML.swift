extension UpliftMetrics {
    /// causalml 0.18's `auuc_score` with its default `normalize=True`: the mean height of the
    /// per-row cumulative-gain curve, divided by the absolute value of the curve's last point.
    ///
    /// At every row i = 1…n of the ranking, lift(i) = Y_t(i)/N_t(i) − Y_c(i)/N_c(i) and
    /// gain(i) = lift(i) · i, with gain(0) = 0. Rows before both arms have appeared have no lift
    /// (causalml gets NaN and interpolates linearly from 0). Then
    ///
    ///     auuc = Σ_{i=0…n} gain(i) / |gain(n)| / (n + 1).
    ///
    /// gain(n) = n · (overall treated mean − overall control mean), so a random ranking scores
    /// about 0.5 (not 0), and the score explodes as the overall effect approaches 0 and changes
    /// sign with it. Compare with scikit-uplift's ``upliftAUCScore(_:)``, which is ≈ 0 for a random
    /// ranking and normalised by the perfect curve instead: the two are different numbers.
    ///
    /// causalml sorts with pandas' default quicksort, which orders tied scores arbitrarily; here
    /// tied rows take scikit-uplift's order (later rows first), so tied data gives causalml's
    /// result for that order.
    ///
    /// Reference: Gutierrez & Gérardy (2016), *Causal inference and uplift modeling: a review of
    /// the literature*, §4.1. Convention: ``Convention/causalMLNormalized``.
    ///
    /// - Throws: ``UpliftError`` (`undefined`) when gain(n) = 0: the arms' overall means are equal,
    ///   and causalml divides by zero.
    /// - Complexity: O(n) on the ranked sample.
    public static func causalMLAUUCScore(_ sample: UpliftSample) throws(UpliftError) -> Double {
        try sample.ranked.causalMLScores().auuc()
    }

    /// causalml 0.18's `qini_score` with its default `normalize=True`: the mean height of the
    /// per-row Qini curve above the straight line to its end, with the curve divided by the
    /// absolute value of its last point.
    ///
    /// q(i) = Y_t(i) − Y_c(i) · N_t(i)/N_c(i) at every row (rows before the first control row
    /// are interpolated linearly from q(0) = 0, as causalml does with its NaNs); then, with
    /// s = sign(q(n)),
    ///
    ///     qini = (Σ_{i=0…n} q(i) / |q(n)| − s · (n + 1)/2) / (n + 1).
    ///
    /// Compare with scikit-uplift's ``qiniAUCScore(_:negativeEffect:)``, which divides by the
    /// perfect curve's area: the two differ in scale and can differ in sign.
    /// Convention: ``Convention/causalMLNormalized``.
    ///
    /// - Throws: ``UpliftError`` (`undefined`) when q(n) = 0 (no overall incremental outcome).
    /// - Complexity: O(n) on the ranked sample.
    public static func causalMLQiniScore(_ sample: UpliftSample) throws(UpliftError) -> Double {
        try sample.ranked.causalMLScores().qini()
    }
}

/// Sums over causalml's per-row curves, from one pass over the ranking.
struct CausalMLSums: Sendable, Hashable {
    var units: Int
    var gainSum: Double
    var lastGain: Double
    var qiniSum: Double
    var lastQini: Double

    func auuc() throws(UpliftError) -> Double {
        guard lastGain != 0, lastGain.isFinite else {
            throw UpliftError(
                .undefined,
                "causalml auuc_score is undefined: the cumulative gain at the last row is 0 (equal treated and control means), and normalize divides by it",
                field: "causalml.auuc_score")
        }
        return gainSum / abs(lastGain) / Double(units + 1)
    }

    func qini() throws(UpliftError) -> Double {
        guard lastQini != 0, lastQini.isFinite else {
            throw UpliftError(
                .undefined, "causalml qini_score is undefined: the Qini curve ends at 0 (no overall incremental outcome), and normalize divides by it",
                field: "causalml.qini_score")
        }
        let sign: Double = lastQini > 0 ? 1 : -1
        let count = Double(units + 1)
        return (qiniSum / abs(lastQini) - sign * count / 2) / count
    }
}

extension RankedRows {
    /// One pass over every unit of the ranking (a row of multiplicity w is w units).
    func causalMLScores() -> CausalMLSums {
        var position = 0.0
        var nT = 0.0
        var yT = 0.0
        var yC = 0.0
        var gainSum = 0.0
        var qiniSum = 0.0
        var lastGain = 0.0
        var lastQini = 0.0
        // First position with both arms (gain) and with a control row (Qini); before them the
        // curves are interpolated from 0 once that position's value is known.
        var gainStart = 0.0
        var qiniStart = 0.0
        for r in 0..<rows {
            let copies = Int(weight?[r] ?? 1)
            let isTreated = treated[r]
            let y = outcome[r]
            for _ in 0..<copies {
                position += 1
                if isTreated { nT += 1; yT += y } else { yC += y }
                let nC = position - nT
                if nC > 0 {
                    let q = yT - yC * nT / nC
                    if qiniStart == 0 {
                        qiniStart = position
                        qiniSum += Self.interpolatedSum(to: q, at: position) { v, _ in v }
                    }
                    qiniSum += q
                    lastQini = q
                    if nT > 0 {
                        let gain = (yT / nT - yC / nC) * position
                        if gainStart == 0 {
                            gainStart = position
                            let lift = yT / nT - yC / nC
                            gainSum += Self.interpolatedSum(to: lift, at: position) { v, i in v * i }
                        }
                        gainSum += gain
                        lastGain = gain
                    }
                }
            }
        }
        return CausalMLSums(units: Int(position), gainSum: gainSum, lastGain: lastGain, qiniSum: qiniSum, lastQini: lastQini)
    }

    /// Σ_{i=1…m−1} f(v·i/m, i): the rows before position m, interpolated linearly between 0 at
    /// position 0 and v at m as pandas' `interpolate()` (`np.interp`: slope (v − 0)/m).
    private static func interpolatedSum(to value: Double, at m: Double, _ f: (Double, Double) -> Double) -> Double {
        let slope = value / m
        var total = 0.0
        var i = 1.0
        while i < m {
            total += f(slope * i, i)
            i += 1
        }
        return total
    }
}
