/// Synthetic-control fitting: donor weights on the simplex, optionally ridge-augmented.
///
/// Series are on a common scale: the target divided by its pre-period mean, each donor divided
/// by its own pre-period mean (so a weight says how much of the target's *shape* a donor
/// carries, and donors of any size can contribute); the counterfactual is rescaled by the
/// target's pre-period mean.
struct SyntheticControl {
    /// donors[j][t], normalized.
    let donors: [[Double]]
    let ridge: Double?
    /// The days the weights are fitted on.
    let rows: [Int]
    /// X₀X₀ᵀ over `rows` (n×n, row-major) and a bound on its largest eigenvalue.
    let gram: [Double]
    let lipschitz: Double

    /// Prepares a fit of the donors on the days `rows`: the Gram matrix and the step size are
    /// shared by every target fitted on those days.
    init(donors: [[Double]], rows: [Int], ridge: Double?) {
        let n = donors.count
        var gram = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var s = 0.0
                for t in rows { s += donors[i][t] * donors[j][t] }
                gram[i * n + j] = s
                gram[j * n + i] = s
            }
        }
        // Power iteration for the largest eigenvalue, +1% for safety.
        var v = [Double](repeating: 1 / Double(max(n, 1)).squareRoot(), count: n)
        var lipschitz = 0.0
        for _ in 0..<200 {
            var next = [Double](repeating: 0, count: n)
            for i in 0..<n { for j in 0..<n { next[i] += gram[i * n + j] * v[j] } }
            let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { break }
            lipschitz = norm
            v = next.map { $0 / norm }
        }
        self.donors = donors
        self.ridge = ridge
        self.rows = rows
        self.gram = gram
        self.lipschitz = lipschitz * 1.01
    }

    /// Weights for `target` (normalized, indexed like the donors' days).
    ///
    /// Simplex-constrained least squares min ‖y − Xw‖² over w ≥ 0, Σw = 1 by FISTA with adaptive
    /// restart and the Euclidean projection onto the simplex (Duchi et al. 2008), from `start` when given;
    /// with `ridge` λ, the ridge augmentation of Ben-Michael, Feller & Rothstein (2021):
    /// w_aug = w + (X₀X₀ᵀ + λI)⁻¹X₀(y − X₀ᵀw), whose weights may be negative.
    func weights(target: [Double], start: [Double]? = nil) -> (augmented: [Double], simplex: [Double]) {
        let n = donors.count
        var b = [Double](repeating: 0, count: n)
        for i in 0..<n { for t in rows { b[i] += donors[i][t] * target[t] } }
        let w = simplexLeastSquares(b: b, start: start)
        guard let lambda = ridge, lambda > 0 else { return (w, w) }
        var rhs = [Double](repeating: 0, count: n)
        for t in rows {
            let r = target[t] - predict(w, t)
            for j in 0..<n { rhs[j] += donors[j][t] * r }
        }
        var a = gram
        for j in 0..<n { a[j * n + j] += lambda }
        guard let adjustment = Self.choleskySolve(a, rhs, n: n) else { return (w, w) }
        return (zip(w, adjustment).map { $0 + $1 }, w)
    }

    /// Normalized counterfactual at day t.
    func predict(_ w: [Double], _ t: Int) -> Double {
        var s = 0.0
        for j in donors.indices { s += w[j] * donors[j][t] }
        return s
    }

    func simplexLeastSquares(b: [Double], start: [Double]?) -> [Double] {
        let n = donors.count
        var w = start ?? [Double](repeating: 1 / Double(n), count: n)
        guard lipschitz > 0 else { return w }
        let step = 1 / lipschitz
        var y = w
        var momentum = 1.0
        var gradientStep = [Double](repeating: 0, count: n)
        for _ in 0..<20_000 {
            for i in 0..<n {
                var g = -b[i]
                for j in 0..<n { g += gram[i * n + j] * y[j] }
                gradientStep[i] = y[i] - step * g
            }
            let next = Self.projectOntoSimplex(gradientStep)
            // Gradient-based adaptive restart (O'Donoghue & Candès 2015): drop the momentum
            // when it points uphill.
            var uphill = 0.0
            for i in 0..<n { uphill += (y[i] - next[i]) * (next[i] - w[i]) }
            if uphill > 0 { momentum = 1 }
            let nextMomentum = (1 + (1 + 4 * momentum * momentum).squareRoot()) / 2
            var change = 0.0
            for i in 0..<n {
                change = max(change, abs(next[i] - w[i]))
                y[i] = next[i] + (momentum - 1) / nextMomentum * (next[i] - w[i])
            }
            w = next
            momentum = nextMomentum
            if change < 1e-14 { break }
        }
        return w
    }

    /// Euclidean projection onto {w ≥ 0, Σw = 1} (Duchi, Shalev-Shwartz, Singer & Chandra 2008).
    static func projectOntoSimplex(_ v: [Double]) -> [Double] {
        let u = v.sorted(by: >)
        var cumulative = 0.0
        var tau = 0.0
        for (k, value) in u.enumerated() {
            cumulative += value
            let candidate = (cumulative - 1) / Double(k + 1)
            if value - candidate > 0 { tau = candidate }
        }
        return v.map { max($0 - tau, 0) }
    }

    /// Solves A x = b for symmetric positive definite A (n×n, row-major), or `nil`.
    static func choleskySolve(_ a: [Double], _ b: [Double], n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var s = b[i]
            for k in 0..<i { s -= l[i * n + k] * y[k] }
            y[i] = s / l[i * n + i]
        }
        var x = [Double](repeating: 0, count: n)
        for i in stride(from: n - 1, through: 0, by: -1) {
            var s = y[i]
            for k in (i + 1)..<n { s -= l[k * n + i] * x[k] }
            x[i] = s / l[i * n + i]
        }
        return x
    }
}
