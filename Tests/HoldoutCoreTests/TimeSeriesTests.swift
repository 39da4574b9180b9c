import HoldoutCore
import HoldoutModel
import Testing

@Suite("The cumulative time series, shaped from daily counts")
struct TimeSeriesTests {
    let base = march1.microseconds / 86_400_000_000

    @Test("cumulative per variant, earlier days folded into the first, bounded by the dates and today")
    func shape() {
        var e = experiment(id: 1, key: "ts")
        e.startAt = day(0)
        e.endAt = day(9)
        e.conversionWindowDays = 0
        let counts = DailyCounts(
            assigned: [.init(variant: "control", day: base - 9, count: 20), .init(variant: "treatment", day: base - 9, count: 20)],
            converted: [.init(variant: "treatment", day: base + 2, count: 1), .init(variant: "treatment", day: base + 80_000, count: 1)])
        let points = TimeSeries.shape(counts, experiment: e, now: day(5))
        #expect(points.map(\.date) == ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"])
        #expect(points.first?.units == [20, 20] && points[1].conversions == [0, 0] && points[2].conversions == [0, 1])
        #expect(TimeSeries.shape(counts, experiment: e, now: day(1_000)).last?.date == "2026-03-10")
    }

    @Test("at most 3,660 points, the latest")
    func cap() {
        var e = experiment(id: 2, key: "long")
        e.conversionWindowDays = 0
        let counts = DailyCounts(
            assigned: [.init(variant: "control", day: 1, count: 1), .init(variant: "treatment", day: base, count: 1)],
            converted: [.init(variant: "treatment", day: base + 10_000, count: 1)])
        let points = TimeSeries.shape(counts, experiment: e, now: day(10_000))
        #expect(points.count == TimeSeries.maximumPoints)
        #expect(points.first?.units == [1, 1] && points.last?.conversions == [0, 1])
    }

    @Test("no data, no points")
    func empty() {
        #expect(TimeSeries.shape(DailyCounts(assigned: [], converted: []), experiment: experiment(id: 3, key: "none"), now: day(0)).isEmpty)
    }
}
