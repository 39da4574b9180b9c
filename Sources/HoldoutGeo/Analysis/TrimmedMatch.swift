import HoldoutStats

/// Chen & Au's trimmed match estimator of incremental return on ad spend (iROAS) for a
/// randomized paired geo experiment, ported from google/trimmed_match (`core/estimator.cc`,
/// `core/geox_data_util.cc`, `core/math_util.cc` and the Python wrapper `estimator.py`).
///
/// For pairs i = 1…n with Δr_i and Δc_i the response and cost differences (treatment − control),
/// the iROAS θ solves the trimmed-mean equation
///
///     TrimmedMean_λ({Δr_i − θ·Δc_i}) = 0,
///
/// trimming ⌈λn⌉ residuals from each tail (λ = 0 gives ΣΔr/ΣΔc). With several roots, the one
/// minimizing the trimmed symmetric norm is taken. The standard error is Eq. (8.2) of the paper:
/// √(Σ_w ε² / (n·(Σ_trimmed Δc / n)²)) / √n, with Σ_w the winsorized sum of squares. The
/// interval is {θ : |T_λ(θ)| ≤ z}, T_λ the studentized trimmed mean of the residuals, found
/// exactly by scanning the O(n²) breakpoints (Δr_i − Δr_j)/(Δc_i − Δc_j) and solving a
/// quadratic inequality between them (Eq. 5.6–5.7); when that set is unbounded (wider than 10⁶
/// standard errors) the package reports θ̂ ± 3·z·se, and so do we.
///
/// Without a fixed trim rate, λ runs over 0, 1/n, 2/n, … up to the maximum (default 0.25, at
/// most 0.3 and 0.5 − 1/n), and the smallest λ whose standard error is within
/// (1 + 0.25/√n) of the minimum is chosen. Ties in Δc or in the breakpoints are broken with the
/// package's 2⁻⁴⁰ perturbation. O(n² log n).
///
/// Reference: A. Chen, T. C. Au, *Robust Causal Inference for Incremental Return on Ad Spend
/// with Randomized Paired Geo Experiments*, Annals of Applied Statistics 16 (2022);
/// https://ai.google/research/pubs/pub48448/.
public struct TrimmedMatch: Sendable {
    /// The estimate at one candidate trim rate.
    public struct Candidate: Sendable, Hashable, Codable {
        public var trimRate: Double
        public var iroas: Double
        public var stdError: Double

        enum CodingKeys: String, CodingKey {
            case trimRate = "trim_rate"
            case iroas
            case stdError = "std_error"
        }
    }

    /// The package's `Report`.
    public struct Report: Sendable, Hashable {
        public var estimate: Double
        public var stdError: Double
        public var trimRate: Double
        /// The two-sided confidence of the interval.
        public var confidence: Double
        public var ciLow: Double
        public var ciHigh: Double
        /// Indices (into the input) of the trimmed pairs, as the package computes them.
        public var trimmedPairs: [Int]
        public var candidates: [Candidate]
        /// The studentized trimmed mean of the differences at θ = 0 (the statistic the
        /// interval inverts), for p-values.
        public var statisticAtZero: Double
    }

    let deltaResponse: [Double]
    let deltaCost: [Double]
    /// The maximum trim rate as the caller gave it (the wrapper checks fixed rates against it).
    let requestedMaxTrimRate: Double
    /// The cap the core uses: min(0.5 − 1/n, requested, 0.3), at least 0.
    let maxTrimRate: Double
    let data: PairData

    /// Prepares the estimator.
    /// - Throws: ``GeoError`` `invalid_input` for different lengths, fewer than 2 pairs, a
    ///   negative maximum trim rate or non-finite values; `no_solution` when every |Δc| < 1e-10.
    public init(deltaResponse: [Double], deltaCost: [Double], maxTrimRate: Double = 0.25) throws(GeoError) {
        guard deltaResponse.count == deltaCost.count else {
            throw GeoError(.invalidInput, "trimmed match: \(deltaResponse.count) response differences but \(deltaCost.count) cost differences")
        }
        guard deltaResponse.count >= 2 else { throw GeoError(.insufficientData, "trimmed match needs at least 2 pairs, got \(deltaResponse.count)") }
        guard maxTrimRate >= 0 else { throw GeoError(.invalidInput, "max_trim_rate is negative (\(maxTrimRate))") }
        guard deltaResponse.allSatisfy(\.isFinite), deltaCost.allSatisfy(\.isFinite) else {
            throw GeoError(.invalidInput, "trimmed match: the differences must be finite")
        }
        guard deltaCost.contains(where: { abs($0) >= 1e-10 }) else {
            throw GeoError(.noSolution, "trimmed match: every pair's cost difference is below 1e-10, so the iROAS is undefined")
        }
        let n = deltaResponse.count
        self.deltaResponse = deltaResponse
        self.deltaCost = deltaCost
        requestedMaxTrimRate = maxTrimRate
        // Tie breaking of estimator.py: perturb when Δc or θ_ij have ties.
        let ties = Self.ties(deltaResponse, deltaCost)
        var perturbResponse = [Double](repeating: 0, count: n)
        var perturbCost = [Double](repeating: 0, count: n)
        if ties > 0 {
            let raw = (0..<n).map { Double($0) * Double($0).squareRoot() }
            let sorted = raw.sorted()
            let median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
            perturbResponse = raw.map { ($0 - median) * 0x1p-40 }
            if ties == 2 { perturbCost = (0..<n).map { (Double($0) - Double(n) * 0.5) * 0x1p-40 } }
        }
        let tiny = Double.leastNormalMagnitude
        let r = (0..<n).map { (deltaResponse[$0] + tiny) * (1 + perturbResponse[$0]) }
        let c = (0..<n).map { (deltaCost[$0] + tiny) * (1 + perturbCost[$0]) }
        let wrapperMax = min(0.5 - 1 / Double(n), maxTrimRate)
        self.maxTrimRate = wrapperMax >= 0.3 ? 0.3 : max(wrapperMax, 0)
        data = PairData(response: r, cost: c)
    }

    /// 2 when Δc has ties, 1 when only the θ_ij = (Δr_i − Δr_j)/(Δc_i − Δc_j) do, else 0.
    static func ties(_ r: [Double], _ c: [Double]) -> Int {
        if Set(c).count != c.count { return 2 }
        var thetas = Set<Double>()
        for i in 0..<r.count {
            for j in (i + 1)..<r.count where !thetas.insert((r[i] - r[j]) / (c[i] - c[j])).inserted { return 1 }
        }
        return 0
    }

    /// The package's report.
    ///
    /// - Parameters:
    ///   - confidence: the two-sided interval's confidence, in (0, 1] (the package's default 0.8).
    ///   - trimRate: a fixed trim rate in [0, max_trim_rate], or `nil` to choose it from the data.
    ///     As in the package, a fixed rate above the core's cap min(0.5 − 1/n, max_trim_rate, 0.3)
    ///     (but not above max_trim_rate) is ignored and the rate is chosen from the data.
    /// - Throws: ``GeoError`` `invalid_input` for a confidence outside (0, 1] or a trim rate above
    ///   the maximum; `no_solution` when the trimmed-mean equation has no root (the untrimmed
    ///   pairs have no incremental cost).
    public func report(confidence: Double = 0.8, trimRate: Double? = nil) throws(GeoError) -> Report {
        guard confidence > 0, confidence <= 1 else { throw GeoError(.invalidInput, "confidence must be in (0, 1], got \(confidence)") }
        if let trimRate, trimRate > requestedMaxTrimRate {
            throw GeoError(.invalidInput, "trim_rate \(trimRate) is greater than max_trim_rate \(requestedMaxTrimRate)")
        }
        let z = Normal.quantile(0.5 + 0.5 * confidence)
        let n = data.count
        var chosen: Candidate
        var candidates: [Candidate] = []
        if let trimRate, trimRate >= 0, trimRate <= maxTrimRate {
            let iroas = try iroas(trimRate: trimRate)
            chosen = Candidate(trimRate: trimRate, iroas: iroas, stdError: standardError(trimRate: trimRate, iroas: iroas))
            candidates.append(chosen)
        } else {
            let maxTrims = Int((maxTrimRate * Double(n)).rounded(.up))
            for i in 0...maxTrims {
                let rate = Double(i) / Double(n)
                if rate > maxTrimRate { break }
                let iroas = try iroas(trimRate: rate)
                candidates.append(Candidate(trimRate: rate, iroas: iroas, stdError: standardError(trimRate: rate, iroas: iroas)))
            }
            let minimum = candidates.map(\.stdError).min()!
            chosen = candidates.first { $0.stdError <= (1 + 0.25 / Double(n).squareRoot()) * minimum }!
        }
        var (low, high) = data.rangeFromStudentizedTrimmedMean(trimRate: chosen.trimRate, threshold: z)
        if !(high - low <= 1e6 * chosen.stdError) {
            let width = chosen.stdError * z * 3
            low = chosen.iroas - width
            high = chosen.iroas + width
        }
        // Trimmed pairs as estimator.py: rank the residuals of the raw data, trim round(n·λ) per tail.
        let epsilons = (0..<n).map { deltaResponse[$0] - deltaCost[$0] * chosen.iroas }
        let order = epsilons.indices.sorted { epsilons[$0] < epsilons[$1] || (epsilons[$0] == epsilons[$1] && $0 < $1) }
        var rank = [Int](repeating: 0, count: n)
        for (r, i) in order.enumerated() { rank[i] = r }
        let leftTrim = Int((Double(n) * chosen.trimRate).rounded(.toNearestOrEven))
        let trimmed = (0..<n).filter { rank[$0] < leftTrim || rank[$0] > n - leftTrim - 1 }
        let statistic = PairData.studentizedTrimmedMean(data.response, trimRate: chosen.trimRate)
        return Report(
            estimate: chosen.iroas, stdError: chosen.stdError, trimRate: chosen.trimRate, confidence: confidence, ciLow: low, ciHigh: high,
            trimmedPairs: trimmed, candidates: candidates, statisticAtZero: statistic)
    }

    /// The root of the trimmed-mean equation at `trimRate` (estimator.cc `CalculateIroas`).
    func iroas(trimRate: Double) throws(GeoError) -> Double {
        if trimRate == 0 { return data.empiricalIroas }
        let roots = data.zerosOfTrimmedMean(trimRate: trimRate)
        guard let first = roots.first else {
            throw GeoError(
                .noSolution, "trimmed match: no iROAS solves the trimmed-mean equation at trim rate \(trimRate) (the untrimmed pairs have no incremental cost)")
        }
        if roots.count == 1 { return first }
        var best = Double.greatestFiniteMagnitude
        var result = 0.0
        for root in roots {
            let norm = PairData.trimmedSymmetricNorm(data.residuals(root), trimRate: trimRate)
            if norm < best {
                best = norm
                result = root
            }
        }
        return result
    }

    /// Eq. (8.2): √(winsorized Σε² / (n·(trimmed ΣΔc / n)²) / n) (estimator.cc `CalculateStandardError`).
    func standardError(trimRate: Double, iroas: Double) -> Double {
        let n = data.count
        let residuals = data.residuals(iroas)
        let n1 = Int((trimRate * Double(n)).rounded(.up))
        let n2 = n - 1 - n1
        let order = residuals.indices.sorted { residuals[$0] < residuals[$1] }
        var trimmedCost = 0.0
        var squares = Double(n1) * (residuals[order[n1]] * residuals[order[n1]] + residuals[order[n2]] * residuals[order[n2]])
        if n1 <= n2 {
            for k in n1...n2 {
                trimmedCost += data.cost[order[k]]
                squares += residuals[order[k]] * residuals[order[k]]
            }
        }
        trimmedCost /= Double(n)
        let variance = squares / (trimmedCost * trimmedCost * Double(n))
        return (variance / Double(n)).squareRoot()
    }
}

/// The pairs sorted by cost difference with ties broken, and the sorted breakpoints
/// (geox_data_util.cc `GeoxDataUtil`).
struct PairData: Sendable {
    struct Breakpoint {
        var i: Int
        var j: Int
        var delta: Double
    }

    static let tieBreaker = 1e-10
    static let boundIroas = 1e10

    var response: [Double]
    var cost: [Double]
    var breakpoints: [Breakpoint]
    var count: Int { response.count }

    static func ratio(_ numerator: Double, _ denominator: Double) -> Double {
        numerator / (denominator == 0 ? Double.leastNormalMagnitude : denominator)
    }

    init(response: [Double], cost: [Double]) {
        var pairs = zip(response, cost).map { (r: $0, c: $1) }
        pairs.sort { $0.c == $1.c ? $0.r < $1.r : $0.c < $1.c }
        let n = pairs.count
        var i = 1
        while i < n {
            if pairs[i].c - pairs[i - 1].c <= Double.leastNormalMagnitude {
                // FindFirstJumpInDeltaCostFrom(i)
                var j = i
                while j < n && pairs[j].c - pairs[i - 1].c < Self.tieBreaker { j += 1 }
                let base = pairs[i - 1].c
                for k in i..<j { pairs[k].c = base + (Self.tieBreaker * Double(k - i + 1)) / Double(j - i + 1) }
                i = j + 1
            } else {
                i += 1
            }
        }
        self.response = pairs.map(\.r)
        self.cost = pairs.map(\.c)
        var breakpoints: [Breakpoint] = []
        breakpoints.reserveCapacity(n * (n - 1) / 2)
        for i in 1..<max(n, 1) {
            for j in 0..<i {
                breakpoints.append(Breakpoint(i: i, j: j, delta: Self.ratio(self.response[i] - self.response[j], self.cost[i] - self.cost[j])))
            }
        }
        breakpoints.sort { a, b in
            if a.delta == b.delta { return a.i == b.i ? a.j > b.j : a.i > b.i }
            return a.delta < b.delta
        }
        self.breakpoints = breakpoints
    }

    var empiricalIroas: Double { Self.ratio(response.reduce(0, +), cost.reduce(0, +)) }

    func residuals(_ iroas: Double) -> [Double] { (0..<count).map { response[$0] - cost[$0] * iroas } }

    /// All θ with TrimmedMean(Δr − θΔc) = 0: between consecutive breakpoints the order of the
    /// residuals is fixed, so the trimmed set is known and the root is a ratio of sums.
    func zerosOfTrimmedMean(trimRate: Double) -> [Double] {
        if trimRate == 0 { return [empiricalIroas] }
        let n = count
        let n1 = Int((trimRate * Double(n)).rounded(.up))
        guard 2 * n1 < n else { return [] }
        let n2 = n - 1 - n1
        var body = [Bool](repeating: false, count: n)
        var sumResponse = 0.0
        var sumCost = 0.0
        for i in n1...n2 {
            body[i] = true
            sumResponse += response[i]
            sumCost += cost[i]
        }
        var candidates = [Self.ratio(sumResponse, sumCost)]
        var bounds = [-Double.greatestFiniteMagnitude]
        for x in breakpoints where body[x.i] != body[x.j] {
            let dr = response[x.j] - response[x.i]
            let dc = cost[x.j] - cost[x.i]
            if body[x.i] {
                sumResponse += dr
                sumCost += dc
            } else {
                sumResponse -= dr
                sumCost -= dc
            }
            body[x.i].toggle()
            body[x.j].toggle()
            candidates.append(Self.ratio(sumResponse, sumCost))
            bounds.append(x.delta)
        }
        bounds.append(Double.greatestFiniteMagnitude)
        return candidates.indices.compactMap { k in candidates[k] >= bounds[k] && candidates[k] <= bounds[k + 1] ? candidates[k] : nil }
    }

    /// The min and max breakpoint involving pair `index`.
    func deltaRelative(to index: Int) -> (min: Double, max: Double) {
        var low = Double.greatestFiniteMagnitude
        var high = -low
        for i in 0..<count where i != index {
            let delta = Self.ratio(response[i] - response[index], cost[i] - cost[index])
            if delta < low { low = delta }
            if delta > high { high = delta }
        }
        return (low, high)
    }

    /// {θ : |StudentizedTrimmedMean(Δr − θΔc)| ≤ threshold}, as (low, high); NaNs when empty.
    func rangeFromStudentizedTrimmedMean(trimRate: Double, threshold: Double) -> (Double, Double) {
        let n = count
        let big = Double.greatestFiniteMagnitude
        if trimRate == 0 {
            let h = threshold * threshold * Double(n) / Double(n - 1)
            var x1 = 0.0
            var y1 = 0.0
            var x2 = 0.0
            var y2 = 0.0
            var z = 0.0
            for k in 0..<n {
                x1 += cost[k]
                y1 += response[k]
                x2 += cost[k] * cost[k]
                y2 += response[k] * response[k]
                z += response[k] * cost[k]
            }
            let r = 1 + h / Double(n)
            return QuadraticInequality(a: h * x2 - r * x1 * x1, b: h * z - r * x1 * y1, c: h * y2 - r * y1 * y1).solve(-big, big)
        }
        let n1 = Int((trimRate * Double(n)).rounded(.up))
        guard n >= 2 * n1 + 2 else { return (.nan, .nan) }
        let n2 = n - 1 - n1
        let r1 = deltaRelative(to: n1)
        let r2 = deltaRelative(to: n2)
        let deltaMin = min(r1.min, r2.min)
        let deltaMax = max(r1.max, r2.max)
        let m = Double(n - 2 * n1)
        let h = threshold * threshold * m / (m - 1)
        let dn1 = Double(n1)
        let dn = Double(n)
        var left = n1
        var right = n2
        var x1 = 0.0
        var y1 = 0.0
        var x2 = dn1 * (cost[left] * cost[left] + cost[right] * cost[right])
        var y2 = dn1 * (response[left] * response[left] + response[right] * response[right])
        var z = dn1 * (response[left] * cost[left] + response[right] * cost[right])
        var body = [Bool](repeating: false, count: n)
        for k in n1...n2 {
            body[k] = true
            x1 += cost[k]
            y1 += response[k]
            x2 += cost[k] * cost[k]
            y2 += response[k] * response[k]
            z += response[k] * cost[k]
        }
        var x1w = x1 + dn1 * (cost[left] + cost[right])
        var y1w = y1 + dn1 * (response[left] + response[right])
        func inequality() -> QuadraticInequality {
            QuadraticInequality(a: h * (x2 - x1w * x1w / dn) - x1 * x1, b: h * (z - x1w * y1w / dn) - x1 * y1, c: h * (y2 - y1w * y1w / dn) - y1 * y1)
        }
        var candidates: [(Double, Double)] = []
        let leftCandidate = inequality().solve(-big, deltaMin)
        let rightCandidate = inequality().solve(deltaMax, big)
        if !leftCandidate.0.isNaN { candidates.append(leftCandidate) }
        if !rightCandidate.0.isNaN { candidates.append(rightCandidate) }
        var minX = deltaMin
        let tiny = Double.leastNormalMagnitude
        for item in breakpoints {
            if item.delta < deltaMin - tiny { continue }
            if item.delta > deltaMax + tiny { break }
            if item.i == left || item.j == left || item.i == right || item.j == right || body[item.i] != body[item.j] {
                let candidate = inequality().solve(minX, item.delta)
                if !candidate.0.isNaN { candidates.append(candidate) }
                minX = item.delta
            }
            for original in [left, right] where item.i == original || item.j == original {
                x2 -= dn1 * cost[original] * cost[original]
                y2 -= dn1 * response[original] * response[original]
                z -= dn1 * response[original] * cost[original]
                let other = item.i == original ? item.j : item.i
                x2 += dn1 * cost[other] * cost[other]
                y2 += dn1 * response[other] * response[other]
                z += dn1 * response[other] * cost[other]
            }
            if item.i == left || item.j == left { left = item.i == left ? item.j : item.i }
            if item.i == right || item.j == right { right = item.i == right ? item.j : item.i }
            x1w = x1 + dn1 * (cost[left] + cost[right])
            y1w = y1 + dn1 * (response[left] + response[right])
            if body[item.i] == body[item.j] { continue }
            let sign = body[item.i] ? 1.0 : -1.0
            let dr = response[item.j] - response[item.i]
            let dc = cost[item.j] - cost[item.i]
            x1 += sign * dc
            y1 += sign * dr
            x2 += sign * (cost[item.j] * cost[item.j] - cost[item.i] * cost[item.i])
            y2 += sign * (response[item.j] * response[item.j] - response[item.i] * response[item.i])
            z += sign * (response[item.j] * cost[item.j] - response[item.i] * cost[item.i])
            x1w += sign * dc
            y1w += sign * dr
            body[item.i].toggle()
            body[item.j].toggle()
        }
        var low = big
        var high = -big
        for (a, b) in candidates where !a.isNaN {
            low = min(low, a)
            high = max(high, b)
        }
        return low > high ? (.nan, .nan) : (low, high)
    }

    /// Mean of |x₍ᵢ₎ + x₍ₙ₋₁₋ᵢ₎| over the untrimmed order statistics (math_util.cc).
    static func trimmedSymmetricNorm(_ residuals: [Double], trimRate: Double) -> Double {
        let sorted = residuals.sorted()
        let size = sorted.count
        let trim = Int((Double(size) * trimRate).rounded(.up))
        var sum = 0.0
        for i in trim..<(size - trim) { sum += abs(sorted[i] + sorted[size - 1 - i]) }
        return sum / Double(size - 2 * trim)
    }

    /// Trimmed mean over √(winsorized variance / (m(m − 1))), m the untrimmed count (math_util.cc);
    /// the statistic whose |·| ≤ z defines the interval.
    static func studentizedTrimmedMean(_ residuals: [Double], trimRate: Double) -> Double {
        let sorted = residuals.sorted()
        let size = sorted.count
        let trim = Int((trimRate * Double(size)).rounded(.up))
        guard size >= 2 * trim + 2 else { return .nan }
        var trimSum = 0.0
        for i in trim..<(size - trim) { trimSum += sorted[i] }
        let low = sorted[trim]
        let high = sorted[size - trim - 1]
        let winsorizedMean = (trimSum + Double(trim) * (low + high)) / Double(size)
        var squares = Double(trim) * ((low - winsorizedMean) * (low - winsorizedMean) + (high - winsorizedMean) * (high - winsorizedMean))
        for i in trim..<(size - trim) { squares += (sorted[i] - winsorizedMean) * (sorted[i] - winsorizedMean) }
        let m = Double(size - 2 * trim)
        return (trimSum / m) / (squares / m / (m - 1)).squareRoot()
    }
}

/// a·x² − 2b·x + c ≥ 0 on [minX, maxX] ∩ [−10¹⁰, 10¹⁰] (math_util.cc `QuadraticInequality`).
struct QuadraticInequality {
    var a: Double
    var b: Double
    var c: Double
    var bound = PairData.boundIroas

    func value(at x: Double) -> Double {
        let v = min(bound, max(-bound, x))
        return a * v * v - 2 * b * v + c
    }

    /// The smallest and largest x that satisfy it, or NaNs.
    func solve(_ minX: Double, _ maxX: Double) -> (Double, Double) {
        let low = max(-bound, minX)
        let high = min(bound, maxX)
        let f1 = value(at: low)
        let f2 = value(at: high)
        if f1 >= 0 && f2 >= 0 { return (low, high) }
        if f1 >= 0 && f2 < 0 { return (low, a == 0 ? 0.5 * c / b : (b - (b * b - a * c).squareRoot()) / a) }
        if f1 < 0 && f2 >= 0 { return (a == 0 ? 0.5 * c / b : (b + (b * b - a * c).squareRoot()) / a, high) }
        let epsilon = 32 * Double.ulpOfOne
        let almostEqual = abs(b * b - a * c) <= max(epsilon * max(abs(b * b), abs(a * c)), epsilon)
        let discriminant = almostEqual ? 0 : b * b - a * c
        if discriminant < 0 || a >= 0 { return (.nan, .nan) }
        let center = b / a
        if center >= low && center <= high {
            let shift = discriminant.squareRoot() / a
            return (center + shift, center - shift)
        }
        return (.nan, .nan)
    }
}
