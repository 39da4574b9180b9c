import HoldoutStats

/// The kind of a feature column (seed 004's `FeatureSpec.kind`).
public enum FeatureKind: String, Sendable, Hashable, Codable, CaseIterable {
    case continuous, categorical, binary
}

/// A feature column's name and kind.
public struct FeatureSpec: Sendable, Hashable, Codable {
    public var name: String
    public var kind: FeatureKind

    public init(name: String, kind: FeatureKind) {
        self.name = name
        self.kind = kind
    }
}

/// A configuration error, naming what is wrong (seed 004's fail-closed validations).
public struct SimulationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One sampled feature column.
public enum FeatureColumn: Sendable, Hashable {
    case continuous([Double])
    /// Category labels and each row's index into them.
    case categorical(labels: [String], codes: [Int])
    case binary([Bool])

    /// The value of row `i` as a number surfaces can use: the value, the category index, or 0/1.
    @inlinable
    public func numeric(_ i: Int) -> Double {
        switch self {
        case .continuous(let values): values[i]
        case .categorical(_, let codes): Double(codes[i])
        case .binary(let values): values[i] ? 1 : 0
        }
    }

    /// The value of row `i` as CSV text.
    public func text(_ i: Int) -> String {
        switch self {
        case .continuous(let values): "\(values[i])"
        case .categorical(let labels, let codes): labels[codes[i]]
        case .binary(let values): values[i] ? "true" : "false"
        }
    }
}

/// Sampled features, column by column, and (for mixtures) each row's latent cluster.
public struct FeatureTable: Sendable, Hashable {
    public var specs: [FeatureSpec]
    public var columns: [FeatureColumn]
    /// The latent cluster of each row (mixtures only); surfaces may use it, outputs drop it.
    public var clusters: [Int]?
    public var count: Int
    /// The index of the first row among all simulated visitors (a chunk of a larger run), used
    /// in error messages.
    public var offset = 0

    public init(specs: [FeatureSpec], columns: [FeatureColumn], clusters: [Int]?, count: Int, offset: Int = 0) {
        self.specs = specs
        self.columns = columns
        self.clusters = clusters
        self.count = count
        self.offset = offset
    }

    /// The column with this name.
    public func column(_ name: String) -> FeatureColumn? {
        specs.firstIndex { $0.name == name }.map { columns[$0] }
    }

    /// A column's values as numbers (category index, 0/1 for binary); `cluster_id` is the latent
    /// cluster of a mixture.
    public func numericColumn(_ name: String) -> [Double] {
        if name == "cluster_id", let clusters, column(name) == nil { return clusters.map(Double.init) }
        switch column(name) {
        case .continuous(let values): return values
        case .categorical(_, let codes): return codes.map(Double.init)
        case .binary(let values): return values.map { $0 ? 1 : 0 }
        case nil: return [Double](repeating: 0, count: count)
        }
    }

    /// Whether a surface may read this name: a feature, or `cluster_id` for a mixture.
    public func hasColumn(_ name: String) -> Bool {
        column(name) != nil || (name == "cluster_id" && clusters != nil)
    }
}

/// Seed 004's Gaussian copula: correlated standard normals, then per-feature marginals —
/// continuous keeps the normal, categorical cuts Φ(z) into four equal-probability bins
/// `cat_0…cat_3`, binary is z > 0.
public struct CopulaSampler: Sendable {
    public static let categoryCount = 4
    public let features: [FeatureSpec]
    let normal: MultivariateNormal

    /// - Throws: ``SimulationError`` unless the correlation matrix matches the features and is
    ///   square, symmetric, has a unit diagonal and is positive semi-definite.
    public init(features: [FeatureSpec], correlation: [[Double]]) throws(SimulationError) {
        try Self.validate(features)
        let n = features.count
        guard correlation.count == n, correlation.allSatisfy({ $0.count == n }) else {
            throw SimulationError("copula: the correlation matrix must be \(n)×\(n), one row and column per feature")
        }
        for i in 0..<n where abs(correlation[i][i] - 1) > 1e-12 {
            throw SimulationError("copula: correlation diagonal must be 1.0, entry [\(i)][\(i)] is \(correlation[i][i])")
        }
        do {
            normal = try MultivariateNormal(mean: Array(repeating: 0, count: n), covariance: correlation)
        } catch {
            throw SimulationError("copula: \(error.description)")
        }
        self.features = features
    }

    static func validate(_ features: [FeatureSpec]) throws(SimulationError) {
        guard !features.isEmpty else { throw SimulationError("at least one feature is needed") }
        var seen = Set<String>()
        for feature in features {
            guard !feature.name.isEmpty else { throw SimulationError("a feature name is empty") }
            guard seen.insert(feature.name).inserted else { throw SimulationError("feature '\(feature.name)' is listed twice") }
        }
    }

    /// Draws `n` rows.
    ///
    /// Each row takes d standard normals by the ziggurat method (``Ziggurat``), multiplied by
    /// the Cholesky factor of the correlation matrix. Rows are written column by column into one buffer, with
    /// no allocation per row.
    public func sample(_ n: Int, using generator: inout Xoshiro256StarStar) -> FeatureTable {
        let d = features.count
        let factor = normal.factor
        let isIdentity = (0..<d).allSatisfy { i in (0..<d).allSatisfy { j in factor[i * d + j] == (i == j ? 1 : 0) } }
        var flat = [Double](repeating: 0, count: d * n)
        var w = [Double](repeating: 0, count: d + 1)
        let zx = Ziggurat.x
        let zr = Ziggurat.ratio
        flat.withUnsafeMutableBufferPointer { out in
            w.withUnsafeMutableBufferPointer { w in
                factor.withUnsafeBufferPointer { l in
                    zx.withUnsafeBufferPointer { zx in
                        zr.withUnsafeBufferPointer { zr in
                            let x = zx.baseAddress!
                            let ratio = zr.baseAddress!
                            for row in 0..<n {
                                for j in 0..<d { w[j] = generator.nextNormalZiggurat(x: x, ratio: ratio) }
                                if isIdentity {
                                    for i in 0..<d { out[i * n + row] = w[i] }
                                } else {
                                    for i in 0..<d {
                                        var sum = 0.0
                                        for m in 0...i { sum += l[i * d + m] * w[m] }
                                        out[i * n + row] = sum
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let z = (0..<d).map { j in Array(flat[(j * n)..<((j + 1) * n)]) }
        let labels = (0..<Self.categoryCount).map { "cat_\($0)" }
        let columns: [FeatureColumn] = features.indices.map { j in
            switch features[j].kind {
            case .continuous:
                return .continuous(z[j])
            case .categorical:
                // Bin i holds Φ(z) in (i/4, (i+1)/4].
                let codes = z[j].map { value -> Int in
                    let u = Normal.cdf(value)
                    return min(Self.categoryCount - 1, max(0, Int((u * Double(Self.categoryCount)).rounded(.up)) - 1))
                }
                return .categorical(labels: labels, codes: codes)
            case .binary:
                return .binary(z[j].map { $0 > 0 })
            }
        }
        return FeatureTable(specs: features, columns: columns, clusters: nil, count: n)
    }
}

/// Seed 004's mixture of populations: a latent cluster per row, then each feature from that
/// cluster's parameters.
public struct MixtureSampler: Sendable {
    /// One cluster's parameters for one feature.
    public enum Parameters: Sendable, Hashable {
        case continuous(mean: Double, standardDeviation: Double)
        /// Labels in order with their (unnormalised, non-negative) probabilities.
        case categorical([(label: String, probability: Double)])
        case binary(probability: Double)

        public static func == (lhs: Self, rhs: Self) -> Bool {
            switch (lhs, rhs) {
            case (.continuous(let a, let b), .continuous(let c, let d)): a == c && b == d
            case (.binary(let a), .binary(let b)): a == b
            case (.categorical(let a), .categorical(let b)): a.map(\.label) == b.map(\.label) && a.map(\.probability) == b.map(\.probability)
            default: false
            }
        }

        public func hash(into hasher: inout Hasher) {
            switch self {
            case .continuous(let m, let s): hasher.combine(m); hasher.combine(s)
            case .binary(let p): hasher.combine(p)
            case .categorical(let list): for item in list { hasher.combine(item.label); hasher.combine(item.probability) }
            }
        }
    }

    public let features: [FeatureSpec]
    public let weights: [Double]
    /// Per cluster, the parameters of each feature by name.
    public let clusters: [[String: Parameters]]

    /// - Throws: ``SimulationError`` for non-positive weights, a cluster count that differs from
    ///   the weights, or a cluster missing a feature or giving it parameters of the wrong kind or
    ///   out of range.
    public init(features: [FeatureSpec], weights: [Double], clusters: [[String: Parameters]]) throws(SimulationError) {
        try CopulaSampler.validate(features)
        guard !weights.isEmpty, weights.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw SimulationError("mixture: all weight values must be strictly positive")
        }
        guard weights.count == clusters.count else {
            throw SimulationError("mixture: \(weights.count) weights but \(clusters.count) clusters")
        }
        for (c, cluster) in clusters.enumerated() {
            for feature in features {
                guard let parameters = cluster[feature.name] else {
                    throw SimulationError("mixture: cluster \(c) has no parameters for feature '\(feature.name)'")
                }
                switch (feature.kind, parameters) {
                case (.continuous, .continuous(let mean, let sd)):
                    guard mean.isFinite, sd.isFinite, sd >= 0 else {
                        throw SimulationError("mixture: cluster \(c), '\(feature.name)': mean must be finite and std ≥ 0")
                    }
                case (.categorical, .categorical(let list)):
                    guard !list.isEmpty, list.allSatisfy({ $0.probability.isFinite && $0.probability >= 0 }),
                        list.reduce(0, { $0 + $1.probability }) > 0
                    else {
                        throw SimulationError("mixture: cluster \(c), '\(feature.name)': probabilities must be ≥ 0 with a positive sum")
                    }
                case (.binary, .binary(let p)):
                    guard p >= 0, p <= 1 else {
                        throw SimulationError("mixture: cluster \(c), '\(feature.name)': probability must be in [0, 1], got \(p)")
                    }
                default:
                    throw SimulationError("mixture: cluster \(c) gives '\(feature.name)' (\(feature.kind.rawValue)) parameters of another kind")
                }
            }
        }
        self.features = features
        self.weights = weights
        self.clusters = clusters
    }

    /// Draws `n` rows.
    public func sample(_ n: Int, using generator: inout Xoshiro256StarStar) -> FeatureTable {
        let membership = (0..<n).map { _ in generator.nextCategorical(weights: weights) }
        var columns: [FeatureColumn] = []
        for feature in features {
            switch feature.kind {
            case .continuous:
                columns.append(
                    .continuous(
                        membership.map { c in
                            guard case .continuous(let mean, let sd) = clusters[c][feature.name] else { return 0 }
                            return generator.nextNormal(mean: mean, standardDeviation: sd)
                        }))
            case .categorical:
                var labels: [String] = []
                for cluster in clusters {
                    if case .categorical(let list) = cluster[feature.name] {
                        for item in list where !labels.contains(item.label) { labels.append(item.label) }
                    }
                }
                let codes = membership.map { c -> Int in
                    guard case .categorical(let list) = clusters[c][feature.name] else { return 0 }
                    let pick = generator.nextCategorical(weights: list.map(\.probability))
                    return labels.firstIndex(of: list[pick].label) ?? 0
                }
                columns.append(.categorical(labels: labels, codes: codes))
            case .binary:
                columns.append(
                    .binary(
                        membership.map { c in
                            guard case .binary(let p) = clusters[c][feature.name] else { return false }
                            return generator.nextBernoulli(p)
                        }))
            }
        }
        return FeatureTable(specs: features, columns: columns, clusters: membership, count: n)
    }
}
