/// Quantile bin edges for every feature, and the mapping of values to one-byte bins.
///
/// For each feature, with the distinct values sorted (from at most `subsample` rows drawn
/// without replacement by a seeded generator, all rows when fewer):
///
/// - at most `maxBins` distinct values: the edges are the midpoints between consecutive values,
///   so every value has its own bin;
/// - more: the edges are the `maxBins − 1` quantiles at levels k/maxBins, k = 1…maxBins−1, with
///   numpy's `averaged_inverted_cdf` rule (virtual index v = n·q − 1; the mean of the two order
///   statistics around v when v is whole, the upper one otherwise), duplicates removed.
///
/// A value x goes to bin b = #{edges < x}: bin b holds edges[b−1] < x ≤ edges[b]. With
/// `maxBins` ≤ 255 every bin fits in a `UInt8`. This is scikit-learn's `_BinMapper` (which keeps
/// one more bin for missing values; here features are always finite) and LightGBM's histogram
/// method: Ke et al., *LightGBM: A Highly Efficient Gradient Boosting Decision Tree* (NeurIPS 2017).
///
/// A constant feature has no edges (one bin) and is never split on.
public struct FeatureBins: Sendable, Hashable, Codable {
    /// Upper edges per feature, increasing; `edges[j].count + 1` bins for feature j.
    public let edges: [[Double]]

    /// Creates bins from given edges.
    ///
    /// - Throws: ``LearnerError`` when a feature has 255 or more edges, or edges that are not
    ///   finite and strictly increasing.
    public init(edges: [[Double]]) throws(LearnerError) {
        for (j, e) in edges.enumerated() {
            guard e.count < 255 else { throw LearnerError(.invalidInput, "feature \(j) has \(e.count) bin edges; at most 254 fit in a byte") }
            for k in e.indices where !e[k].isFinite || (k > 0 && e[k] <= e[k - 1]) {
                throw LearnerError(.invalidInput, "bin edges of feature \(j) are not finite and strictly increasing")
            }
        }
        self.edges = edges
    }

    /// Decodes the edges and checks them as ``init(edges:)`` does (a model file may be corrupted).
    public init(from decoder: any Decoder) throws {
        try self.init(edges: decoder.container(keyedBy: CodingKeys.self).decode([[Double]].self, forKey: .edges))
    }

    enum CodingKeys: String, CodingKey {
        case edges
    }

    /// Finds the edges for every feature of `features`.
    ///
    /// - Parameters:
    ///   - maxBins: 2…255 bins per feature.
    ///   - subsample: rows used to find the quantiles (scikit-learn uses 200,000).
    ///   - seed: seeds the subsample.
    ///   - threads: features are binned in parallel.
    public init(
        fitting features: FeatureMatrix, maxBins: Int = 255, subsample: Int = 200_000, seed: UInt64 = 0, threads: Int = 1
    )
        throws(LearnerError)
    {
        guard (2...255).contains(maxBins) else { throw LearnerError(.invalidInput, "maxBins must be in 2…255, got \(maxBins)", field: "maxBins") }
        let n = features.rowCount
        var rows: [Int]? = nil
        if n > subsample {
            var rng = SplitMix64(seed: seed)
            var all = Array(0..<n)
            for k in 0..<subsample {
                let r = k + Int(rng.next(below: UInt64(n - k)))
                all.swapAt(k, r)
            }
            rows = Array(all[0..<subsample]).sorted()
        }
        var result = [[Double]](repeating: [], count: features.featureCount)
        result.withUnsafeMutableBufferPointer { out in
            let out = UncheckedSendable(out)
            features.values.withUnsafeBufferPointer { values in
                Parallel.forEach(features.featureCount, threads: threads) { j in
                    let column = values[(j * n)..<((j + 1) * n)]
                    var sample = rows.map { $0.map { column[j * n + $0] } } ?? Array(column)
                    sample.sort()
                    out.value[j] = Self.edges(sorted: sample, maxBins: maxBins)
                }
            }
        }
        self.edges = result
    }

    /// The edges of one feature from its sorted sample.
    static func edges(sorted a: [Double], maxBins: Int) -> [Double] {
        var distinct = [Double]()
        for x in a where distinct.last != x { distinct.append(x) }
        guard distinct.count > 1 else { return [] }
        if distinct.count <= maxBins {
            return (1..<distinct.count).map { (distinct[$0 - 1] + distinct[$0]) * 0.5 }
        }
        let n = a.count
        let step = 100.0 / Double(maxBins)  // numpy.linspace(0, 100, maxBins + 1)
        var out = [Double]()
        for k in 1..<maxBins {
            let q = Double(k) * step / 100
            let v = Double(n) * q - 1
            let lower = v.rounded(.down)
            let i = min(max(Int(lower), 0), n - 1)
            let i1 = min(i + 1, n - 1)
            let x = v == lower ? (a[i] + a[i1]) * 0.5 : a[i1]
            if out.last != x { out.append(x) }
        }
        return out
    }

    /// Number of features.
    public var featureCount: Int { edges.count }

    /// The bin of `x` in feature `j`: the number of edges below `x`.
    @inline(__always)
    func bin(_ x: Double, feature j: Int) -> UInt8 {
        edges[j].withUnsafeBufferPointer { e in
            var lo = 0
            var hi = e.count
            while lo < hi {
                let mid = (lo + hi) >> 1
                if x <= e[mid] { hi = mid } else { lo = mid + 1 }
            }
            return UInt8(truncatingIfNeeded: lo)
        }
    }

    /// Bins every value, column-major like the input.
    func binned(_ features: FeatureMatrix, threads: Int) -> [UInt8] {
        let n = features.rowCount
        var out = [UInt8](repeating: 0, count: n * featureCount)
        out.withUnsafeMutableBufferPointer { out in
            let out = UncheckedSendable(out)
            features.values.withUnsafeBufferPointer { values in
                Parallel.forEach(featureCount, threads: threads) { j in
                    for i in 0..<n { out.value[j * n + i] = bin(values[j * n + i], feature: j) }
                }
            }
        }
        return out
    }
}
