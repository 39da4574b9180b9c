import HoldoutCSV

/// Writes simulated visitors in the Criteo Uplift v2 layout (`f0…f11,treatment,conversion,visit,exposure`),
/// so everything that reads that data set (`holdout import criteo`, the uplift learners) is
/// tested without the real file.
///
/// The mapping, documented in docs/simulation.md:
/// - the features, in the config's order, as numbers with 6 decimals (binary features 0/1;
///   categorical features are refused — the Criteo layout has none);
/// - `treatment` is 1 for the second variant, 0 for the first (two variants only);
/// - `visit` is the simulated binary outcome (the scenario's metric, whose truth is in
///   `truth.csv` and `truth.json`);
/// - `conversion` is a visit thinned at ``conversionPerVisit`` (1/16, about Criteo's 6% of
///   visits that convert), independently of treatment and features, so its true effect is the
///   visit effect × 1/16 exactly in expectation;
/// - `exposure` is 1 for a treated visitor with probability ``exposurePerTreated`` (3.6%, about
///   Criteo's share of treated users who saw an ad) and 0 in control, independently of the rest.
///
/// The two derived columns are drawn from a hash of (seed, visitor index), not from the
/// simulator's streams, so they are the same for any thread count and do not change the
/// scenario's other columns.
public struct CriteoEncoding: Sendable {
    public static let conversionPerVisit = 1.0 / 16
    public static let exposurePerTreated = 0.036

    public let config: SimulationConfig
    let seed: UInt64

    /// - Throws: ``SimulationError`` when the scenario is not two-armed with a binary metric and
    ///   numeric features.
    public init(config: SimulationConfig) throws(SimulationError) {
        guard config.mode.levels == 2 else {
            throw SimulationError("--format criteo needs a two-variant scenario (control, treatment); '\(config.name)' has \(config.mode.levels)")
        }
        guard config.mode.metric == .conversionRate else {
            throw SimulationError(
                "--format criteo needs a conversion-rate scenario (the Criteo outcomes are 0/1); '\(config.name)' simulates \(config.mode.metric.rawValue)")
        }
        if let categorical = config.sampler.features.first(where: { $0.kind == .categorical }) {
            throw SimulationError("--format criteo takes numeric features only; '\(categorical.name)' is categorical")
        }
        self.config = config
        seed = config.seed
    }

    /// `f0,…,f11,treatment,conversion,visit,exposure` (the config's feature names).
    public var header: String {
        (config.sampler.features.map { CSVField.escape($0.name) } + ["treatment", "conversion", "visit", "exposure"]).joined(separator: ",") + "\n"
    }

    /// The derived columns of visitor `index`: two uniforms from one SplitMix64 step of the seed
    /// and the index.
    @inline(__always)
    static func uniforms(seed: UInt64, index: UInt64) -> (Double, Double) {
        var z = seed &+ (index &+ 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z = z ^ (z >> 31)
        // Two 32-bit halves as uniforms on [0, 1).
        return (Double(z >> 32) * 0x1p-32, Double(z & 0xFFFF_FFFF) * 0x1p-32)
    }

    /// Whether visitor `index` converts and is exposed, given its visit and treatment.
    @inline(__always)
    public static func derived(seed: UInt64, index: Int, visit: Bool, treated: Bool) -> (conversion: Bool, exposure: Bool) {
        let (u, v) = uniforms(seed: seed, index: UInt64(index))
        return (visit && u < conversionPerVisit, treated && v < exposurePerTreated)
    }

    /// The chunk's rows.
    public func bytes(_ chunk: Simulator.Chunk) -> [UInt8] {
        let features = chunk.features
        let observation = chunk.observation
        let n = chunk.count
        let d = features.columns.count
        var flat = [Double](repeating: 0, count: d * n)
        var binary = [Bool](repeating: false, count: d)
        for (j, column) in features.columns.enumerated() {
            switch column {
            case .continuous(let values):
                for i in 0..<n { flat[j * n + i] = values[i] }
            case .binary(let values):
                binary[j] = true
                for i in 0..<n { flat[j * n + i] = values[i] ? 1 : 0 }
            case .categorical:
                break  // refused by init
            }
        }
        let rowBound = d * 26 + 16
        let seed = self.seed
        return [UInt8](unsafeUninitializedCapacity: n * rowBound) { buffer, initialized in
            var w = ByteWriter(base: buffer.baseAddress!)
            flat.withUnsafeBufferPointer { flat in
                for i in 0..<n {
                    for j in 0..<d {
                        if j > 0 { w.put(UInt8(ascii: ",")) }
                        let x = flat[j &* n &+ i]
                        if binary[j] { w.put(x != 0 ? UInt8(ascii: "1") : UInt8(ascii: "0")) } else { w.putFixed(x, decimals: 6) }
                    }
                    let treated = observation.level[i] == 1
                    let visit = observation.converted[i]
                    let (conversion, exposure) = Self.derived(seed: seed, index: chunk.offset + i, visit: visit, treated: treated)
                    w.put(UInt8(ascii: ","))
                    w.put(treated ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                    w.put(UInt8(ascii: ","))
                    w.put(conversion ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                    w.put(UInt8(ascii: ","))
                    w.put(visit ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                    w.put(UInt8(ascii: ","))
                    w.put(exposure ? UInt8(ascii: "1") : UInt8(ascii: "0"))
                    w.put(UInt8(ascii: "\n"))
                }
            }
            initialized = w.count
        }
    }
}
