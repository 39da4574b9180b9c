import HoldoutCharts
import Testing

@Suite("Value formats and calendar dates")
struct FormatTests {
    @Test("Fixed decimals, grouping, percent, rounding half away from zero")
    func numbers() {
        #expect(ValueFormat.number(digits: 2).format(1234.5678) == "1,234.57")
        #expect(ValueFormat.number(digits: 0).format(13_979_592) == "13,979,592")
        #expect(ValueFormat.number(digits: 3).format(-0.0004) == "0.000")  // no sign on a value that rounds to zero
        #expect(ValueFormat.number(digits: 1).format(0.25) == "0.3")
        #expect(ValueFormat.number(digits: 1).format(-0.25) == "-0.3")
        #expect(ValueFormat.percent(digits: 1).format(0.0234) == "2.3%")
        #expect(ValueFormat.percent(digits: 2).format(-0.12345) == "-12.35%")
        #expect(ValueFormat.number(digits: 2).format(.nan) == "n/a")
        #expect(ValueFormat.percent(digits: 2).format(-.infinity) == "n/a")
        #expect(ValueFormat.number(digits: 2).format(1e300) == "1e+300")
    }

    // Day numbers from Python: (date.fromisoformat(s) - date(1970, 1, 1)).days
    static let dates: [(String, Int)] = [
        ("1970-01-01", 0), ("1969-12-31", -1), ("2000-02-29", 11_016), ("2000-03-01", 11_017), ("2026-11-30", 20_787),
        ("1900-03-01", -25_508), ("2100-12-31", 47_846), ("0001-01-01", -719_162),
    ]

    @Test("Day numbers to YYYY-MM-DD and back")
    func civilDates() {
        for (text, days) in Self.dates {
            #expect(CivilDate(daysSinceEpoch: days).description == text)
            #expect(ValueFormat.date.format(Double(days) + 0.75) == text)
            let parts = text.split(separator: "-").map { Int($0)! }
            #expect(CivilDate(year: parts[0], month: parts[1], day: parts[2]).daysSinceEpoch == days)
        }
        for days in stride(from: -800_000, through: 800_000, by: 97) {
            #expect(CivilDate(daysSinceEpoch: days).daysSinceEpoch == days)
        }
    }
}
