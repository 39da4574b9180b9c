import Foundation
import HoldoutSimulation
import Testing

@Suite("Simulator: the Criteo Uplift layout")
struct CriteoEncodingTests {
    /// The Criteo rows and the seed layout's rows of the same run.
    static func run(visitors: Int, parallelism: Int) throws -> (criteo: [[Substring]], seed: [[Substring]]) {
        let config = try Scenario.config("criteo-like")
        let criteo = try CriteoEncoding(config: config)
        let seed = CSVEncoding(config: config)
        var a: [UInt8] = Array(criteo.header.utf8)
        var b: [UInt8] = Array(seed.observedHeader.utf8)
        try Simulator(config).run(visitors: visitors, seed: config.seed, parallelism: parallelism) { chunk in
            (criteo.bytes(chunk), seed.observedBytes(chunk))
        } consume: { piece in
            a += piece.0
            b += piece.1
        }
        func rows(_ bytes: [UInt8]) -> [[Substring]] {
            String(decoding: bytes, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        }
        return (rows(a), rows(b))
    }

    @Test("columns follow the seed layout's visitors; conversions only among visits, exposures only among the treated")
    func columns() throws {
        let n = 120_000
        let (criteo, seed) = try Self.run(visitors: n, parallelism: 2)
        #expect(criteo[0].joined(separator: ",") == "f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,treatment,conversion,visit,exposure")
        #expect(criteo.count == n + 1 && seed.count == n + 1)
        var visits = 0
        var conversions = 0
        var treated = 0
        var exposed = 0
        for i in 1...n {
            let c = criteo[i]
            let s = seed[i]
            // Features are the seed layout's, in order (its columns 7…18), treatment its variant, visit its outcome.
            #expect(Array(c[0..<12]) == Array(s[7..<19]), "row \(i)")
            #expect((c[12] == "1") == (s[2] == "treatment"))
            #expect((c[14] == "1") == (s[3] == "1"))
            let (conversion, visit, exposure, treatment) = (c[13] == "1", c[14] == "1", c[15] == "1", c[12] == "1")
            #expect(!conversion || visit)
            #expect(!exposure || treatment)
            visits += visit ? 1 : 0
            conversions += conversion ? 1 : 0
            treated += treatment ? 1 : 0
            exposed += exposure ? 1 : 0
        }
        // The thinning rates: binomial counts within 4 standard deviations of their expectations.
        func within(_ count: Int, of trials: Int, rate: Double) -> Bool {
            let mean = Double(trials) * rate
            return abs(Double(count) - mean) < 4 * (mean * (1 - rate)).squareRoot()
        }
        #expect(within(conversions, of: visits, rate: CriteoEncoding.conversionPerVisit), "\(conversions) of \(visits)")
        #expect(within(exposed, of: treated, rate: CriteoEncoding.exposurePerTreated), "\(exposed) of \(treated)")
        #expect(within(treated, of: n, rate: 0.85))
    }

    @Test("the same file for any number of threads")
    func threads() throws {
        let one = try Self.run(visitors: 70_000, parallelism: 1).criteo
        let three = try Self.run(visitors: 70_000, parallelism: 3).criteo
        #expect(one == three)
    }

    @Test("scenarios the layout cannot hold are refused by name")
    func refusals() throws {
        #expect(throws: SimulationError.self) { try CriteoEncoding(config: try Scenario.config("three-arm")) }
        #expect(throws: SimulationError.self) { try CriteoEncoding(config: try Scenario.config("revenue-hurdle")) }
        #expect(throws: SimulationError.self) { try CriteoEncoding(config: try Scenario.config("email-holdout")) }
    }
}
