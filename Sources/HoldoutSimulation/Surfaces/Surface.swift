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
            return coefficients.sorted { $0.key < $1.key }.reduce(intercept) { $0 + $1.value * value($1.key) }
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
    /// row within `bounds` (and, with `strictLowerBound`, strictly above it).
    ///
    /// Evaluation is column by column (each node of the expression is one loop over the rows,
    /// constants stay scalars), so an expression costs a few nanoseconds per row.
    ///
    /// - Throws: ``SimulationError`` naming the surface, the visitor (row + `table.offset`) and
    ///   the value.
    public func evaluate(
        on table: FeatureTable, name: String, bounds: ClosedRange<Double>? = nil, strictLowerBound: Bool = false
    ) throws(SimulationError) -> [Double] {
        for feature in features.sorted() where !table.hasColumn(feature) {
            throw SimulationError("surface '\(name)' reads feature '\(feature)', which the feature sampler does not produce")
        }
        var cache: [String: [Double]] = [:]
        let out: [Double]
        switch values(on: table, cache: &cache) {
        case .scalar(let c): out = [Double](repeating: c, count: table.count)
        case .vector(let v): out = v
        }
        for row in 0..<out.count {
            let v = out[row]
            guard v.isFinite else {
                throw SimulationError(
                    "surface '\(name)' is not finite for visitor \(table.offset + row) (\(v)); check for log of 0, division by 0 or exp overflow")
            }
            if let bounds {
                if strictLowerBound, v <= bounds.lowerBound {
                    throw SimulationError("surface '\(name)': all values must be > \(Self.format(bounds.lowerBound)), visitor \(table.offset + row) has \(v)")
                }
                if !bounds.contains(v) {
                    throw SimulationError(
                        "surface '\(name)': all values must be in [\(Self.format(bounds.lowerBound)), \(Self.format(bounds.upperBound))], visitor \(table.offset + row) has \(v)"
                    )
                }
            }
        }
        return out
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : (x.isInfinite ? (x > 0 ? "∞" : "−∞") : "\(x)")
    }

    /// A column or a constant.
    enum Values {
        case scalar(Double)
        case vector([Double])
    }

    /// Column-wise evaluation; constants are folded.
    func values(on table: FeatureTable, cache: inout [String: [Double]]) -> Values {
        func column(_ name: String, _ cache: inout [String: [Double]]) -> [Double] {
            if let c = cache[name] { return c }
            let c = table.numericColumn(name)
            cache[name] = c
            return c
        }
        switch self {
        case .constant(let c): return .scalar(c)
        case .feature(let name): return .vector(column(name, &cache))
        case .linear(let intercept, let coefficients):
            var out = [Double](repeating: intercept, count: table.count)
            for (name, coefficient) in coefficients.sorted(by: { $0.key < $1.key }) {
                let x = column(name, &cache)
                out.withUnsafeMutableBufferPointer { o in
                    x.withUnsafeBufferPointer { x in for i in 0..<o.count { o[i] += coefficient * x[i] } }
                }
            }
            return .vector(out)
        case .add(let a, let b): return Self.combine(a.values(on: table, cache: &cache), b.values(on: table, cache: &cache), +)
        case .subtract(let a, let b): return Self.combine(a.values(on: table, cache: &cache), b.values(on: table, cache: &cache), -)
        case .multiply(let a, let b): return Self.combine(a.values(on: table, cache: &cache), b.values(on: table, cache: &cache), *)
        case .divide(let a, let b): return Self.combine(a.values(on: table, cache: &cache), b.values(on: table, cache: &cache), /)
        case .min(let a, let b): return Self.combine(a.values(on: table, cache: &cache), b.values(on: table, cache: &cache), Swift.min)
        case .max(let a, let b): return Self.combine(a.values(on: table, cache: &cache), b.values(on: table, cache: &cache), Swift.max)
        case .compare(let a, let op, let b):
            let (x, y) = (a.values(on: table, cache: &cache), b.values(on: table, cache: &cache))
            switch op {
            case .greater: return Self.combine(x, y) { $0 > $1 ? 1 : 0 }
            case .less: return Self.combine(x, y) { $0 < $1 ? 1 : 0 }
            case .greaterOrEqual: return Self.combine(x, y) { $0 >= $1 ? 1 : 0 }
            case .lessOrEqual: return Self.combine(x, y) { $0 <= $1 ? 1 : 0 }
            }
        case .negate(let a): return Self.map(a.values(on: table, cache: &cache)) { -$0 }
        case .sigmoid(let a): return Self.map(a.values(on: table, cache: &cache)) { 1 / (1 + Double.exp(-$0)) }
        case .exp(let a): return Self.map(a.values(on: table, cache: &cache)) { Double.exp($0) }
        case .log(let a): return Self.map(a.values(on: table, cache: &cache)) { Double.log($0) }
        }
    }

    @inline(__always)
    static func map(_ x: Values, _ f: (Double) -> Double) -> Values {
        switch x {
        case .scalar(let c): return .scalar(f(c))
        case .vector(var v):
            v.withUnsafeMutableBufferPointer { v in for i in 0..<v.count { v[i] = f(v[i]) } }
            return .vector(v)
        }
    }

    @inline(__always)
    static func combine(_ x: Values, _ y: Values, _ f: (Double, Double) -> Double) -> Values {
        switch (x, y) {
        case (.scalar(let a), .scalar(let b)): return .scalar(f(a, b))
        case (.scalar(let a), .vector(var v)):
            v.withUnsafeMutableBufferPointer { v in for i in 0..<v.count { v[i] = f(a, v[i]) } }
            return .vector(v)
        case (.vector(var v), .scalar(let b)):
            v.withUnsafeMutableBufferPointer { v in for i in 0..<v.count { v[i] = f(v[i], b) } }
            return .vector(v)
        case (.vector(var v), .vector(let w)):
            v.withUnsafeMutableBufferPointer { v in
                w.withUnsafeBufferPointer { w in for i in 0..<v.count { v[i] = f(v[i], w[i]) } }
            }
            return .vector(v)
        }
    }
}
