import Foundation
import Testing

@testable import HoldoutStats

/// Distributions against scipy 1.17 (`Scripts/reference/generate.py`): 1e-12 absolute in the
/// body, 1e-9 relative in the tails.
@Suite("Distributions agree with scipy")
struct DistributionTests {
    struct Table: Decodable {
        struct NormalRow: Decodable { let x, cdf, sf: Double }
        struct QuantileRow: Decodable { let p, x: Double }
        struct TRow: Decodable { let t, df, cdf, sf: Double }
        struct TQuantileRow: Decodable { let p, df, t: Double }
        struct ChiRow: Decodable { let x, df, sf: Double }
        struct GammaRow: Decodable { let a, x, p, q: Double }
        struct BetaRow: Decodable { let a, b, x, i: Double }
        let normal: [NormalRow]
        let normal_quantile: [QuantileRow]
        let t: [TRow]
        let t_quantile: [TQuantileRow]
        let chi2: [ChiRow]
        let gamma_inc: [GammaRow]
        let beta_inc: [BetaRow]
    }

    let table: Table
    init() throws { table = try Fixture.load("distributions") }

    @Test("normal cdf and sf, down to 1e-300")
    func normalCDF() {
        #expect(table.normal.count > 400)
        for row in table.normal {
            if row.cdf >= 1e-300 {
                #expect(Tolerance.isCloseProbability(Normal.cdf(row.x), row.cdf), "cdf(\(row.x)) = \(Normal.cdf(row.x)), scipy \(row.cdf)")
            }
            if row.sf >= 1e-300 {
                #expect(Tolerance.isCloseProbability(Normal.sf(row.x), row.sf), "sf(\(row.x)) = \(Normal.sf(row.x)), scipy \(row.sf)")
            }
        }
    }

    @Test("normal quantile from 1e-300 to 1 − 1e-16")
    func normalQuantile() {
        for row in table.normal_quantile {
            let x = Normal.quantile(row.p)
            let tail = row.p < 1e-3 || row.p > 1 - 1e-3
            let tolerance = tail ? 1e-9 * abs(row.x) : 1e-12 * max(1, abs(row.x))
            #expect(abs(x - row.x) <= tolerance, "quantile(\(row.p)) = \(x), scipy \(row.x)")
        }
    }

    @Test("Student t cdf and sf, ν from 0.5 to 1e10")
    func studentT() {
        #expect(table.t.count > 300)
        for row in table.t {
            let cdf = StudentT.cdf(row.t, degreesOfFreedom: row.df)
            let sf = StudentT.sf(row.t, degreesOfFreedom: row.df)
            #expect(Tolerance.isCloseProbability(cdf, row.cdf), "cdf(\(row.t), ν=\(row.df)) = \(cdf), scipy \(row.cdf)")
            #expect(Tolerance.isCloseProbability(sf, row.sf), "sf(\(row.t), ν=\(row.df)) = \(sf), scipy \(row.sf)")
        }
    }

    @Test("Student t quantile")
    func studentTQuantile() {
        for row in table.t_quantile {
            let t = StudentT.quantile(row.p, degreesOfFreedom: row.df)
            let tail = row.p < 1e-3 || row.p > 1 - 1e-3
            let tolerance = tail ? 1e-9 * abs(row.t) : 1e-12 * max(1, abs(row.t))
            #expect(abs(t - row.t) <= tolerance, "quantile(\(row.p), ν=\(row.df)) = \(t), scipy \(row.t)")
        }
    }

    @Test("chi-squared sf")
    func chiSquared() {
        for row in table.chi2 {
            let sf = ChiSquared.sf(row.x, degreesOfFreedom: row.df)
            #expect(Tolerance.isCloseProbability(sf, row.sf), "sf(\(row.x), k=\(row.df)) = \(sf), scipy \(row.sf)")
        }
    }

    @Test("regularized incomplete gamma P and Q")
    func incompleteGamma() {
        for row in table.gamma_inc {
            let r = SpecialFunctions.regularizedGamma(a: row.a, x: row.x)
            #expect(Tolerance.isCloseProbability(r.lower, row.p), "P(\(row.a), \(row.x)) = \(r.lower), scipy \(row.p)")
            #expect(Tolerance.isCloseProbability(r.upper, row.q), "Q(\(row.a), \(row.x)) = \(r.upper), scipy \(row.q)")
        }
    }

    @Test("regularized incomplete beta")
    func incompleteBeta() {
        for row in table.beta_inc {
            let r = SpecialFunctions.regularizedBeta(a: row.a, b: row.b, x: row.x, y: 1 - row.x)
            #expect(Tolerance.isCloseProbability(r.lower, row.i), "I(\(row.x); \(row.a), \(row.b)) = \(r.lower), scipy \(row.i)")
        }
    }

    @Test("closed forms: t with ν = 1 is Cauchy, ν = 2 has an explicit cdf")
    func closedForms() {
        for t in [-50.0, -3, -0.5, 0.2, 4, 1e4] {
            let cauchy = t < 0 ? atan(-1 / t) / Double.pi : 0.5 + atan(t) / Double.pi
            #expect(abs(StudentT.cdf(t, degreesOfFreedom: 1) - cauchy) <= 1e-13 * max(cauchy, 1e-3), "Cauchy cdf at \(t)")
            let two = 0.5 + t / (2 * (2 + t * t).squareRoot())
            #expect(abs(StudentT.cdf(t, degreesOfFreedom: 2) - two) <= 1e-13, "ν = 2 cdf at \(t)")
        }
        // Beyond 1e15 the normal is used; at 1e14 the t must already agree with it to 1e-14.
        #expect(abs(StudentT.cdf(-2, degreesOfFreedom: 1e14) - Normal.cdf(-2)) < 1e-14)
    }
}
