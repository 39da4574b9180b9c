import RealModule

/// Samplers on a ``Xoshiro256StarStar`` stream, with fixed algorithms so the same seed gives the
/// same values everywhere.
extension Xoshiro256StarStar {
    /// A standard normal draw by the Marsaglia polar method (uses pairs of uniforms; the second
    /// value of each accepted pair is discarded so every draw consumes whole pairs, which keeps
    /// streams simple to reason about).
    public mutating func nextNormal() -> Double {
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                return u * (-2 * Double.log(s) / s).squareRoot()
            }
        }
    }

    /// Two independent standard normal draws from one accepted Marsaglia polar pair (both values
    /// kept): about half the uniforms and logarithms of two ``nextNormal()`` calls. The bulk
    /// samplers (the copula) use it; the pair is (u·f, v·f) with f = √(−2 ln s / s).
    public mutating func nextNormalPair() -> (Double, Double) {
        while true {
            let u = 2 * nextUniform() - 1
            let v = 2 * nextUniform() - 1
            let s = u * u + v * v
            if s > 0 && s < 1 {
                let f = (-2 * Double.log(s) / s).squareRoot()
                return (u * f, v * f)
            }
        }
    }

    /// A normal draw with mean μ and standard deviation σ.
    public mutating func nextNormal(mean: Double, standardDeviation: Double) -> Double {
        mean + standardDeviation * nextNormal()
    }

    /// A lognormal draw: exp(μ + σZ).
    public mutating func nextLognormal(mu: Double, sigma: Double) -> Double {
        Double.exp(mu + sigma * nextNormal())
    }

    /// A lognormal draw with the given mean m and dispersion σ: μ = ln m − σ²/2 (seed 004).
    public mutating func nextLognormal(mean: Double, sigma: Double) -> Double {
        nextLognormal(mu: Double.log(mean) - sigma * sigma / 2, sigma: sigma)
    }

    /// An index drawn with probabilities proportional to `weights` (non-negative, positive sum):
    /// the first index whose cumulative weight exceeds u·total.
    public mutating func nextCategorical(weights: [Double]) -> Int {
        let total = weights.reduce(0, +)
        let target = nextUniform() * total
        var cumulative = 0.0
        for (index, weight) in weights.enumerated() {
            cumulative += weight
            if target < cumulative { return index }
        }
        return weights.count - 1
    }

    /// A Bernoulli draw: true with probability p.
    public mutating func nextBernoulli(_ p: Double) -> Bool {
        nextUniform() < p
    }
}

/// A multivariate normal N(μ, Σ) sampler by the Cholesky factor of Σ.
public struct MultivariateNormal: Sendable {
    public let mean: [Double]
    /// The lower-triangular factor L with L·Lᵀ = Σ, row-major.
    let factor: [Double]
    public var dimension: Int { mean.count }

    /// An error in the covariance matrix, naming the entry.
    public struct InvalidCovariance: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// - Throws: ``InvalidCovariance`` when Σ is not square, not symmetric, has a non-finite entry
    ///   or is not positive semi-definite (a zero pivot is allowed only with a zero column).
    public init(mean: [Double], covariance: [[Double]]) throws(InvalidCovariance) {
        let k = mean.count
        guard covariance.count == k, covariance.allSatisfy({ $0.count == k }) else {
            throw InvalidCovariance(description: "the covariance matrix must be \(k)×\(k) to match the mean")
        }
        for i in 0..<k {
            for j in 0..<k {
                guard covariance[i][j].isFinite else { throw InvalidCovariance(description: "entry [\(i)][\(j)] is not finite") }
                let a = covariance[i][j]
                let b = covariance[j][i]
                guard abs(a - b) <= 1e-12 * max(1, abs(a), abs(b)) else {
                    throw InvalidCovariance(description: "the matrix is not symmetric: [\(i)][\(j)] = \(a) but [\(j)][\(i)] = \(b)")
                }
            }
        }
        var l = [Double](repeating: 0, count: k * k)
        for j in 0..<k {
            var diagonal = covariance[j][j]
            for m in 0..<j { diagonal -= l[j * k + m] * l[j * k + m] }
            let tolerance = 1e-12 * max(1, covariance[j][j])
            guard diagonal >= -tolerance else {
                throw InvalidCovariance(description: "the matrix is not positive semi-definite (pivot \(j) is \(diagonal))")
            }
            let root = max(diagonal, 0).squareRoot()
            l[j * k + j] = root
            for i in (j + 1)..<k {
                var value = covariance[i][j]
                for m in 0..<j { value -= l[i * k + m] * l[j * k + m] }
                if root > 0 {
                    l[i * k + j] = value / root
                } else if abs(value) > tolerance {
                    throw InvalidCovariance(description: "the matrix is not positive semi-definite (column \(j) has zero variance but covariance \(value))")
                }
            }
        }
        self.mean = mean
        self.factor = l
    }

    /// One draw: μ + L·z with z standard normal.
    public func sample(using generator: inout Xoshiro256StarStar) -> [Double] {
        let k = dimension
        var z = [Double](repeating: 0, count: k)
        for i in 0..<k { z[i] = generator.nextNormal() }
        var out = mean
        for i in 0..<k {
            var sum = 0.0
            for j in 0...i { sum += factor[i * k + j] * z[j] }
            out[i] += sum
        }
        return out
    }
}
