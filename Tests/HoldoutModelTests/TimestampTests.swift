import HoldoutModel
import Testing

@Suite("Timestamp: offsets, accepted range, proleptic Gregorian formatting")
struct TimestampTests {
    @Test("offsets are within ±18:00 with minutes below 60")
    func offsets() {
        let utc = Timestamp(parsing: "2026-03-05T10:30:00Z")
        #expect(Timestamp(parsing: "2026-03-05T11:30:00+01:00") == utc)
        #expect(Timestamp(parsing: "2026-03-05T11:30:00+0100") == utc)
        #expect(Timestamp(parsing: "2026-03-05T11:30:00+01") == utc)
        #expect(Timestamp(parsing: "2026-03-06T04:30:00+18:00") == utc)
        #expect(Timestamp(parsing: "2026-03-04T16:30:00-18:00") == utc)
        for bad in ["+99:99", "+18:01", "-19:00", "+05:60", "+1", "+01:", "+01:5", "+01:000"] {
            #expect(Timestamp(parsing: "2026-03-05T10:30:00" + bad) == nil, "\(bad)")
        }
    }

    @Test("the accepted range is [1970-01-01, 2200-01-01)")
    func acceptedRange() throws {
        #expect(Timestamp.earliestAccepted.description == "1970-01-01T00:00:00Z")
        #expect(Timestamp.latestAccepted.description == "2199-12-31T23:59:59.999999Z")
        #expect(try #require(Timestamp(parsing: "1970-01-01T00:00:00Z")).isInAcceptedRange)
        #expect(try #require(Timestamp(parsing: "2199-12-31T23:59:59.999999Z")).isInAcceptedRange)
        #expect(!(try #require(Timestamp(parsing: "1969-12-31T23:59:59.999999Z")).isInAcceptedRange))
        #expect(!(try #require(Timestamp(parsing: "2200-01-01T00:00:00Z")).isInAcceptedRange))
        #expect(!(try #require(Timestamp(parsing: "0001-01-01")).isInAcceptedRange))
    }

    @Test(
        "description and dayString round-trip, proleptic Gregorian before 1582 too",
        arguments: [
            "0001-01-01T00:00:00Z", "1500-02-28T12:00:00Z", "1500-03-01T00:00:00Z", "1582-10-04T23:59:59Z", "1582-10-15T00:00:00Z",
            "1600-02-29T00:00:00.500000Z", "1899-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.000001Z", "1970-01-01T00:00:00Z",
            "2000-02-29T06:07:08Z", "2026-03-05T10:30:00.250000Z", "9999-12-31T23:59:59.999999Z",
        ])
    func roundTrip(text: String) throws {
        let parsed = try #require(Timestamp(parsing: text))
        #expect(parsed.description == text)
        #expect(Timestamp.dayString(parsed.dayNumber) == String(text.prefix(10)))
        #expect(Timestamp(parsing: parsed.description) == parsed)
    }

    @Test("negative epoch values format by floor division")
    func negativeEpoch() {
        #expect(Timestamp(microseconds: -1).description == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(microseconds: -1_000_000).description == "1969-12-31T23:59:59Z")
        #expect(Timestamp(microseconds: -86_400_000_000).description == "1969-12-31T00:00:00Z")
        #expect(Timestamp(microseconds: -86_400_000_001).description == "1969-12-30T23:59:59.999999Z")
        #expect(Timestamp.dayString(-1) == "1969-12-31")
        #expect(Timestamp.dayString(-719_162) == "0001-01-01")
        #expect(Timestamp.dayString(-719_163) == "0000-12-31")
        #expect(Timestamp(parsing: "-1") == Timestamp(microseconds: -1_000_000))
    }

    @Test("dayString inverts the parser's day numbers from year 1 to 9999")
    func everyFewDays() throws {
        var day: Int64 = -719_162  // 0001-01-01
        while day < 2_932_897 {  // 10000-01-01
            let text = Timestamp.dayString(day)
            #expect(Timestamp(parsing: text)?.microseconds == day * Timestamp.microsecondsPerDay, "\(day) → \(text)")
            day += 997
        }
    }
}
