/// Ticks on calendar days for a date axis (x values are day numbers since 1970-01-01).
///
/// Picks the first step of 1, 2, 7 or 14 days, then 1, 2, 3 or 6 months, then 1, 2, 5, 10…
/// years that gives at most `target` intervals. Weekly ticks fall on Mondays; monthly ticks on
/// the first of the month; yearly ticks on January 1st. Unlike `NiceTicks` the domain is not
/// widened: ticks are the calendar boundaries inside [lower, upper].
enum DateTicks {
    static func ticks(lower: Double, upper: Double, target: Int = 6) -> [Double] {
        guard lower.isFinite, upper.isFinite, abs(lower) < 100_000_000, abs(upper) < 100_000_000 else { return [] }
        let first = Int(lower.rounded(.up))
        let last = Int(upper.rounded(.down))
        guard first <= last else { return [] }
        let span = Double(last - first)
        let target = Double(max(1, target))
        for days in [1, 2] where span / Double(days) <= target {
            return stride(from: first, through: last, by: days).map(Double.init)
        }
        for days in [7, 14] where span / Double(days) <= target {
            // Day 4 since the epoch (1970-01-05) is a Monday.
            let monday = first + ((4 - first) % 7 + 7) % 7
            return stride(from: monday, through: last, by: days).map(Double.init)
        }
        let start = CivilDate(daysSinceEpoch: first)
        for months in [1, 2, 3, 6] where span / (30.44 * Double(months)) <= target {
            var result: [Double] = []
            var month = ((start.month - 1) / months) * months + 1
            var year = start.year
            while true {
                let day = CivilDate(year: year, month: month, day: 1).daysSinceEpoch
                if day > last { break }
                if day >= first { result.append(Double(day)) }
                month += months
                if month > 12 {
                    month -= 12
                    year += 1
                }
            }
            return result
        }
        let years = NiceTicks(lower: 0, upper: span / 365.25, target: Int(target)).step
        let yearStep = max(1, Int(years.rounded(.up)))
        var year = (start.year / yearStep) * yearStep
        var result: [Double] = []
        while result.count < 200 {
            let day = CivilDate(year: year, month: 1, day: 1).daysSinceEpoch
            if day > last { break }
            if day >= first { result.append(Double(day)) }
            year += yearStep
        }
        return result
    }
}
