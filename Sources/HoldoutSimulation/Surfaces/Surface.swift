import RealModule

/// A response surface: a number per visitor computed from its features (seed 004's
/// `SurfaceConfig`), e.g. a conversion probability p₁(x) or a revenue mean m₀(x).
///
/// Surfaces compose in Swift (`.linear`, `.add`, `.multiply`, `.sigmoid`, `.threshold`) and parse
/// from config text through ``Surface/parse(_:features:)``:
///
/// ```swift
/// let p1 = try Surface.parse("sigmoid(-3 + 0.4*f0 - 0.2*f1 + 0.5*(f2 > 0.3))", features: ["f0", "f1", "f2"])
/// ```
public indirect enum Surface: Sendable, Hashable {
    case constant(Double)
    /// A feature's numeric value (continuous value, category index, or 0/1).
    case feature(String)
    /// intercept + Σ coefficient·feature.
    case linear(intercept: Double, coefficients: [String: Double])
    case add(Surface, Surface)
    case subtract(Surface, Surface)
    case multiply(Surface, Surface)
    case divide(Surface, Surface)
    case negate(Surface)
    /// 1/(1 + e^−s).
    case sigmoid(Surface)
    case exp(Surface)
    case log(Surface)
    case min(Surface, Surface)
    case max(Surface, Surface)
    /// 1 when the comparison holds, else 0.
    case compare(Surface, Comparison, Surface)

    public enum Comparison: String, Sendable, Hashable {
        case greater = ">", less = "<", greaterOrEqual = ">=", lessOrEqual = "<="
    }

    /// 1 when `surface` exceeds `cutoff`, else 0 (seed 004's `threshold_surface`).
    public static func threshold(_ surface: Surface, above cutoff: Double) -> Surface {
        .compare(surface, .greater, .constant(cutoff))
    }

    /// The feature names the surface reads.
    public var features: Set<String> {
        switch self {
        case .constant: []
        case .feature(let name): [name]
        case .linear(_, let coefficients): Set(coefficients.keys)
        case .add(let a, let b), .subtract(let a, let b), .multiply(let a, let b), .divide(let a, let b), .min(let a, let b),
            .max(let a, let b), .compare(let a, _, let b):
            a.features.union(b.features)
        case .negate(let a), .sigmoid(let a), .exp(let a), .log(let a): a.features
        }
    }

    /// The value for one row, reading features through `value(name)`.
    public func evaluate(_ value: (String) -> Double) -> Double {
        switch self {
        case .constant(let c): return c
        case .feature(let name): return value(name)
        case .linear(let intercept, let coefficients):
            return coefficients.reduce(intercept) { $0 + $1.value * value($1.key) }
        case .add(let a, let b): return a.evaluate(value) + b.evaluate(value)
        case .subtract(let a, let b): return a.evaluate(value) - b.evaluate(value)
        case .multiply(let a, let b): return a.evaluate(value) * b.evaluate(value)
        case .divide(let a, let b): return a.evaluate(value) / b.evaluate(value)
        case .negate(let a): return -a.evaluate(value)
        case .sigmoid(let a): return 1 / (1 + Double.exp(-a.evaluate(value)))
        case .exp(let a): return Double.exp(a.evaluate(value))
        case .log(let a): return Double.log(a.evaluate(value))
        case .min(let a, let b): return Swift.min(a.evaluate(value), b.evaluate(value))
        case .max(let a, let b): return Swift.max(a.evaluate(value), b.evaluate(value))
        case .compare(let a, let op, let b):
            let (x, y) = (a.evaluate(value), b.evaluate(value))
            switch op {
            case .greater: return x > y ? 1 : 0
            case .less: return x < y ? 1 : 0
            case .greaterOrEqual: return x >= y ? 1 : 0
            case .lessOrEqual: return x <= y ? 1 : 0
            }
        }
    }

    /// The surface over every row of a table, validated as seed 004 does: one finite value per
    /// row within `bounds`.
    ///
    /// - Throws: ``SimulationError`` naming the surface, the row and the value.
    public func evaluate(on table: FeatureTable, name: String, bounds: ClosedRange<Double>? = nil) throws(SimulationError) -> [Double] {
        for feature in features where table.column(feature) == nil {
            throw SimulationError("surface '\(name)' reads feature '\(feature)', which the feature sampler does not produce")
        }
        let indexOf = Dictionary(uniqueKeysWithValues: table.specs.enumerated().map { ($1.name, $0) })
        var out = [Double](repeating: 0, count: table.count)
        for row in 0..<table.count {
            let v = evaluate { table.columns[indexOf[$0] ?? 0].numeric(row) }
            guard v.isFinite else { throw SimulationError("surface '\(name)' is not finite at row \(row) (\(v))") }
            if let bounds, !bounds.contains(v) {
                throw SimulationError("surface '\(name)' is \(v) at row \(row), outside [\(bounds.lowerBound), \(bounds.upperBound)]")
            }
            out[row] = v
        }
        return out
    }
}
