import HoldoutCharts
import Testing

@Suite("Nice ticks")
struct NiceTicksTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let lower: Double
        let upper: Double
        let target: Int
        let expected: [Double]
        var testDescription: String { "[\(lower), \(upper)] / \(target)" }
    }

    // Expected values worked out by hand from the 1-2-5 rule (and they agree with d3-array's
    // `ticks`/`nice` for the same target).
    static let cases: [Case] = [
        Case(lower: 0, upper: 0.037, target: 5, expected: [0, 0.01, 0.02, 0.03, 0.04]),
        Case(lower: -0.012, upper: 0.031, target: 5, expected: [-0.02, -0.01, 0, 0.01, 0.02, 0.03, 0.04]),
        Case(lower: 0, upper: 1, target: 5, expected: [0, 0.2, 0.4, 0.6, 0.8, 1]),
        Case(lower: 0, upper: 1, target: 10, expected: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]),
        Case(lower: 3, upper: 97, target: 5, expected: [0, 20, 40, 60, 80, 100]),
        Case(lower: 0, upper: 13_979_592, target: 5, expected: [0, 2e6, 4e6, 6e6, 8e6, 10e6, 12e6, 14e6]),
        Case(lower: -250, upper: 1_234, target: 6, expected: [-400, -200, 0, 200, 400, 600, 800, 1000, 1200, 1400]),
        Case(lower: 0.000_12, upper: 0.000_31, target: 4, expected: [0.0001, 0.00015, 0.0002, 0.00025, 0.0003, 0.00035]),
        Case(lower: 5, upper: 5, target: 5, expected: [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]),
        Case(lower: 0, upper: 0, target: 5, expected: [-1, -0.5, 0, 0.5, 1]),
        Case(lower: 2, upper: -2, target: 4, expected: [-2, -1, 0, 1, 2]),
    ]

    @Test("1-2-5 steps covering the range", arguments: cases)
    func ticks(_ item: Case) {
        let ticks = NiceTicks(lower: item.lower, upper: item.upper, target: item.target)
        // Ticks are integer × power of ten, so they equal the decimal literals exactly.
        #expect(ticks.values == item.expected)
        #expect(ticks.lower <= min(item.lower, item.upper))
        #expect(ticks.upper >= max(item.lower, item.upper))
    }

    @Test("Non-finite bounds fall back to [0, 1]")
    func nonFinite() {
        #expect(NiceTicks(lower: .nan, upper: 3).values == NiceTicks(lower: 0, upper: 1).values)
        #expect(NiceTicks(lower: 0, upper: .infinity).values == [0, 0.2, 0.4, 0.6, 0.8, 1])
    }

    @Test("The step is 1, 2 or 5 times a power of ten over many ranges")
    func stepShape() {
        var state: UInt64 = 42
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let a = Double(Int64(bitPattern: state) >> 20) / 1e6
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let b = a + Double(state >> 40) / 1e3 + 1e-3
            let ticks = NiceTicks(lower: a, upper: b, target: 5)
            #expect(ticks.values.count >= 2 && ticks.values.count <= 12)
            #expect(ticks.lower <= a && ticks.upper >= b)
            var mantissa = ticks.step
            while mantissa >= 10 { mantissa /= 10 }
            while mantissa < 1 { mantissa *= 10 }
            #expect([1.0, 2.0, 5.0].contains { abs($0 - mantissa) < 1e-9 }, "step \(ticks.step)")
        }
    }

    @Test("Tick labels have the decimals the step needs")
    func labels() {
        let ticks = NiceTicks(lower: 0, upper: 0.037)
        #expect(ticks.values.map { ValueFormat.number(digits: 5).tickLabel($0, step: ticks.step) } == ["0.00", "0.01", "0.02", "0.03", "0.04"])
        #expect(ticks.values.map { ValueFormat.percent(digits: 5).tickLabel($0, step: ticks.step) } == ["0%", "1%", "2%", "3%", "4%"])
        let large = NiceTicks(lower: 0, upper: 13_979_592)
        #expect(Array(large.values.map { ValueFormat.number(digits: 2).tickLabel($0, step: large.step) }.prefix(3)) == ["0", "2,000,000", "4,000,000"])
        let small = NiceTicks(lower: 0.000_12, upper: 0.000_31, target: 4)
        #expect(ValueFormat.percent(digits: 0).tickLabel(small.values[1], step: small.step) == "0.015%")
    }
}
