/// Evaluation metrics for uplift models, reproducing scikit-uplift 0.5.1 and causalml 0.18.
///
/// All metrics rank the rows of an ``UpliftSample`` by predicted uplift (descending) and compare
/// treated and control outcomes along that ranking. Two families are provided side by side,
/// and they must not be confused:
///
/// - **scikit-uplift 0.5.1** (``Convention/scikitUplift``): ``upliftCurve(_:)``,
///   ``qiniCurve(_:)``, their perfect curves, ``upliftAUCScore(_:)`` and
///   ``qiniAUCScore(_:negativeEffect:)`` — the area between the model's curve and the random
///   diagonal *divided by the same area for the perfect curve* (≈ 0 for a random ranking, 1 for
///   the perfect one, negative when worse than random) — plus ``upliftAtK(_:k:strategy:)`` and
///   ``weightedAverageUplift(_:strategy:bins:)`` in outcome units.
/// - **causalml 0.18, normalised** (``Convention/causalMLNormalized``): ``causalMLAUUCScore(_:)``
///   and ``causalMLQiniScore(_:)`` — the mean height of a per-row curve *divided by the absolute
///   value of its last point* (the total incremental outcome). A random ranking scores about
///   0.5 on AUUC (not 0), and when the overall effect is near zero the divisor is near zero, so
///   these scores grow without bound (tens or hundreds) and flip sign with the overall effect.
///
/// The curves agree between the libraries (causalml's gain curve is scikit-uplift's uplift curve
/// evaluated at every row); the summary scores do not, by orders of magnitude and sometimes in
/// sign. Every score in a ``Report`` therefore names its convention.
///
/// Where the libraries return NaN (an arm missing from the top k or from a bin, a zero
/// normaliser), these functions throw ``UpliftError`` with code `undefined` and say what is
/// missing.
public enum UpliftMetrics {
    /// Which library's definition a score follows.
    public enum Convention: String, Sendable, Hashable, Codable, CaseIterable {
        /// scikit-uplift 0.5.1 (`sklift.metrics`).
        case scikitUplift = "scikit-uplift 0.5.1"
        /// causalml 0.18 (`causalml.metrics.auuc_score` / `qini_score` with `normalize=True`).
        case causalMLNormalized = "causalml 0.18 normalized"
    }

    /// The size of the top of the ranking, as scikit-uplift's `k`.
    public enum K: Sendable, Hashable {
        /// A share of the rows in (0, 1); the number of rows is truncated, `int(n · k)`.
        case fraction(Double)
        /// A number of rows, 0 < k < n.
        case count(Int)
    }

    /// How the top k (or the bins) are taken, as scikit-uplift's `strategy`.
    public enum Strategy: String, Sendable, Hashable, Codable, CaseIterable {
        /// The first k rows of the whole ranking; the arms' mean outcomes among them.
        case overall
        /// The first k rows of each arm separately (k · n_treated and k · n_control for a fraction).
        case byGroup = "by_group"
    }
}

extension UpliftMetrics.K: CustomStringConvertible {
    public var description: String {
        switch self {
        case .fraction(let k): "\(k)"
        case .count(let k): "\(k)"
        }
    }
}
