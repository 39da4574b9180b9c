import Foundation
import HoldoutCSV

/// Writes simulated visitors as CSV bytes (the I/O is the caller's): `observed.csv` with seed
/// 004's visitor columns and the features, and `truth.csv` with each visitor's CATE and
/// potential-outcome parameters.
///
/// Numbers are written in fixed point like printf's `%.6f`: features and revenue with 6
/// decimals, truth with 12 (values beyond ±9·10⁶ fall back to the shortest round-trip form). Booleans (`converted`,
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

    static func escape(_ field: String) -> String { CSVField.escape(field) }

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
        let bytes = observedBytes(chunk)
        if out.isEmpty { out = bytes } else { out += bytes }
    }

    /// The chunk's rows of `observed.csv`.
    public func observedBytes(_ chunk: Simulator.Chunk) -> [UInt8] {
        let features = chunk.features
        let observation = chunk.observation
        let n = chunk.count
        let d = features.columns.count
        // Column-major numbers (category codes and 0/1 as numbers) so the row loop reads plain memory.
        var flat = [Double](repeating: 0, count: d * n)
        var kinds = [UInt8](repeating: 0, count: d)
        for (j, column) in features.columns.enumerated() {
            switch column {
            case .continuous(let values):
                for i in 0..<n { flat[j * n + i] = values[i] }
            case .categorical(_, let codes):
                kinds[j] = 1
                for i in 0..<n { flat[j * n + i] = Double(codes[i]) }
            case .binary(let values):
                kinds[j] = 2
                for i in 0..<n { flat[j * n + i] = values[i] ? 1 : 0 }
            }
        }
        // Constant pieces in one buffer: per level ",experiment,variant"; the non-converter tail;
        // then the category labels of each categorical column.
        var constants: [UInt8] = []
        var levelPiece: [(Int, Int)] = []
        for v in variants {
            levelPiece.append((constants.count, experimentID.count + v.count + 2))
            constants += [UInt8(ascii: ",")] + experimentID + [UInt8(ascii: ",")] + v
        }
        let notConverted = (constants.count, 8)
        constants += Array(",0,0,0,1".utf8)
        var labelPiece: [[(Int, Int)]] = []
        var widest = 2
        for list in labels {
            labelPiece.append(
                list.map { label in
                    defer { constants += label }
                    return (constants.count, label.count)
                })
            widest = max(widest, list.map(\.count).max() ?? 0)
        }
        let rowBound = 24 + (levelPiece.map(\.1).max() ?? 0) + 40 + d * max(widest + 1, 26) + 1
        let capacity = n * rowBound
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var w = ByteWriter(base: buffer.baseAddress!)
            flat.withUnsafeBufferPointer { flat in
                kinds.withUnsafeBufferPointer { kinds in
                    constants.withUnsafeBufferPointer { constants in
                        let c = constants.baseAddress!
                        for i in 0..<n {
                            w.put(UInt8(ascii: "v"))
                            w.putUnsigned(UInt64(chunk.offset + i))
                            let piece = levelPiece[observation.level[i]]
                            w.put(c + piece.0, count: piece.1)
                            if observation.converted[i] {
                                w.put(UInt8(ascii: ","))
                                w.put(UInt8(ascii: "1"))
                                w.put(UInt8(ascii: ","))
                                w.putFixed(observation.revenue[i], decimals: 6)
                                w.put(UInt8(ascii: ","))
                                w.put(UInt8(ascii: "1"))
                                w.put(UInt8(ascii: ","))
                                w.put(UInt8(ascii: "1"))
                            } else {
                                w.put(c + notConverted.0, count: notConverted.1)
                            }
                            for j in 0..<d {
                                w.put(UInt8(ascii: ","))
                                let x = flat[j &* n &+ i]
                                switch kinds[j] {
                                case 0: w.putFixed(x, decimals: 6)
                                case 1:
                                    let label = labelPiece[j][Int(x)]
                                    w.put(c + label.0, count: label.1)
                                default: w.put(x != 0 ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                                }
                            }
                            w.put(UInt8(ascii: "\n"))
                        }
                    }
                }
            }
            initialized = w.count
        }
    }

    /// Appends one truth row per visitor of the chunk to `out`.
    public func appendTruth(_ chunk: Simulator.Chunk, to out: inout [UInt8]) {
        let bytes = truthBytes(chunk)
        if out.isEmpty { out = bytes } else { out += bytes }
    }

    /// The chunk's rows of `truth.csv`.
    public func truthBytes(_ chunk: Simulator.Chunk) -> [UInt8] {
        let truth = chunk.truth
        var columns: [[Double]] = truth.contrasts + truth.conversion
        if let m = truth.effectiveRevenueMean { columns += m }
        if config.revenueModel == nil, let s = truth.dispersion { columns += s }
        let n = chunk.count
        let d = columns.count
        let flat = columns.flatMap { $0 }
        let rowBound = 24 + d * 40
        return [UInt8](unsafeUninitializedCapacity: n * rowBound) { buffer, initialized in
            var w = ByteWriter(base: buffer.baseAddress!)
            flat.withUnsafeBufferPointer { flat in
                for i in 0..<n {
                    w.put(UInt8(ascii: "v"))
                    w.putUnsigned(UInt64(chunk.offset + i))
                    for j in 0..<d {
                        w.put(UInt8(ascii: ","))
                        w.putFixed(flat[j &* n &+ i], decimals: 12)
                    }
                    w.put(UInt8(ascii: "\n"))
                }
            }
            initialized = w.count
        }
    }

    /// Appends `x` with exactly `decimals` (6 or 12) places, as printf's `%.6f` / `%.12f`.
    public static func appendFixed(_ x: Double, decimals: Int, to out: inout [UInt8]) { CSVField.appendFixed(x, decimals: decimals, to: &out) }
}

extension CSVEncoding {
    static let powers: [Double] = (0...15).map {
        var p = 1.0; for _ in 0..<$0 { p *= 10 }; return p
    }
    static let units: [UInt64] = (0...15).map {
        var p: UInt64 = 1; for _ in 0..<$0 { p *= 10 }; return p
    }
}
