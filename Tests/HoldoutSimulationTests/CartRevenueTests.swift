import Foundation
import HoldoutSimulation
import HoldoutStats
import Testing

@Suite("Cart revenue model")
struct CartRevenueTests {
    let model: CartRevenueModel

    init() throws {
        model = try CartRevenueModel(categories: [
            .init(name: "shoes", basePurchaseProbability: 0.3, basePrice: 80, priceStandardDeviation: 60),
            .init(name: "socks", basePurchaseProbability: 0.5, basePrice: 10, priceStandardDeviation: 3),
            .init(name: "bags", basePurchaseProbability: 0.1, basePrice: 120, priceStandardDeviation: 0),
        ])
    }

    @Test("the analytic expectation matches simulation, with and without a severity shift")
    func expectation() {
        var g = Xoshiro256StarStar(seed: 12)
        for delta in [0.0, 1.5, -2.0] {
            let n = 200_000
            var sum = 0.0
            var squares = 0.0
            for _ in 0..<n {
                let r = model.sample(severityDelta: delta, using: &g).revenue
                sum += r
                squares += r * r
            }
            let mean = sum / Double(n)
            let se = ((squares - sum * sum / Double(n)) / Double(n - 1) / Double(n)).squareRoot()
            #expect(abs(mean - model.expectedRevenue(severityDelta: delta)) < 4 * se, "δ = \(delta): \(mean) vs \(model.expectedRevenue(severityDelta: delta))")
        }
        #expect(model.expectedRevenue(severityDelta: 1.5) > model.expectedRevenue(severityDelta: 0))
    }

    @Test("the truncated-normal mean matches the closed form; carts are never empty")
    func truncation() throws {
        // One category with p → small: nearly every cart is the empty-cart fallback at the truncated mean.
        let single = try CartRevenueModel(categories: [.init(name: "x", basePurchaseProbability: 0.5, basePrice: 10, priceStandardDeviation: 8)])
        let alpha = (5.0 - 10.0) / 8.0
        let truncatedMean = 10 + 8 * Normal.pdf(alpha) / Normal.sf(alpha)
        #expect(abs(single.expectedRevenue(severityDelta: 0) - truncatedMean) < 1e-12)
        var g = Xoshiro256StarStar(seed: 2)
        for _ in 0..<10_000 {
            let cart = single.sample(severityDelta: -30, using: &g)
            #expect(cart.items >= 1 && cart.revenue > 5)
        }
    }

    @Test("invalid categories are refused")
    func invalid() {
        #expect(throws: SimulationError.self) { try CartRevenueModel(categories: []) }
        #expect(throws: SimulationError.self) {
            try CartRevenueModel(categories: [.init(name: "x", basePurchaseProbability: 1, basePrice: 1, priceStandardDeviation: 0)])
        }
        #expect(throws: SimulationError.self) {
            try CartRevenueModel(categories: [.init(name: "x", basePurchaseProbability: 0.5, basePrice: 0, priceStandardDeviation: 0)])
        }
        #expect(throws: SimulationError.self) {
            try CartRevenueModel(categories: [.init(name: "x", basePurchaseProbability: 0.5, basePrice: 1, priceStandardDeviation: -1)])
        }
    }
}
