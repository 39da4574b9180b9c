public import HoldoutModel

/// One day (or week) of an experiment's cumulative time series, per variant.
public struct TimeSeriesPoint: Sendable, Hashable {
    /// `YYYY-MM-DD`: the day, or the last day of the week.
    public var date: String
    /// The experiment's variants, control first.
    public var variants: [String]
    /// Cumulative units assigned, by variant (in the order of ``variants``).
    public var units: [Int]
    /// Cumulative units that converted within their window, by variant (a unit counts on the
    /// day of its first conversion).
    public var conversions: [Int]
}

/// Seed 001's cumulative daily series, shaped from a ``StatisticsSource``'s daily counts.
public enum TimeSeries {
    /// The most points a time series carries (ten years of days); longer ranges keep the latest.
    public static let maximumPoints = 3_660

    /// Seed 001's cumulative daily series (ITT: units by assignment day; a unit converts on the
    /// day of its first conversion within its window from assignment).
    ///
    /// Days run from the first assignment or conversion to the last, bounded by the experiment's
    /// dates (from `start_at`; through `end_at` plus the conversion window) when some data falls
    /// inside them, always by `now`, and to the latest ``maximumPoints`` days. Units and
    /// conversions before the first day shown are included in its cumulative counts; those after
    /// the last day are not shown.
    /// - Parameter metric: the outcome metric (`""`: the default).
    public static func points(
        experiment: Experiment, source: some StatisticsSource, now: Timestamp, metric: String = ""
    ) async throws(HoldoutError) -> [TimeSeriesPoint] {
        shape(try await source.dailyCounts(experiment: experiment, metric: metric), experiment: experiment, now: now)
    }

    /// The shaping alone (pure): range, folding and cumulative sums.
    public static func shape(_ counts: DailyCounts, experiment: Experiment, now: Timestamp) -> [TimeSeriesPoint] {
        let days = counts.assigned.map(\.day) + counts.converted.map(\.day)
        guard var first = days.min(), var last = days.max() else { return [] }
        // The experiment's dates bound the range when some data falls inside them (data
        // entirely outside, such as assignments made after the end, keeps its own range).
        let datedFirst = experiment.startAt.map { max(first, $0.dayNumber) } ?? first
        let datedLast = experiment.endAt.map { min(last, $0.dayNumber + Int64(experiment.conversionWindowDays)) } ?? last
        if datedFirst <= min(datedLast, now.dayNumber) { (first, last) = (datedFirst, datedLast) }
        last = min(last, now.dayNumber)
        first = max(first, last - Int64(maximumPoints) + 1)
        guard first <= last else { return [] }
        // Variants by their bytes: a stored spelling that is not byte-equal to one of the
        // experiment's variants is not an arm.
        let names = experiment.variants.map(\.name)
        let index = Dictionary(names.enumerated().map { (OpaqueID($0.element), $0.offset) }, uniquingKeysWith: { a, _ in a })
        // Per day and variant index; rows before the first day shown fold into it.
        func byDay(_ rows: [DailyCounts.Row]) -> [Int64: [Int]] {
            var out: [Int64: [Int]] = [:]
            for row in rows {
                guard let k = index[OpaqueID(row.variant)], row.day <= last else { continue }
                out[max(row.day, first), default: [Int](repeating: 0, count: names.count)][k] += row.count
            }
            return out
        }
        let unitsByDay = byDay(counts.assigned)
        let conversionsByDay = byDay(counts.converted)
        var units = [Int](repeating: 0, count: names.count)
        var conversions = units
        var points: [TimeSeriesPoint] = []
        points.reserveCapacity(Int(last - first + 1))
        for day in first...last {
            for (k, n) in (unitsByDay[day] ?? []).enumerated() { units[k] += n }
            for (k, n) in (conversionsByDay[day] ?? []).enumerated() { conversions[k] += n }
            points.append(TimeSeriesPoint(date: Timestamp.dayString(day), variants: names, units: units, conversions: conversions))
        }
        return points
    }
}
