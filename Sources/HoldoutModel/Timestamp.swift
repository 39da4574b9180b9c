public import Foundation

/// A UTC instant with microsecond resolution, stored as BIGINT microseconds since the epoch.
///
/// Parses ISO 8601 with or without a zone (UTC assumed when absent), with or without fractional
/// seconds, a date alone (midnight UTC), and epoch seconds (integer or fractional).
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// Epoch seconds (integer or fractional), as a JSON number gives them; nil when not finite
    /// or 1e11 or more in magnitude (milliseconds, or nonsense).
    public init?(epochSeconds seconds: Double) {
        guard seconds.isFinite, abs(seconds) < 1e11 else { return nil }
        microseconds = Int64((seconds * 1_000_000).rounded())
    }

    public init(_ date: Date) { microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }

    public static var now: Timestamp { Timestamp(Date()) }

    public var date: Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.microseconds < rhs.microseconds }

    public static let microsecondsPerDay: Int64 = 86_400_000_000

    /// The UTC day number since 1970-01-01.
    public var dayNumber: Int64 {
        microseconds >= 0 ? microseconds / Self.microsecondsPerDay : (microseconds - Self.microsecondsPerDay + 1) / Self.microsecondsPerDay
    }

    /// `YYYY-MM-DD` of a UTC day number (proleptic Gregorian, like the parser).
    public static func dayString(_ day: Int64) -> String {
        let (year, month, dayOfMonth) = civilFromDays(day)
        var text = ""
        text.reserveCapacity(10)
        appendYear(year, to: &text)
        text.append("-")
        appendTwoDigits(month, to: &text)
        text.append("-")
        appendTwoDigits(dayOfMonth, to: &text)
        return text
    }

    /// ISO 8601 in UTC with a `Z`, with fractional seconds only when present.
    ///
    /// Dates are proleptic Gregorian (the inverse of the parser), also before 1582, where
    /// Foundation's calendar would switch to the Julian calendar.
    public var description: String {
        let perSecond: Int64 = 1_000_000
        let seconds = microseconds >= 0 ? microseconds / perSecond : -((-(microseconds + 1)) / perSecond) - 1
        let micros = microseconds - seconds * perSecond
        let days = seconds >= 0 ? seconds / 86_400 : -((-(seconds + 1)) / 86_400) - 1
        let secondOfDay = Int(seconds - days * 86_400)
        var text = Self.dayString(days)
        text.append("T")
        Self.appendTwoDigits(secondOfDay / 3600, to: &text)
        text.append(":")
        Self.appendTwoDigits(secondOfDay / 60 % 60, to: &text)
        text.append(":")
        Self.appendTwoDigits(secondOfDay % 60, to: &text)
        if micros != 0 {
            text.append(".")
            let digits = String(micros)
            text.append(String(repeating: "0", count: 6 - digits.count))
            text.append(digits)
        }
        text.append("Z")
        return text
    }

    /// The proleptic Gregorian date of a day number since 1970-01-01 (H. Hinnant's
    /// `civil_from_days`, the inverse of ``daysFromCivil(year:month:day:)``).
    ///
    /// Reference: H. Hinnant, *chrono-Compatible Low-Level Date Algorithms*
    /// (howardhinnant.github.io/date_algorithms.html).
    static func civilFromDays(_ days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097  // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365  // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)  // [0, 365]
        let mp = (5 * doy + 2) / 153  // [0, 11], March first
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// Four digits at least, with a `-` before negative years (ISO 8601's expanded form).
    private static func appendYear(_ year: Int64, to text: inout String) {
        if year < 0 { text.append("-") }
        let digits = String(year.magnitude)
        if digits.count < 4 { text.append(String(repeating: "0", count: 4 - digits.count)) }
        text.append(digits)
    }

    private static func appendTwoDigits(_ value: Int, to text: inout String) {
        text.unicodeScalars.append(Unicode.Scalar(UInt8(0x30 + value / 10)))
        text.unicodeScalars.append(Unicode.Scalar(UInt8(0x30 + value % 10)))
    }

    // MARK: Accepted range

    /// The earliest event time accepted at ingestion: 1970-01-01T00:00:00Z.
    public static let earliestAccepted = Timestamp(microseconds: 0)

    /// The latest event time accepted at ingestion: 2199-12-31T23:59:59.999999Z (the range ends
    /// before 2200-01-01T00:00:00Z).
    public static let latestAccepted = Timestamp(microseconds: daysFromCivil(year: 2200, month: 1, day: 1) * microsecondsPerDay - 1)

    /// Event times (exposures, conversions, events, touchpoints, assignments) accepted at
    /// ingestion: `[1970-01-01T00:00:00Z, 2200-01-01T00:00:00Z)`. Anything outside is a unit
    /// mistake (milliseconds read as seconds) or a placeholder (`0001-01-01`), not an event.
    public static let acceptedRange = earliestAccepted...latestAccepted

    /// Whether this instant is within ``acceptedRange``.
    public var isInAcceptedRange: Bool { Self.acceptedRange.contains(self) }

    /// Parses a timestamp; `nil` when the text is not one of the accepted forms.
    public init?(parsing text: some StringProtocol) {
        var bytes = Array(text.utf8)
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        var first = 0
        while first < bytes.count, bytes[first] == 0x20 || bytes[first] == 0x09 { first += 1 }
        if first > 0 { bytes.removeFirst(first) }
        if bytes.isEmpty { return nil }
        // Epoch seconds: digits, at most one '.', an optional leading '-'.
        if bytes.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D }),
            let seconds = Double(String(decoding: bytes, as: UTF8.self))
        {
            guard let ts = Timestamp(epochSeconds: seconds) else { return nil }
            self = ts
            return
        }
        guard let parsed = Self.parseISO(bytes) else { return nil }
        self = parsed
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func parseISO(_ bytes: [UInt8]) -> Timestamp? {
        var i = 0
        func number(_ count: Int) -> Int? {
            guard i + count <= bytes.count else { return nil }
            var value = 0
            for k in 0..<count {
                let d = Int(bytes[i + k]) - 48
                guard d >= 0 && d <= 9 else { return nil }
                value = value * 10 + d
            }
            i += count
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect(0x2D), let month = number(2), expect(0x2D), let day = number(2) else { return nil }
        func daysInMonth(year: Int, month: Int) -> Int { Timestamp.daysInMonth(year: year, month: month) }
        func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 { Timestamp.daysFromCivil(year: year, month: month, day: day) }
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        var hour = 0
        var minute = 0
        var second = 0
        var micros = 0
        var offsetSeconds = 0
        if i < bytes.count {
            guard bytes[i] == 0x54 || bytes[i] == 0x20 || bytes[i] == 0x74 else { return nil }  // T, space, t
            i += 1
            guard let h = number(2), expect(0x3A), let m = number(2) else { return nil }
            hour = h
            minute = m
            if expect(0x3A) {
                guard let sec = number(2) else { return nil }
                second = sec
                if i < bytes.count && (bytes[i] == 0x2E || bytes[i] == 0x2C) {
                    i += 1
                    var digits = 0
                    var fraction = 0
                    while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                        if digits < 6 {
                            fraction = fraction * 10 + Int(bytes[i] - 0x30)
                            digits += 1
                        }
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in digits..<6 { fraction *= 10 }
                    micros = fraction
                }
            }
            guard hour < 24, minute < 60, second < 61 else { return nil }
            if i < bytes.count {
                if bytes[i] == 0x5A || bytes[i] == 0x7A {
                    i += 1
                } else if bytes[i] == 0x2B || bytes[i] == 0x2D {
                    let sign = bytes[i] == 0x2D ? -1 : 1
                    i += 1
                    guard let oh = number(2) else { return nil }
                    let colon = expect(0x3A)
                    var om = 0
                    if colon || i < bytes.count {
                        guard let minutes = number(2) else { return nil }
                        om = minutes
                    }
                    // ISO 8601 and java.time: offsets within ±18:00, minutes below 60.
                    guard om < 60, oh * 60 + om <= 18 * 60 else { return nil }
                    offsetSeconds = sign * (oh * 3600 + om * 60)
                } else {
                    return nil
                }
            }
            guard i == bytes.count else { return nil }
        }
        guard day <= daysInMonth(year: year, month: month) else { return nil }  // e.g. 2026-02-30
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetSeconds)
        return Timestamp(microseconds: seconds * 1_000_000 + Int64(micros))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = Timestamp(parsing: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an ISO 8601 timestamp")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
