import Foundation

/// Writes simulated visitors as CSV bytes (the I/O is the caller's): `observed.csv` with seed
/// 004's visitor columns and the features, and `truth.csv` with each visitor's CATE and
/// potential-outcome parameters.
///
/// Numbers are written in fixed point: features and revenue with 6 decimals, truth with 12
/// (values beyond ±9·10⁶ fall back to the shortest round-trip form). Booleans (`converted`,
/// binary features) are 1/0 so the file feeds `holdout stats analyze` directly.
public struct CSVEncoding: Sendable {
    public let config: SimulationConfig
    let experimentID: [UInt8]
    let variants: [[UInt8]]
    let labels: [[[UInt8]]]

    public init(config: SimulationConfig) {
        self.config = config
        experimentID = Array(Self.escape(config.experimentID).utf8)
        variants = config.variantNames.map { Array($0.utf8) }
        labels = config.sampler.features.map { spec in
            guard spec.kind == .categorical else { return [] }
            switch config.sampler {
            case .copula: return (0..<CopulaSampler.categoryCount).map { Array(Self.escape("cat_\($0)").utf8) }
            case .mixture(let m):
                var names: [String] = []
                for cluster in m.clusters {
                    if case .categorical(let list) = cluster[spec.name] {
                        for item in list where !names.contains(item.label) { names.append(item.label) }
                    }
                }
                return names.map { Array(Self.escape($0).utf8) }
            }
        }
    }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `visitor_id,experiment_id,variant,converted,revenue,orders_count,sessions_count,<features>`.
    public var observedHeader: String {
        (["visitor_id", "experiment_id", "variant", "converted", "revenue", "orders_count", "sessions_count"]
            + config.sampler.features.map { Self.escape($0.name) }).joined(separator: ",") + "\n"
    }

    /// `visitor_id,cate,p0,p1[,m0,m1[,sigma0,sigma1]]` for K = 2;
    /// `visitor_id,cate_1…cate_{K−1},p0…p_{K−1}[,m…][,sigma…]` for K ≥ 3. m are E[revenue | converted]
    /// (the cart model's expectation when there is one; sigma is then omitted).
    public var truthHeader: String {
        let k = config.mode.levels
        var columns = ["visitor_id"]
        columns += k == 2 ? ["cate"] : (1..<k).map { "cate_\($0)" }
        columns += (0..<k).map { "p\($0)" }
        if config.mode.metric == .revenuePerVisitor {
            columns += (0..<k).map { "m\($0)" }
            if config.revenueModel == nil { columns += (0..<k).map { "sigma\($0)" } }
        }
        return columns.joined(separator: ",") + "\n"
    }

    /// Appends one row per visitor of the chunk to `out`.
    public func appendObserved(_ chunk: Simulator.Chunk, to out: inout [UInt8]) {
        let features = chunk.features
        let observation = chunk.observation
        out.reserveCapacity(out.count + chunk.count * (40 + experimentID.count + 10 * features.columns.count))
        for i in 0..<chunk.count {
            out.append(UInt8(ascii: "v"))
            Self.appendInteger(chunk.offset + i, to: &out)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: experimentID)
            out.append(UInt8(ascii: ","))
            out.append(contentsOf: variants[observation.level[i]])
            if observation.converted[i] {
                out.append(contentsOf: [UInt8(ascii: ","), UInt8(ascii: "1"), UInt8(ascii: ",")])
                Self.appendFixed(observation.revenue[i], decimals: 6, to: &out)
                out.append(contentsOf: Array(",1,1".utf8))
            } else {
                out.append(contentsOf: Self.notConverted)
            }
            for (j, column) in features.columns.enumerated() {
                out.append(UInt8(ascii: ","))
                switch column {
                case .continuous(let values): Self.appendFixed(values[i], decimals: 6, to: &out)
                case .categorical(_, let codes): out.append(contentsOf: labels[j][codes[i]])
                case .binary(let values): out.append(values[i] ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                }
            }
            out.append(UInt8(ascii: "\n"))
        }
    }

    static let notConverted = Array(",0,0,0,1".utf8)

    /// Appends one truth row per visitor of the chunk to `out`.
    public func appendTruth(_ chunk: Simulator.Chunk, to out: inout [UInt8]) {
        let truth = chunk.truth
        var columns: [[Double]] = truth.contrasts + truth.conversion
        if let m = truth.effectiveRevenueMean { columns += m }
        if config.revenueModel == nil, let s = truth.dispersion { columns += s }
        out.reserveCapacity(out.count + chunk.count * (10 + 16 * columns.count))
        for i in 0..<chunk.count {
            out.append(UInt8(ascii: "v"))
            Self.appendInteger(chunk.offset + i, to: &out)
            for column in columns {
                out.append(UInt8(ascii: ","))
                Self.appendFixed(column[i], decimals: 12, to: &out)
            }
            out.append(UInt8(ascii: "\n"))
        }
    }

    static let powers: [Double] = (0...15).map { var p = 1.0; for _ in 0..<$0 { p *= 10 }; return p }

    /// Appends `x` rounded to `decimals` places (trailing zeros trimmed, "0" for zero).
    @inline(__always)
    public static func appendFixed(_ x: Double, decimals: Int, to out: inout [UInt8]) {
        let scale = powers[decimals]
        let magnitude = abs(x)
        guard magnitude * scale < 9.0e18, x.isFinite else {
            out.append(contentsOf: Array("\(x)".utf8))
            return
        }
        let scaled = UInt64((magnitude * scale).rounded())
        if scaled == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        if x < 0 { out.append(UInt8(ascii: "-")) }
        let unit = UInt64(scale)
        appendUnsigned(scaled / unit, to: &out)
        var fraction = scaled % unit
        guard fraction != 0 else { return }
        var digits = decimals
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        out.append(UInt8(ascii: "."))
        // Leading zeros of the fraction.
        var width = 1
        var probe = fraction
        while probe >= 10 {
            probe /= 10
            width += 1
        }
        for _ in 0..<(digits - width) { out.append(UInt8(ascii: "0")) }
        appendUnsigned(fraction, to: &out)
    }

    @inline(__always)
    static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendUnsigned(value.magnitude.toUInt64, to: &out)
    }

    @inline(__always)
    static func appendUnsigned(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var digits: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var v = value
        withUnsafeMutableBytes(of: &digits) { raw in
            let buffer = raw.bindMemory(to: UInt8.self)
            while v > 0 {
                buffer[count] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[i]) }
        }
    }
}

extension UInt {
    fileprivate var toUInt64: UInt64 { UInt64(self) }
}
