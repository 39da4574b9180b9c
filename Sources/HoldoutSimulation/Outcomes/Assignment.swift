/// How visitors are assigned to treatment levels (seed 004's `AssignmentConfig`, plus its
/// external-assignment hook).
///
/// - ``allocation(_:)``: the paired (K = 2) form — each visitor is treated with this probability.
/// - ``probabilities(_:)``: fixed per-level probabilities (index 0 = control), K ≥ 2.
/// - ``external(_:)``: a level per visitor chosen elsewhere (a policy that routes visitors by
///   their features, a sequential experiment's cell); no random draw is made.
public enum Assignment: Sendable, Hashable {
    case allocation(Double)
    case probabilities([Double])
    case external([Int])

    /// Seed 004's checks: an allocation in (0, 1); at least two probabilities, each in (0, 1),
    /// summing to 1 within 1e-9.
    ///
    /// - Throws: ``SimulationError`` naming the rule.
    public func validate() throws(SimulationError) {
        switch self {
        case .allocation(let share):
            guard share > 0, share < 1 else {
                throw SimulationError("treatment_allocation must be in (0, 1), got \(share)")
            }
        case .probabilities(let shares):
            guard shares.count >= 2 else {
                throw SimulationError("treatment_probabilities must have at least 2 entries, got \(shares.count)")
            }
            if let bad = shares.firstIndex(where: { !($0 > 0 && $0 < 1) }) {
                throw SimulationError("every entry in treatment_probabilities must be in (0, 1); entry \(bad) is \(shares[bad])")
            }
            let total = shares.reduce(0, +)
            guard abs(total - 1) <= 1e-9 else { throw SimulationError("treatment_probabilities must sum to 1, got \(total)") }
        case .external:
            break
        }
    }

    /// Checks the assignment against a metric with `levels` levels and `visitors` visitors.
    ///
    /// - Throws: ``SimulationError`` when the paired form meets K ≥ 3, the probabilities do not
    ///   have one entry per level, or an external assignment has the wrong length or a level
    ///   outside [0, K − 1].
    public func validate(levels k: Int, visitors n: Int) throws(SimulationError) {
        try validate()
        switch self {
        case .allocation:
            guard k == 2 else {
                throw SimulationError("treatment_allocation is the paired (K = 2) form; with \(k) levels give treatment_probabilities (one per level)")
            }
        case .probabilities(let shares):
            guard shares.count == k else {
                throw SimulationError("treatment_probabilities has \(shares.count) entries but the metric has \(k) levels (control first)")
            }
        case .external(let levels):
            guard levels.count == n else {
                throw SimulationError("external assignment length \(levels.count) must equal the number of visitors \(n)")
            }
            if let bad = levels.firstIndex(where: { $0 < 0 || $0 >= k }) {
                throw SimulationError("external assignment entries must be in [0, \(k - 1)]; visitor \(bad) has \(levels[bad])")
            }
        }
    }

    /// The expected share of each level (nil for external assignments).
    public func shares(levels k: Int) -> [Double]? {
        switch self {
        case .allocation(let a): [1 - a, a]
        case .probabilities(let p): p
        case .external: nil
        }
    }
}
