/// "Nice" axis ticks: multiples of 1, 2 or 5 × 10^k covering a range.
///
/// The step is the 1-2-5 number nearest (on a log scale) to `(upper − lower) / target`, chosen
/// like d3-array's `tickIncrement`: the raw step's mantissa m picks 10 when m ≥ √50, 5 when
/// m ≥ √10, 2 when m ≥ √2, else 1. The ticks run from ⌊lower/step⌋·step to ⌈upper/step⌉·step,
/// so the axis domain is widened to whole ticks and every value lies on the axis.
///
/// ```swift
/// NiceTicks(lower: 0, upper: 0.037).values   // [0, 0.01, 0.02, 0.03, 0.04]
/// ```
///
/// Each tick is computed as an integer times a power of ten (`3 / 100`, not `0.01 · 3`), so
/// ticks are the doubles nearest to their decimal text. An empty or degenerate range is widened:
/// [v, v] becomes [v − |v|/10, v + |v|/10] ([−1, 1] for 0); non-finite bounds give [0, 1].
public struct NiceTicks: Hashable, Sendable {
    /// The tick values, ascending; the first and last are the axis domain.
    public let values: [Double]
    /// The distance between ticks: 1, 2 or 5 × 10^k.
    public let step: Double

    /// The widened domain's lower end (the first tick).
    public var lower: Double { values.first ?? 0 }
    /// The widened domain's upper end (the last tick).
    public var upper: Double { values.last ?? 1 }

    /// Ticks covering [lower, upper] with about `target` intervals (at least 1, at most 50).
    public init(lower: Double, upper: Double, target: Int = 5) {
        var low = min(lower, upper)
        var high = max(lower, upper)
        if !low.isFinite || !high.isFinite {
            low = 0
            high = 1
        }
        if low == high {
            let pad = low == 0 ? 1 : abs(low) / 10
            low -= pad
            high += pad
        }
        let target = max(1, min(target, 50))
        let raw = (high / Double(target)) - (low / Double(target))  // no overflow near ±max
        var exponent = 0
        while exponent < 308 && raw >= DecimalText.powerOfTen(exponent + 1) { exponent += 1 }
        while exponent > -320 && raw < DecimalText.powerOfTen(exponent) { exponent -= 1 }
        let mantissa = raw / DecimalText.powerOfTen(exponent)
        var factor: Double = mantissa >= 50.0.squareRoot() ? 10 : mantissa >= 10.0.squareRoot() ? 5 : mantissa >= 2.0.squareRoot() ? 2 : 1
        if factor == 10 {
            factor = 1
            exponent += 1
        }
        let unit = DecimalText.powerOfTen(abs(exponent))
        func tick(_ index: Double) -> Double { exponent >= 0 ? index * factor * unit : index * factor / unit }
        let step = tick(1)
        var first = (low / step).rounded(.down)
        var last = (high / step).rounded(.up)
        // Guard against ticks that land a rounding error inside the data.
        if tick(first) > low { first -= 1 }
        if tick(last) < high { last += 1 }
        let count = Int(min(last - first, 200))
        self.step = step
        self.values = (0...max(count, 1)).map { tick(first + Double($0)) }
    }
}
