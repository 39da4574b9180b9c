/// A complete, validated simulation: who the visitors are, what their potential outcomes are,
/// how they are assigned (seed 004's `V2GeneratorConfig`).
///
/// Built from YAML with ``init(yaml:)`` (the format is in `docs/simulation.md`; the built-in
/// ``Scenario``s are such documents) or in code with ``init(name:experimentID:visitors:seed:sampler:mode:assignment:revenueModel:covariates:)``.
public struct SimulationConfig: Sendable {
    /// The feature sampler: a Gaussian copula or a mixture of populations.
    public enum Sampler: Sendable {
        case copula(CopulaSampler)
        case mixture(MixtureSampler)

        public var features: [FeatureSpec] {
            switch self {
            case .copula(let s): s.features
            case .mixture(let s): s.features
            }
        }

        public func sample(_ n: Int, offset: Int = 0, using generator: inout Xoshiro256StarStar) -> FeatureTable {
            var table: FeatureTable
            switch self {
            case .copula(let s): table = s.sample(n, using: &generator)
            case .mixture(let s): table = s.sample(n, using: &generator)
            }
            table.offset = offset
            return table
        }

        /// Names surfaces may read: the features, and `cluster_id` for a mixture.
        public var surfaceNames: Set<String> {
            var names = Set(features.map(\.name))
            if case .mixture = self { names.insert("cluster_id") }
            return names
        }
    }

    public var name: String
    public var description: String?
    public var experimentID: String
    public var visitors: Int
    public var seed: UInt64
    public var sampler: Sampler
    public var mode: MetricMode
    public var assignment: Assignment
    public var revenueModel: CartRevenueModel?
    /// The features regression adjustment (CUPED) uses in calibration; by default the
    /// continuous ones.
    public var covariates: [String]

    /// - Throws: ``SimulationError`` unless visitors > 0, the assignment fits the metric's levels
    ///   (seed 004's rules), a revenue model comes only with `revenue_per_visitor`, every surface
    ///   reads only sampled features and the covariates are features.
    public init(
        name: String, experimentID: String? = nil, visitors: Int, seed: UInt64, sampler: Sampler, mode: MetricMode,
        assignment: Assignment, revenueModel: CartRevenueModel? = nil, covariates: [String]? = nil, description: String? = nil
    ) throws(SimulationError) {
        guard visitors > 0 else { throw SimulationError("visitors must be positive, got \(visitors)") }
        if case .external(let levels) = assignment, levels.count != visitors {
            throw SimulationError("external assignment length \(levels.count) must equal visitors \(visitors)")
        }
        try assignment.validate(levels: mode.levels, visitors: visitors)
        if revenueModel != nil, mode.metric != .revenuePerVisitor {
            throw SimulationError("revenue_model applies to revenue_per_visitor only; conversion_rate has no revenue")
        }
        let names = sampler.surfaceNames
        let surfaces: [(String, Surface)] =
            mode.conversion.enumerated().map { ("p\($0.offset)", $0.element) }
            + (mode.revenueMean ?? []).enumerated().map { ("m\($0.offset)", $0.element) }
            + (mode.dispersion ?? []).enumerated().map { ("sigma\($0.offset)", $0.element) }
        for (surfaceName, surface) in surfaces {
            if let unknown = surface.features.sorted().first(where: { !names.contains($0) }) {
                throw SimulationError(
                    "surface '\(surfaceName)' reads '\(unknown)', which is not a feature (features: \(names.sorted().joined(separator: ", ")))")
            }
        }
        let features = sampler.features
        let chosen = covariates ?? features.filter { $0.kind == .continuous }.map(\.name)
        for c in chosen where !features.contains(where: { $0.name == c }) {
            throw SimulationError("calibration covariate '\(c)' is not a feature")
        }
        guard !name.isEmpty else { throw SimulationError("name must not be empty") }
        self.name = name
        self.description = description
        self.experimentID = experimentID ?? name
        self.visitors = visitors
        self.seed = seed
        self.sampler = sampler
        self.mode = mode
        self.assignment = assignment
        self.revenueModel = revenueModel
        self.covariates = chosen
    }

    /// The variant name of each level: `control`, `treatment` or `treatment_k` (seed 004).
    public var variantNames: [String] {
        (0..<mode.levels).map { Observation.variantName(level: $0, levels: mode.levels) }
    }
}
