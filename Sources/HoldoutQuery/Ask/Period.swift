public import Foundation
import HoldoutModel

/// A span of whole UTC days named in a question: "today", "yesterday", "this week", "last
/// week", "this month", "last N days" (or weeks), "since YYYY-MM-DD". Weeks start on Monday
/// (ISO 8601); periods that reach the present end with today.
///
/// ```swift
/// // asked on Wednesday 2026-03-04
/// Period.find(in: "exposure health this week", now: wednesday)?.label   // "this week (2026-03-02 to 2026-03-04)"
/// ```
public struct Period: Sendable, Hashable {
    /// The words of the question that named it.
    public var phrase: String
    /// The first day (UTC day number since 1970-01-01), included.
    public var firstDay: Int64
    /// The day after the last one, excluded.
    public var endDay: Int64

    public init(phrase: String, firstDay: Int64, endDay: Int64) {
        self.phrase = phrase
        self.firstDay = firstDay
        self.endDay = endDay
    }

    /// `YYYY-MM-DD` of the first day.
    public var firstDayString: String { Timestamp.dayString(firstDay) }
    /// `YYYY-MM-DD` of the day after the last.
    public var endDayString: String { Timestamp.dayString(endDay) }
    /// `YYYY-MM-DD` of the last day.
    public var lastDayString: String { Timestamp.dayString(endDay - 1) }
    /// The first microsecond of the period.
    public var startMicroseconds: Int64 { firstDay * Timestamp.microsecondsPerDay }
    /// The first microsecond after it.
    public var endMicroseconds: Int64 { endDay * Timestamp.microsecondsPerDay }

    /// "this week (2026-03-02 to 2026-03-04)", or "today (2026-03-04)".
    public var label: String {
        endDay - firstDay == 1 ? "\(phrase) (\(firstDayString))" : "\(phrase) (\(firstDayString) to \(lastDayString))"
    }

    /// The most days "last N days" may span (ten years).
    public static let maximumDays: Int64 = 3660

    /// The first period `text` names, or nil.
    ///
    /// - Throws: ``PlanningError`` `invalidInput` for "last 0 days", a span over ``maximumDays``,
    ///   or "since" a day that is not a date or is after today.
    public static func find(in text: String, now: Date) throws(PlanningError) -> Period? {
        let lower = text.lowercased()
        let today = Timestamp(now).dayNumber
        let monday = today - (((today + 3) % 7) + 7) % 7  // 1970-01-01 was a Thursday
        if let match = lower.firstMatch(of: #/\bsince\s+(\d{4}-\d{2}-\d{2})\b/#) {
            let day = String(match.1)
            guard let start = Timestamp(parsing: day), Timestamp.dayString(start.dayNumber) == day else {
                throw PlanningError(.invalidInput, "\"since \(day)\": \(day) is not a date (YYYY-MM-DD)")
            }
            guard start.dayNumber <= today else {
                throw PlanningError(.invalidInput, "\"since \(day)\": \(day) is after today (\(Timestamp.dayString(today)), UTC)")
            }
            guard today + 1 - start.dayNumber <= maximumDays else {
                throw PlanningError(.invalidInput, "\"since \(day)\" spans more than \(maximumDays) days")
            }
            return Period(phrase: "since \(day)", firstDay: start.dayNumber, endDay: today + 1)
        }
        if let match = lower.firstMatch(of: #/\b(?:last|past)\s+(\d{1,6})\s+(day|days|week|weeks)\b/#) {
            guard let count = Int64(match.1), count > 0 else {
                throw PlanningError(.invalidInput, "\"\(match.0)\": the number of days must be at least 1")
            }
            let days = match.2.hasPrefix("week") ? count * 7 : count
            guard days <= maximumDays else { throw PlanningError(.invalidInput, "\"\(match.0)\" spans more than \(maximumDays) days") }
            return Period(phrase: "the last \(days) days", firstDay: today + 1 - days, endDay: today + 1)
        }
        if lower.contains(#/\btoday\b/#) { return Period(phrase: "today", firstDay: today, endDay: today + 1) }
        if lower.contains(#/\byesterday\b/#) { return Period(phrase: "yesterday", firstDay: today - 1, endDay: today) }
        if lower.contains(#/\bthis\s+week\b/#) { return Period(phrase: "this week", firstDay: monday, endDay: today + 1) }
        if lower.contains(#/\blast\s+week\b/#) { return Period(phrase: "last week", firstDay: monday - 7, endDay: monday) }
        if lower.contains(#/\bthis\s+month\b/#) {
            let dayOfMonth = Int64(Timestamp.dayString(today).suffix(2)) ?? 1
            return Period(phrase: "this month", firstDay: today - dayOfMonth + 1, endDay: today + 1)
        }
        return nil
    }
}
