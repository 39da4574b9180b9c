import HoldoutStats
import RealModule

/// Seed 004's cart revenue model: a converter buys each product category with its own
/// probability, pays a price per category bought, and an empty cart falls back to the cheapest
/// category.
///
/// For visitor i with severity shift δᵢ (0 in control, m₁ − m₀ in treatment) category j is bought
/// with probability sigmoid(logit(b_j) + δᵢ·w_j), w_j = b_j / Σb; its price is normal
/// N(price_j, sd_j) **truncated** below at price_j / 2 (drawn by rejection). The expected revenue
/// of a converter is Σ_j P_j·E[price_j] + Π_j(1 − P_j)·E[price_cheapest], with the truncated-normal
/// mean E[X | X > a] = μ + σφ(α)/(1 − Φ(α)), α = (a − μ)/σ.
///
/// Seed 004 clips prices at half the base price when sampling but uses the truncated mean in its
/// analytic expectation, so its samples and its truth disagree; here both use truncation.
public struct CartRevenueModel: Sendable, Hashable {
    public struct Category: Sendable, Hashable {
        public var name: String
        public var basePurchaseProbability: Double
        public var basePrice: Double
        public var priceStandardDeviation: Double

        public init(name: String, basePurchaseProbability: Double, basePrice: Double, priceStandardDeviation: Double) {
            self.name = name
            self.basePurchaseProbability = basePurchaseProbability
            self.basePrice = basePrice
            self.priceStandardDeviation = priceStandardDeviation
        }
    }

    public let categories: [Category]
    let weights: [Double]
    let logits: [Double]
    let expectedPrices: [Double]
    let cheapest: Int

    /// - Throws: ``SimulationError`` for no categories, a purchase probability outside (0, 1), a
    ///   non-positive price or a negative standard deviation.
    public init(categories: [Category]) throws(SimulationError) {
        guard !categories.isEmpty else { throw SimulationError("cart: at least one category is needed") }
        for c in categories {
            guard c.basePurchaseProbability > 0, c.basePurchaseProbability < 1 else {
                throw SimulationError("cart: category '\(c.name)' base purchase probability must be in (0, 1), got \(c.basePurchaseProbability)")
            }
            guard c.basePrice > 0, c.basePrice.isFinite else { throw SimulationError("cart: category '\(c.name)' base price must be > 0") }
            guard c.priceStandardDeviation >= 0, c.priceStandardDeviation.isFinite else {
                throw SimulationError("cart: category '\(c.name)' price std must be ≥ 0")
            }
        }
        self.categories = categories
        let total = categories.reduce(0) { $0 + $1.basePurchaseProbability }
        weights = categories.map { $0.basePurchaseProbability / total }
        logits = categories.map { Double.log($0.basePurchaseProbability / (1 - $0.basePurchaseProbability)) }
        expectedPrices = categories.map { c in
            guard c.priceStandardDeviation > 0 else { return c.basePrice }
            let alpha = (c.basePrice / 2 - c.basePrice) / c.priceStandardDeviation
            return c.basePrice + c.priceStandardDeviation * Normal.pdf(alpha) / Normal.sf(alpha)
        }
        cheapest = categories.indices.min { categories[$0].basePrice < categories[$1].basePrice } ?? 0
    }

    func purchaseProbabilities(severityDelta delta: Double) -> [Double] {
        categories.indices.map { 1 / (1 + Double.exp(-(logits[$0] + delta * weights[$0]))) }
    }

    /// E[revenue | converted] for a severity shift.
    public func expectedRevenue(severityDelta delta: Double) -> Double {
        let p = purchaseProbabilities(severityDelta: delta)
        var total = 0.0
        var empty = 1.0
        for j in categories.indices {
            total += p[j] * expectedPrices[j]
            empty *= 1 - p[j]
        }
        return total + empty * expectedPrices[cheapest]
    }

    /// One converter's cart: its revenue and how many categories it bought.
    public func sample(severityDelta delta: Double, using generator: inout Xoshiro256StarStar) -> (revenue: Double, items: Int) {
        let p = purchaseProbabilities(severityDelta: delta)
        var revenue = 0.0
        var items = 0
        for j in categories.indices where generator.nextBernoulli(p[j]) {
            revenue += price(j, using: &generator)
            items += 1
        }
        if items == 0 {
            revenue = price(cheapest, using: &generator)
            items = 1
        }
        return (revenue, items)
    }

    /// A price for category j from its normal truncated below at half the base price.
    func price(_ j: Int, using generator: inout Xoshiro256StarStar) -> Double {
        let c = categories[j]
        guard c.priceStandardDeviation > 0 else { return c.basePrice }
        while true {
            let x = generator.nextNormal(mean: c.basePrice, standardDeviation: c.priceStandardDeviation)
            if x > c.basePrice / 2 { return x }
        }
    }
}
