import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs a ``SimulationConfig`` in fixed-size chunks of visitors, in parallel, with results
/// that do not depend on the number of threads.
///
/// Chunk c (visitors c·65,536 …) draws from its own stream: the generator seeded with the run's
/// seed and advanced by c ``Xoshiro256StarStar/jump()``s (2¹²⁸ steps each), so chunks never
/// overlap and any chunk can be computed alone. Within a chunk the order is: features (the
/// sampler's draws for every row), then per visitor the assignment, conversion and revenue draws
/// (``Observation``). The same seed, visitor count and config give the same visitors, bit for bit.
///
/// ```swift
/// let simulator = Simulator(try Scenario.config("criteo-like"))
/// var sums = Truth.Sums(levels: 2, hurdle: false)
/// try simulator.run(visitors: 1_000_000, seed: 1) { chunk in chunk.truth.sums } consume: { sums = sums + $0 }
/// sums.effect  // the population effect of these visitors
/// ```
public struct Simulator: Sendable {
    /// Visitors per chunk (part of the reproducibility contract).
    public static let chunkSize = 65_536

    public let config: SimulationConfig

    public init(_ config: SimulationConfig) {
        self.config = config
    }

    /// One generated chunk: features, truth and what was observed.
    public struct Chunk: Sendable {
        public var index: Int
        /// The index of the chunk's first visitor in the run.
        public var offset: Int
        public var features: FeatureTable
        public var truth: Truth
        public var observation: Observation
        public var count: Int { features.count }
    }

    /// Generates `count` visitors starting at visitor `offset` from `generator` (the chunk's
    /// stream).
    ///
    /// - Throws: ``SimulationError`` from a surface or the assignment, naming the visitor.
    public func generate(
        index: Int = 0, offset: Int, count: Int, assignment: Assignment? = nil, using generator: inout Xoshiro256StarStar
    ) throws(SimulationError) -> Chunk {
        let features = config.sampler.sample(count, offset: offset, using: &generator)
        let truth = try Truth(mode: config.mode, features: features, revenueModel: config.revenueModel)
        var policy = assignment ?? config.assignment
        if case .external(let levels) = policy, levels.count != count {
            guard offset + count <= levels.count else {
                throw SimulationError("external assignment length \(levels.count) is shorter than the \(offset + count) visitors simulated")
            }
            policy = .external(Array(levels[offset..<(offset + count)]))
        }
        let observation = try Observation(
            truth: truth, assignment: policy, revenueModel: config.revenueModel, offset: offset, using: &generator)
        return Chunk(index: index, offset: offset, features: features, truth: truth, observation: observation)
    }

    /// The generators of the chunks of a run, in order.
    public static func streams(seed: UInt64, chunks: Int) -> [Xoshiro256StarStar] {
        var g = Xoshiro256StarStar(seed: seed)
        var out: [Xoshiro256StarStar] = []
        out.reserveCapacity(chunks)
        for _ in 0..<chunks {
            out.append(g)
            g.jump()
        }
        return out
    }

    /// Simulates `visitors` visitors chunk by chunk: `transform` runs on worker threads (up to
    /// `parallelism` chunks at a time) and turns each chunk into a result, `consume` receives the
    /// results in chunk order on the calling thread while the next chunks are being generated.
    /// Memory stays at a few chunks whatever the visitor count.
    ///
    /// - Parameters:
    ///   - visitors: the number of visitors (default: the config's).
    ///   - seed: the run's seed (default: the config's).
    ///   - parallelism: worker threads (≥ 1).
    /// - Throws: the first error of a chunk (in chunk order) or of `consume`.
    public func run<T: Sendable>(
        visitors: Int? = nil, seed: UInt64? = nil, parallelism: Int = Simulator.defaultParallelism,
        transform: @escaping @Sendable (Chunk) throws -> T, consume: (T) throws -> Void
    ) throws {
        let n = visitors ?? config.visitors
        guard n > 0 else { throw SimulationError("visitors must be positive, got \(n)") }
        if case .external(let levels) = config.assignment, levels.count != n {
            throw SimulationError("external assignment length \(levels.count) must equal the number of visitors \(n)")
        }
        let chunkCount = (n + Self.chunkSize - 1) / Self.chunkSize
        let streams = Self.streams(seed: seed ?? config.seed, chunks: chunkCount)
        let workers = max(1, parallelism)
        let batch = workers
        let simulator = self
        @Sendable func compute(_ first: Int) -> Slots<T> {
            let count = min(batch, chunkCount - first)
            let slots = Slots<T>(count: count)
            DispatchQueue.concurrentPerform(iterations: count) { i in
                let c = first + i
                var g = streams[c]
                let offset = c * Self.chunkSize
                let size = min(Self.chunkSize, n - offset)
                slots.set(i, Result { try transform(try simulator.generate(index: c, offset: offset, count: size, using: &g)) })
            }
            return slots
        }
        var next = 0
        var pending: Slots<T>? = compute(0)
        next = min(batch, chunkCount)
        while let current = pending {
            // Start the next batch while this one is consumed.
            let group = DispatchGroup()
            let box = Box<Slots<T>>()
            if next < chunkCount {
                let first = next
                group.enter()
                DispatchQueue.global().async {
                    box.value = compute(first)
                    group.leave()
                }
                next = min(next + batch, chunkCount)
            }
            defer { group.wait() }
            for i in 0..<current.count { try consume(try current.get(i)) }
            group.wait()
            pending = box.value
        }
    }

    /// The number of worker threads used by default: the active processor count.
    public static var defaultParallelism: Int { max(1, activeProcessorCount()) }
}

/// Results of one batch, written by `concurrentPerform` workers.
/// @unchecked Sendable: each index is written by exactly one worker before the batch completes
/// and read only after it, so there is no concurrent access to the same element.
final class Slots<T>: @unchecked Sendable {
    private let values: UnsafeMutablePointer<Result<T, any Error>?>
    let count: Int

    init(count: Int) {
        self.count = count
        values = .allocate(capacity: max(count, 1))
        values.initialize(repeating: nil, count: count)
    }

    deinit {
        values.deinitialize(count: count)
        values.deallocate()
    }

    func set(_ i: Int, _ value: Result<T, any Error>) {
        values[i] = value
    }

    func get(_ i: Int) throws -> T {
        switch values[i] {
        case .success(let v): return v
        case .failure(let e): throw e
        case nil: throw SimulationError("internal error: chunk \(i) was not computed")
        }
    }
}

/// A value handed from a background task to the thread that waits for it.
/// @unchecked Sendable: written once before `group.leave()`, read after `group.wait()`.
final class Box<T>: @unchecked Sendable {
    var value: T?
}

#if canImport(Glibc)
    func activeProcessorCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
#elseif canImport(Darwin)
    func activeProcessorCount() -> Int { Int(sysconf(_SC_NPROCESSORS_ONLN)) }
#else
    func activeProcessorCount() -> Int { 1 }
#endif
