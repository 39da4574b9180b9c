import PropertyBased
import Testing

@testable import HoldoutStats

/// Invariants that must hold for any input.
@Suite("Properties")
struct PropertyTests {
    static let counts = Gen.int(in: 30...100_000)
    static let rates = Gen.double(in: 0.01...0.99)

    static func arm(_ n: Int, _ rate: Double) -> ProportionStatistic {
        ProportionStatistic(n: n, conversions: min(n, max(0, Int((Double(n) * rate).rounded()))))
    }

    @Test("the interval contains the estimate and p ∈ [0, 1]")
    func intervalContainsEstimate() async {
        await propertyCheck(count: 300, input: Self.counts, Self.rates, Self.counts, Self.rates) { nc, rc, nt, rt in
            let r = try ProportionTest.compare(control: Self.arm(nc, rc), treatment: Self.arm(nt, rt))
            guard let est = r.upliftAbs, let low = r.ciLow, let high = r.ciHigh, let p = r.pValue else { return }
            #expect(low <= est && est <= high)
            #expect(p >= 0 && p <= 1)
            let s = try SequentialTest.compare(control: Self.arm(nc, rc), treatment: Self.arm(nt, rt))
            #expect(s.ciLow! <= est && est <= s.ciHigh!)
            #expect(s.ciLow! <= low && high <= s.ciHigh!)
            #expect(s.pValue! >= 0 && s.pValue! <= 1)
        }
    }

    @Test("swapping arms negates the effect and keeps the p-value")
    func swapNegates() async {
        await propertyCheck(count: 300, input: Self.counts, Self.rates, Self.counts, Self.rates) { nc, rc, nt, rt in
            let a = Self.arm(nc, rc)
            let b = Self.arm(nt, rt)
            let forward = try ProportionTest.compare(control: a, treatment: b)
            let backward = try ProportionTest.compare(control: b, treatment: a)
            #expect(forward.upliftAbs == backward.upliftAbs.map { -$0 })
            #expect(forward.pValue == backward.pValue)
            let ma = a.asMean
            let mb = b.asMean
            let wf = try WelchTest.compare(control: ma, treatment: mb)
            let wb = try WelchTest.compare(control: mb, treatment: ma)
            #expect(wf.upliftAbs == wb.upliftAbs.map { -$0 })
            if let p = wf.pValue, let q = wb.pValue { #expect(abs(p - q) <= 1e-15) }
        }
    }

    @Test("sample size falls as the MDE grows")
    func sampleSizeMonotone() async {
        await propertyCheck(count: 200, input: Gen.double(in: 0.01...0.5), Gen.double(in: 0.001...0.2), Gen.double(in: 0.1...0.9)) {
            baseline, mde, share in
            guard baseline + 2 * mde < 1 else { return }
            let design = PowerAnalysis.Design(treatmentShare: share)
            let small = try PowerAnalysis.proportionSampleSize(baseline: baseline, mde: mde, design: design)
            let large = try PowerAnalysis.proportionSampleSize(baseline: baseline, mde: 2 * mde, design: design)
            #expect(large.exactTotal < small.exactTotal)
        }
    }

    @Test("merging sufficient statistics equals computing on the union")
    func mergeEqualsUnion() async {
        await propertyCheck(count: 100, input: Gen.double(in: -100...100).array(of: 2...200), Gen.double(in: -100...100).array(of: 2...200)) {
            left, right in
            var a = MeanStatistic()
            var b = MeanStatistic()
            var union = MeanStatistic()
            var ra = RegressionStatistic(covariateCount: 2)
            var rb = RegressionStatistic(covariateCount: 2)
            var ru = RegressionStatistic(covariateCount: 2)
            for y in left {
                a.add(y)
                union.add(y)
                ra.add(y: y, x: [y / 3, 1 - y])
                ru.add(y: y, x: [y / 3, 1 - y])
            }
            for y in right {
                b.add(y)
                union.add(y)
                rb.add(y: y, x: [y / 3, 1 - y])
                ru.add(y: y, x: [y / 3, 1 - y])
            }
            let merged = a + b
            #expect(merged.n == union.n)
            #expect(abs(merged.sum - union.sum) <= 1e-9 * max(1, abs(union.sum)))
            #expect(abs(merged.sumSquares - union.sumSquares) <= 1e-9 * union.sumSquares)
            let mr = ra + rb
            #expect(mr.n == ru.n)
            for i in 0..<2 {
                for j in 0..<2 {
                    #expect(abs(mr.crossProduct(i, j) - ru.crossProduct(i, j)) <= 1e-9 * max(1, abs(ru.crossProduct(i, j))))
                }
            }
            let p1 = ProportionStatistic(n: left.count, conversions: left.filter { $0 > 0 }.count)
            let p2 = ProportionStatistic(n: right.count, conversions: right.filter { $0 > 0 }.count)
            let pu = ProportionStatistic(n: left.count + right.count, conversions: (left + right).filter { $0 > 0 }.count)
            #expect(p1 + p2 == pu)
        }
    }

    @Test("quantiles invert the cdfs")
    func quantileInvertsCDF() async {
        await propertyCheck(count: 300, input: Gen.double(in: 1e-6...0.999999), Gen.double(in: 0.5...1e6)) { p, df in
            let z = Normal.quantile(p)
            #expect(abs(Normal.cdf(z) - p) <= 1e-14 + 1e-12 * p)
            let t = StudentT.quantile(p, degreesOfFreedom: df)
            #expect(abs(StudentT.cdf(t, degreesOfFreedom: df) - p) <= 1e-13 + 1e-11 * p, "p \(p) df \(df)")
        }
    }
}
