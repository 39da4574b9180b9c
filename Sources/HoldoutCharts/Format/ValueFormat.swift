/// How a value is written on an axis, beside an interval, or in a table.
///
/// ```swift
/// ValueFormat.percent(digits: 1).format(0.0234)   // "2.3%"
/// ValueFormat.number(digits: 0).format(12_345)     // "12,345"
/// ValueFormat.date.format(20_454)                  // "2026-01-01"
/// ```
public enum ValueFormat: Hashable, Sendable {
    /// A plain number with `digits` decimals and thousands grouped by ",".
    case number(digits: Int)
    /// A fraction written as a percentage: 0.0234 → "2.3%" with `digits` = 1.
    case percent(digits: Int)
    /// A day number since 1970-01-01 written as `YYYY-MM-DD` (the fraction of a day is dropped).
    case date

    /// The text for `value`; "n/a" for a non-finite value or a date too far out to print.
    public func format(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        switch self {
        case .number(let digits): return DecimalText.fixed(value, digits: digits, grouping: true)
        case .percent(let digits): return DecimalText.fixed(value * 100, digits: digits, grouping: true) + "%"
        case .date:
            guard abs(value) < 100_000_000 else { return "n/a" }
            return CivilDate(daysSinceEpoch: Int(value.rounded(.down))).description
        }
    }

    /// The text for a tick at `value` on an axis whose ticks are `step` apart: as many decimals as
    /// the step needs (steps of 0.01 print "0.03", not "0.030000000000000002" or "0").
    public func tickLabel(_ value: Double, step: Double) -> String {
        switch self {
        case .number: return DecimalText.fixed(value, digits: Self.decimals(for: step), grouping: true)
        case .percent: return DecimalText.fixed(value * 100, digits: Self.decimals(for: step * 100), grouping: true) + "%"
        case .date: return format(value)
        }
    }

    /// Decimals needed to tell ticks `step` apart (0 for steps ≥ 1, at most 12).
    static func decimals(for step: Double) -> Int {
        guard step.isFinite, step > 0 else { return 0 }
        var digits = 0
        var scaled = step
        while digits < 12 && (scaled - scaled.rounded()).magnitude > 1e-9 * max(1, scaled) {
            scaled *= 10
            digits += 1
        }
        return digits
    }
}
