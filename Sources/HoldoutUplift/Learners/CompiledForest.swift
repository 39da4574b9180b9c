/// The trees of a boosted model laid out for scoring many rows fast.
///
/// Scoring bins each row's features once with the model's own bin edges and then walks every
/// tree on one-byte bins instead of doubles. Inner node k tests `bin > b` — the same test as
/// `x > threshold` because the threshold is the edge `edges[feature][b]` and a value's bin is the
/// number of edges below it.
///
/// Every tree is first made complete: node k's children at 2k + 1 and 2k + 2, a leaf above the
/// last level copied into every position below it (so any path through those positions ends at
/// that leaf). Three walks, by the depth of the deepest tree:
///
/// - **Lanes** (depth ≤ ``maximumLaneDepth``, the default depth 6 included): a block's bins are
///   stored one column of 256 bytes per feature, and sixteen rows sit in the byte lanes of one
///   SIMD vector (SSE2 on x86-64, NEON on ARM). Level by level, each real node compares its
///   feature's column with its threshold for all lanes at once and the lanes at its position take
///   the answer, four vectors (64 rows) per node load. Per row and tree that is about 15
///   instructions for a 31-leaf tree, against six dependent loads and compares walking row by row.
///   Values are binned through 1,024 equal-width buckets per feature (``LaneTables``), with the
///   binary search for a feature whose edges crowd a bucket.
/// - **Complete** (depth ≤ ``maximumCompleteDepth``): each node one `UInt32` (feature | bin << 16),
///   a step k ← 2k + 1 + (row[feature(k)] > bin(k)), eight rows in lockstep on row-major bins.
/// - **Pointer** (deeper): packed `UInt64` nodes with a child pointer (a leaf points at itself),
///   the same walk otherwise.
///
/// Rows are scored in blocks of 256, blocks split over threads in contiguous chunks. Each row's
/// sum is `baseline + tree₀ + tree₁ + …` in tree order whatever the layout, block, lane or thread,
/// so the scores are bit-identical to a per-row walk of ``GradientBoosting/Tree`` on the raw
/// values for any thread count (`LearnersTests+FastScoring.swift`, `LearnersTests+RandomScoring.swift`).
struct CompiledForest: Sendable {
    /// How the trees are walked.
    enum Layout: Sendable {
        /// Sixteen rows at once in SIMD lanes, level by level (trees of depth ≤ ``maximumLaneDepth``).
        case lanes
        /// One row at a time per lane of eight, complete-tree nodes (depth ≤ ``maximumCompleteDepth``).
        case complete
        /// One row at a time per lane of eight, nodes with child pointers (any depth).
        case pointer
    }

    /// Trees deeper than this use pointer nodes (a complete tree of depth d has 2^d leaves).
    static let maximumCompleteDepth = 12
    /// Trees deeper than this are not walked in lanes: a position in the complete tree must fit a lane's byte.
    static let maximumLaneDepth = 7
    /// Forests on more features are not walked in lanes (a block's bins would outgrow the L1 cache).
    static let maximumLaneFeatures = 255
    static let blockSize = 256
    static let blockShift = 8
    /// Sixteen one-byte lanes: one SSE2 or NEON register.
    typealias Lanes = SIMD16<Int8>
    /// Sixty-four rows: four lane vectors walk together, sharing each node's loads.
    typealias Lanes4 = (Lanes, Lanes, Lanes, Lanes)
    static let laneWidth = 16

    let featureCount: Int
    /// Bin edges per feature, padded with +∞ to 255 entries.
    let paddedEdges: [Double]
    let layout: Layout
    /// Complete layout: each inner node (feature | bin << 16) per tree; the leaves, per tree, also
    /// for the lane layout.
    let nodes: [UInt32]
    let leaves: [Double]
    let nodeOffsets: [Int]
    let leafOffsets: [Int]
    let depths: [Int]
    /// Lane layout: the trees' real inner nodes level by level; nil for the other layouts.
    let lanes: LaneTables?
    /// Pointer layout: child (low 32 bits) | feature << 32 | bin << 48; a leaf is its own child with bin 255.
    let pointerNodes: [UInt64]
    let pointerValues: [Double]
    let roots: [Int]

    /// - Throws: ``LearnerError`` for a tree whose arrays, children, features, bins or thresholds
    ///   are inconsistent with each other or with the bin edges (a corrupted model file).
    init(trees: [GradientBoosting.Tree], bins: FeatureBins, layout requested: Layout? = nil) throws(LearnerError) {
        let featureCount = bins.featureCount
        guard featureCount <= Int(UInt16.max) else { throw LearnerError(.invalidInput, "more than 65,535 features", field: "feature_names") }
        var padded = [Double](repeating: .infinity, count: featureCount * 255)
        for (j, e) in bins.edges.enumerated() { for (k, x) in e.enumerated() { padded[j * 255 + k] = x } }
        var depths = [Int]()
        for (t, tree) in trees.enumerated() {
            let n = tree.feature.count
            guard n > 0, tree.bin.count == n, tree.threshold.count == n, tree.left.count == n, tree.value.count == n else {
                throw LearnerError(.invalidInput, "tree \(t) has arrays of different lengths", field: "trees")
            }
            var depth = [Int](repeating: 0, count: n)
            var reached = [Bool](repeating: false, count: n)
            reached[0] = true
            for k in 0..<n {
                guard reached[k] else { throw LearnerError(.invalidInput, "tree \(t) node \(k) is not reachable from the root", field: "trees") }
                guard tree.left[k] >= 0 else {
                    guard tree.value[k].isFinite else {
                        throw LearnerError(.invalidInput, "tree \(t) leaf \(k) has a value that is not finite", field: "trees")
                    }
                    continue
                }
                let f = tree.feature[k]
                let b = tree.bin[k]
                guard tree.left[k] > k, tree.left[k] + 1 < n, (0..<featureCount).contains(f), (0..<bins.edges[f].count).contains(b),
                    tree.threshold[k] == bins.edges[f][b], !reached[tree.left[k]], !reached[tree.left[k] + 1]
                else {
                    throw LearnerError(.invalidInput, "tree \(t) node \(k) has a bad child, feature, bin or threshold", field: "trees")
                }
                reached[tree.left[k]] = true
                reached[tree.left[k] + 1] = true
                depth[tree.left[k]] = depth[k] + 1
                depth[tree.left[k] + 1] = depth[k] + 1
            }
            depths.append(depth.max() ?? 0)
        }
        self.featureCount = featureCount
        paddedEdges = padded
        self.depths = depths
        let deepest = depths.max() ?? 0
        let layout =
            requested
            ?? (deepest <= Self.maximumLaneDepth && featureCount <= Self.maximumLaneFeatures
                ? .lanes : deepest <= Self.maximumCompleteDepth ? .complete : .pointer)
        guard layout != .lanes || (deepest <= Self.maximumLaneDepth && featureCount <= Self.maximumLaneFeatures),
            layout != .complete || deepest <= Self.maximumCompleteDepth
        else { throw LearnerError(.invalidInput, "the trees are too deep or wide for the \(layout) layout", field: "trees") }
        self.layout = layout
        var nodes = [UInt32]()
        var leaves = [Double]()
        var nodeOffsets = [Int]()
        var leafOffsets = [Int]()
        var pointerNodes = [UInt64]()
        var pointerValues = [Double]()
        var roots = [Int]()
        var laneNodes = [(position: Int, bin: Int, feature: Int)]()
        var laneTrees = [LaneTables.Tree]()
        var laneLevelEnds = [Int32]()
        for (t, tree) in trees.enumerated() {
            if layout != .pointer {
                let d = depths[t]
                nodeOffsets.append(nodes.count)
                leafOffsets.append(leaves.count)
                let nodeBase = nodes.count
                let leafBase = leaves.count
                nodes += [UInt32](repeating: 255 << 16, count: (1 << d) - 1)
                leaves += [Double](repeating: 0, count: 1 << d)
                // (original node, position in the complete tree, level)
                var stack = [(0, 0, 0)]
                var real = [[(position: Int, bin: Int, feature: Int)]](repeating: [], count: d)
                while let (k, p, level) = stack.popLast() {
                    if level == d {
                        leaves[leafBase + p - ((1 << d) - 1)] = tree.value[k]
                    } else if tree.left[k] < 0 {
                        stack.append((k, 2 * p + 1, level + 1))
                        stack.append((k, 2 * p + 2, level + 1))
                    } else {
                        nodes[nodeBase + p] = UInt32(tree.feature[k]) | UInt32(tree.bin[k]) << 16
                        real[level].append((p, tree.bin[k], tree.feature[k]))
                        stack.append((tree.left[k], 2 * p + 1, level + 1))
                        stack.append((tree.left[k] + 1, 2 * p + 2, level + 1))
                    }
                }
                laneTrees.append(
                    .init(
                        depth: d, from: laneNodes.count, levelEnds: laneLevelEnds.count, leaf: leafBase - ((1 << d) - 1),
                        usesLastFeature: tree.feature.indices.contains { tree.left[$0] >= 0 && tree.feature[$0] == featureCount - 1 }))
                for level in real {
                    laneNodes += level
                    laneLevelEnds.append(Int32(laneNodes.count))
                }
            } else {
                let base = pointerNodes.count
                roots.append(base)
                for k in tree.feature.indices {
                    if tree.left[k] < 0 {
                        pointerNodes.append(UInt64(base + k) | 255 << 48)
                    } else {
                        pointerNodes.append(UInt64(base + tree.left[k]) | UInt64(tree.feature[k]) << 32 | UInt64(tree.bin[k]) << 48)
                    }
                    pointerValues.append(tree.left[k] < 0 ? tree.value[k] : 0)
                }
            }
        }
        self.nodes = nodes
        self.leaves = leaves
        self.nodeOffsets = nodeOffsets
        self.leafOffsets = leafOffsets
        self.pointerNodes = pointerNodes
        self.pointerValues = pointerValues
        self.roots = roots
        lanes =
            layout == .lanes
            ? LaneTables(trees: laneTrees, nodes: laneNodes, levelEnds: laneLevelEnds, leaves: leaves, edges: bins.edges, paddedEdges: padded) : nil
    }

    /// link(baseline + Σ trees) for every row (the raw sums without a link), blocks of rows split
    /// over `threads` in contiguous chunks; each thread applies the link to the rows it scored.
    func predict(_ x: FeatureMatrix, baseline: Double, threads: Int, link: (@Sendable (Double) -> Double)? = nil) -> [Double] {
        let n = x.rowCount
        guard n > 0 else { return [] }
        var out = [Double](repeating: baseline, count: n)
        out.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable((out.baseAddress!, self))
            x.values.withUnsafeBufferPointer { values in
                let values = UncheckedSendable(values.baseAddress!)
                forEachBlock(n, threads: threads) { scratch, start, m in
                    let (out, forest) = shared.value
                    let o = out + start
                    forest.addTrees(values.value, rowCount: n, start: start, count: m, scratch: scratch, into: o)
                    if let link { for r in 0..<m { o[r] = link(o[r]) } }
                }
            }
        }
        return out
    }

    /// combine(F_a(x), F_b(x)) for every row, two forests on the same features scored block by
    /// block in one pass (each sum in tree order, as ``predict(_:baseline:threads:link:)`` gives it).
    static func combine(
        _ a: CompiledForest, baseline baselineA: Double, _ b: CompiledForest, baseline baselineB: Double, _ x: FeatureMatrix, threads: Int,
        _ combine: @Sendable (Double, Double) -> Double
    ) -> [Double] {
        precondition(a.featureCount == x.featureCount && b.featureCount == x.featureCount)
        let n = x.rowCount
        guard n > 0 else { return [] }
        var out = [Double](repeating: baselineA, count: n)
        out.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable((out.baseAddress!, a, b))
            x.values.withUnsafeBufferPointer { values in
                let values = UncheckedSendable(values.baseAddress!)
                a.forEachBlock(n, threads: threads) { scratch, start, m in
                    let (out, a, b) = shared.value
                    let o = out + start
                    a.addTrees(values.value, rowCount: n, start: start, count: m, scratch: scratch, into: o)
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: blockSize) { second in
                        let second = second.baseAddress!
                        second.initialize(repeating: baselineB, count: blockSize)
                        b.addTrees(values.value, rowCount: n, start: start, count: m, scratch: scratch, into: second)
                        for r in 0..<m { o[r] = combine(o[r], second[r]) }
                    }
                }
            }
        }
        return out
    }

    /// Adds every tree's leaf to out[0..<m] for rows start..<start+m, binning them into `scratch` first.
    @inline(__always)
    private func addTrees(
        _ values: UnsafePointer<Double>, rowCount n: Int, start: Int, count m: Int, scratch: UnsafeMutablePointer<UInt8>,
        into o: UnsafeMutablePointer<Double>
    ) {
        if layout == .lanes {
            binColumns(values, rowCount: n, columns: featureCount, start: start, count: m, into: scratch)
            addLaneTrees(bins: scratch, count: m, into: o)
        } else {
            bin(values, rowCount: n, start: start, count: m, into: scratch, stride: rowStride)
            if layout == .complete {
                addCompleteTrees(rows: scratch, count: m, stride: rowStride, into: o)
            } else {
                addPointerTrees(rows: scratch, count: m, stride: rowStride, into: o)
            }
        }
    }

    /// For matrix rows x without the last feature: combine(F(x, a), F(x, b)), the forest's sums
    /// with the last feature set to `a` and to `b` (the S-learner's treated and control scores).
    ///
    /// The rows are binned once; a tree that does not split on the last feature is walked once and
    /// its leaf added to both sums. Each sum is still baseline + tree₀ + tree₁ + … in tree order, so
    /// both equal ``predict(_:baseline:threads:link:)`` on the matrix with the column appended, bit
    /// for bit. Needs the lane layout.
    func predictPair(
        _ x: FeatureMatrix, lastFeature a: Double, _ b: Double, baseline: Double, threads: Int, combine: @Sendable (Double, Double) -> Double
    ) -> [Double] {
        precondition(layout == .lanes && x.featureCount == featureCount - 1)
        let n = x.rowCount
        guard n > 0 else { return [] }
        var out = [Double](repeating: baseline, count: n)
        let binA = binOf(a, feature: featureCount - 1) ^ 0x80
        let binB = binOf(b, feature: featureCount - 1) ^ 0x80
        out.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable((out.baseAddress!, self))
            x.values.withUnsafeBufferPointer { values in
                let values = UncheckedSendable(values.baseAddress!)
                forEachBlock(n, threads: threads) { scratch, start, m in
                    let (out, forest) = shared.value
                    let last = forest.featureCount - 1
                    (scratch + last << Self.blockShift).initialize(repeating: binA, count: Self.blockSize)
                    (scratch + forest.featureCount << Self.blockShift).initialize(repeating: binB, count: Self.blockSize)
                    forest.binColumns(values.value, rowCount: n, columns: last, start: start, count: m, into: scratch)
                    let first = out + start
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: Self.blockSize) { second in
                        let second = second.baseAddress!
                        second.initialize(repeating: baseline, count: Self.blockSize)
                        forest.addLaneTreePair(bins: scratch, count: m, into: first, second)
                        for r in 0..<m { first[r] = combine(first[r], second[r]) }
                    }
                }
            }
        }
        return out
    }

    private var rowStride: Int { max(16, (featureCount + 15) / 16 * 16) }

    /// Calls `body(scratch, start, count)` for every block of rows, blocks split over `threads` in
    /// contiguous chunks; `scratch` is the thread's buffer for a block's bins.
    private func forEachBlock(_ n: Int, threads: Int, _ body: (UnsafeMutablePointer<UInt8>, Int, Int) -> Void) {
        let blocks = (n + Self.blockSize - 1) / Self.blockSize
        let chunks = max(1, min(threads, blocks))
        // Lanes: one column of bins per feature plus one spare; rows: `rowStride` bytes per row.
        let bytes = max(featureCount + 1, rowStride) * Self.blockSize
        Parallel.forEach(chunks, threads: threads) { c in
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            let scratch = raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            defer { raw.deallocate() }
            for block in (c * blocks / chunks)..<((c + 1) * blocks / chunks) {
                let start = block * Self.blockSize
                body(scratch, start, min(Self.blockSize, n - start))
            }
        }
    }

    /// The bin of `x` for feature j: the number of its edges below x.
    private func binOf(_ x: Double, feature j: Int) -> UInt8 {
        UInt8(paddedEdges[(j * 255)..<(j * 255 + 255)].count { $0 < x })
    }

    /// Bins rows start..<start+m of the first `columns` features into one column of
    /// `blockSize` bytes per feature, each bin biased to a signed byte (b ^ 0x80), the layout the lanes read.
    ///
    /// A feature whose edges spread over the buckets of ``LaneTables`` (at most
    /// ``LaneTables/maximumProbes`` edges in a bucket) is binned by its bucket: the edges of lower
    /// buckets are below x, those of higher buckets above it, so the bin is the bucket's first
    /// edge plus a count of the few edges from there that are below x — independent compares
    /// instead of the binary search's eight dependent steps. Other features use the search.
    @inline(__always)
    private func binColumns(
        _ values: UnsafePointer<Double>, rowCount n: Int, columns: Int, start: Int, count m: Int, into bins: UnsafeMutablePointer<UInt8>
    ) {
        let tables = lanes!
        for j in 0..<columns {
            let column = values + j * n + start
            let out = bins + j << Self.blockShift
            let lo = tables.bucketLow[j]
            let scale = tables.bucketScale[j]
            let starts = tables.bucketStarts + j * LaneTables.bucketCount
            let e = tables.probeEdges + j * LaneTables.probeStride
            @inline(__always) func bucketStart(_ x: Double) -> Int {
                // Monotone in x (subtraction, multiplication by a positive number, clamping and
                // truncation all are), as the table's construction assumes.
                let t = (x - lo) * scale
                return Int(starts[Int(t < 0 ? 0 : t > LaneTables.lastBucket ? LaneTables.lastBucket : t)])
            }
            switch tables.probes[j] {
            case 0:
                for r in 0..<m { out[r] = UInt8(truncatingIfNeeded: bucketStart(column[r])) ^ 0x80 }
            case 1:
                for r in 0..<m {
                    let x = column[r]
                    let b = bucketStart(x)
                    out[r] = UInt8(truncatingIfNeeded: b + (e[b] < x ? 1 : 0)) ^ 0x80
                }
            case 2:
                for r in 0..<m {
                    let x = column[r]
                    let b = bucketStart(x)
                    out[r] = UInt8(truncatingIfNeeded: b + (e[b] < x ? 1 : 0) + (e[b + 1] < x ? 1 : 0)) ^ 0x80
                }
            case let probes where probes <= LaneTables.maximumProbes:
                for r in 0..<m {
                    let x = column[r]
                    let b = bucketStart(x)
                    var bin = b
                    for i in 0..<probes { bin += e[b + i] < x ? 1 : 0 }
                    out[r] = UInt8(truncatingIfNeeded: bin) ^ 0x80
                }
            default:
                let edges = tables.searchEdges + j * 255
                for r in 0..<m { out[r] = Self.search(edges, column[r]) ^ 0x80 }
            }
        }
    }

    /// Branch-free binary search: the number of the 255 padded edges below x (edges[254] is never
    /// read past: the steps sum to 255, the largest index read is 254).
    @inline(__always)
    private static func search(_ e: UnsafePointer<Double>, _ x: Double) -> UInt8 {
        var b = 0
        b += e[b + 127] < x ? 128 : 0
        b += e[b + 63] < x ? 64 : 0
        b += e[b + 31] < x ? 32 : 0
        b += e[b + 15] < x ? 16 : 0
        b += e[b + 7] < x ? 8 : 0
        b += e[b + 3] < x ? 4 : 0
        b += e[b + 1] < x ? 2 : 0
        b += e[b] < x ? 1 : 0
        return UInt8(truncatingIfNeeded: b)
    }

    /// Walks one tree for the 64 rows whose bins start at `bins` (column j at `j << blockShift`),
    /// sixteen to a vector, and returns each row's position in the complete tree after the last level.
    ///
    /// Level by level, every real node of the level compares its feature's bins of the rows with its
    /// threshold at once; a row takes the answer of the node it is at (position equal). A row at a
    /// position below a leaf matches no node and goes right, which is right: every position below a
    /// leaf holds a copy of it. Four vector operations per node for sixteen rows (compare, position
    /// compare, and, or), against six dependent loads per row and tree for a walk row by row.
    @inline(__always)
    private static func walk(
        _ tree: LaneTables.Tree, _ tables: LaneTables, columns: UnsafePointer<Int32>, bins: UnsafeRawPointer
    ) -> Lanes4 {
        var p0 = Lanes(repeating: 0)
        var p1 = p0
        var p2 = p0
        var p3 = p0
        var n = tree.from
        for level in 0..<tree.depth {
            let end = Int(tables.levelEnds[tree.levelEnds + level])
            var l0 = SIMDMask<Lanes.MaskStorage>(repeating: false)
            var l1 = l0
            var l2 = l0
            var l3 = l0
            while n < end {
                let column = bins + Int(columns[n])
                // A row goes left when bin ≤ b, that is b + 1 > bin (both biased to signed bytes).
                let threshold = tables.vectors[2 * n]
                let position = tables.vectors[2 * n + 1]
                l0 .|= (threshold .> column.load(as: Lanes.self)) .& (p0 .== position)
                l1 .|= (threshold .> column.load(fromByteOffset: 16, as: Lanes.self)) .& (p1 .== position)
                l2 .|= (threshold .> column.load(fromByteOffset: 32, as: Lanes.self)) .& (p2 .== position)
                l3 .|= (threshold .> column.load(fromByteOffset: 48, as: Lanes.self)) .& (p3 .== position)
                n += 1
            }
            // Children of k are 2k + 1 (left) and 2k + 2.
            let right = Lanes(repeating: 2)
            p0 = p0 &+ p0 &+ right.replacing(with: 1, where: l0)
            p1 = p1 &+ p1 &+ right.replacing(with: 1, where: l1)
            p2 = p2 &+ p2 &+ right.replacing(with: 1, where: l2)
            p3 = p3 &+ p3 &+ right.replacing(with: 1, where: l3)
        }
        return (p0, p1, p2, p3)
    }

    @inline(__always)
    private func addLaneTrees(bins: UnsafeMutablePointer<UInt8>, count m: Int, into out: UnsafeMutablePointer<Double>) {
        let tables = lanes!
        for t in 0..<tables.treeCount {
            let tree = tables.trees[t]
            let leaf = tables.leaves + tree.leaf
            var r = 0
            while r < m {
                let k = Self.walk(tree, tables, columns: tables.columns, bins: bins + r)
                Self.add(k, leaf, count: min(4 * Self.laneWidth, m - r), to: out + r)
                r += 4 * Self.laneWidth
            }
        }
    }

    @inline(__always)
    private func addLaneTreePair(
        bins: UnsafeMutablePointer<UInt8>, count m: Int, into first: UnsafeMutablePointer<Double>, _ second: UnsafeMutablePointer<Double>
    ) {
        let tables = lanes!
        for t in 0..<tables.treeCount {
            let tree = tables.trees[t]
            let leaf = tables.leaves + tree.leaf
            var r = 0
            while r < m {
                let count = min(4 * Self.laneWidth, m - r)
                let k = Self.walk(tree, tables, columns: tables.columns, bins: bins + r)
                if tree.usesLastFeature {
                    Self.add(k, leaf, count: count, to: first + r)
                    Self.add(Self.walk(tree, tables, columns: tables.secondColumns, bins: bins + r), leaf, count: count, to: second + r)
                } else {
                    Self.add(k, leaf, count: count, to: first + r, second + r)
                }
                r += 4 * Self.laneWidth
            }
        }
    }

    /// out[i] += leaf[k[i]] for the first `count` lanes of the four vectors.
    @inline(__always)
    private static func add(_ k: Lanes4, _ leaf: UnsafePointer<Double>, count: Int, to out: UnsafeMutablePointer<Double>) {
        withUnsafeBytes(of: k) { k in
            if count == 4 * laneWidth {
                // Two rows per SIMD2 add (the same two IEEE additions, one instruction).
                let pairs = UnsafeMutableRawPointer(out)
                for i in Swift.stride(from: 0, to: 4 * laneWidth, by: 2) {
                    let sum = pairs.loadUnaligned(fromByteOffset: 8 * i, as: SIMD2<Double>.self) + SIMD2(leaf[Int(k[i])], leaf[Int(k[i + 1])])
                    pairs.storeBytes(of: sum, toByteOffset: 8 * i, as: SIMD2<Double>.self)
                }
            } else {
                for i in 0..<count { out[i] += leaf[Int(k[i])] }
            }
        }
    }

    /// The same leaves added to two sums.
    @inline(__always)
    private static func add(
        _ k: Lanes4, _ leaf: UnsafePointer<Double>, count: Int, to out: UnsafeMutablePointer<Double>,
        _ out2: UnsafeMutablePointer<Double>
    ) {
        withUnsafeBytes(of: k) { k in
            if count == 4 * laneWidth {
                let pairs = UnsafeMutableRawPointer(out)
                let pairs2 = UnsafeMutableRawPointer(out2)
                for i in Swift.stride(from: 0, to: 4 * laneWidth, by: 2) {
                    let v = SIMD2(leaf[Int(k[i])], leaf[Int(k[i + 1])])
                    pairs.storeBytes(of: pairs.loadUnaligned(fromByteOffset: 8 * i, as: SIMD2<Double>.self) + v, toByteOffset: 8 * i, as: SIMD2<Double>.self)
                    pairs2.storeBytes(of: pairs2.loadUnaligned(fromByteOffset: 8 * i, as: SIMD2<Double>.self) + v, toByteOffset: 8 * i, as: SIMD2<Double>.self)
                }
            } else {
                for i in 0..<count {
                    let v = leaf[Int(k[i])]
                    out[i] += v
                    out2[i] += v
                }
            }
        }
    }

    /// Bins rows start..<start+m of the column-major values into row-major bytes.
    @inline(__always)
    private func bin(_ values: UnsafePointer<Double>, rowCount n: Int, start: Int, count m: Int, into rows: UnsafeMutablePointer<UInt8>, stride: Int) {
        paddedEdges.withUnsafeBufferPointer { edges in
            for j in 0..<featureCount {
                let e = edges.baseAddress! + j * 255
                let column = values + j * n + start
                for r in 0..<m { rows[r * stride + j] = Self.search(e, column[r]) }
            }
        }
    }

    @inline(__always)
    private func addCompleteTrees(rows: UnsafeMutablePointer<UInt8>, count m: Int, stride f: Int, into out: UnsafeMutablePointer<Double>) {
        nodes.withUnsafeBufferPointer { nodes in
            leaves.withUnsafeBufferPointer { leaves in
                for t in depths.indices {
                    // Node k's children are 2k + 1 and 2k + 2; the leaves follow the 2^d − 1 inner nodes.
                    let tree = nodes.baseAddress! + nodeOffsets[t]
                    let leaf = leaves.baseAddress! + leafOffsets[t] - ((1 << depths[t]) - 1)
                    let depth = depths[t]
                    @inline(__always) func step(_ k: Int, _ row: UnsafeMutablePointer<UInt8>) -> Int {
                        let node = tree[k]
                        return 2 * k + 1 + (UInt32(row[Int(node & 0xFFFF)]) > node >> 16 ? 1 : 0)
                    }
                    // Eight rows walk the tree in lockstep: independent chains of loads the CPU overlaps.
                    var r = 0
                    while r + 8 <= m {
                        let x = rows + r * f
                        var (n0, n1, n2, n3, n4, n5, n6, n7) = (0, 0, 0, 0, 0, 0, 0, 0)
                        for _ in 0..<depth {
                            n0 = step(n0, x)
                            n1 = step(n1, x + f)
                            n2 = step(n2, x + 2 * f)
                            n3 = step(n3, x + 3 * f)
                            n4 = step(n4, x + 4 * f)
                            n5 = step(n5, x + 5 * f)
                            n6 = step(n6, x + 6 * f)
                            n7 = step(n7, x + 7 * f)
                        }
                        out[r] += leaf[n0]
                        out[r + 1] += leaf[n1]
                        out[r + 2] += leaf[n2]
                        out[r + 3] += leaf[n3]
                        out[r + 4] += leaf[n4]
                        out[r + 5] += leaf[n5]
                        out[r + 6] += leaf[n6]
                        out[r + 7] += leaf[n7]
                        r += 8
                    }
                    while r < m {
                        var k = 0
                        for _ in 0..<depth { k = step(k, rows + r * f) }
                        out[r] += leaf[k]
                        r += 1
                    }
                }
            }
        }
    }

    @inline(__always)
    private func addPointerTrees(rows: UnsafeMutablePointer<UInt8>, count m: Int, stride f: Int, into out: UnsafeMutablePointer<Double>) {
        pointerNodes.withUnsafeBufferPointer { nodes in
            pointerValues.withUnsafeBufferPointer { value in
                @inline(__always) func step(_ k: Int, _ row: UnsafeMutablePointer<UInt8>) -> Int {
                    let node = nodes[k]
                    let feature = Int((node >> 32) & 0xFFFF)
                    return Int(node & 0xFFFF_FFFF) + (UInt64(row[feature]) > node >> 48 ? 1 : 0)
                }
                for t in roots.indices {
                    for r in 0..<m {
                        var k = roots[t]
                        for _ in 0..<depths[t] { k = step(k, rows + r * f) }
                        out[r] += value[k]
                    }
                }
            }
        }
    }
}

/// The lane layout's tables in memory of their own, read through pointers by the walk (arrays
/// would need a closure per array around the loops). Written once by `init`, then only read.
final class LaneTables: @unchecked Sendable {
    struct Tree {
        let depth: Int
        /// The tree's first node in `columns` and `vectors`.
        let from: Int
        /// Where its levels' ends start in `levelEnds`.
        let levelEnds: Int
        /// Where position 0 of its complete tree would be in `leaves` (the first leaf is at position 2^depth − 1).
        let leaf: Int
        let usesLastFeature: Bool
    }

    let treeCount: Int
    let trees: UnsafeMutablePointer<Tree>
    /// Per node, its feature's column in a block of bins: feature << blockShift.
    let columns: UnsafeMutablePointer<Int32>
    /// The same with the last feature moved to the spare column `featureCount`.
    let secondColumns: UnsafeMutablePointer<Int32>
    /// Per node, its threshold bin + 1 and its position, each biased to a signed byte and repeated in every lane.
    let vectors: UnsafeMutablePointer<CompiledForest.Lanes>
    let levelEnds: UnsafeMutablePointer<Int32>
    let leaves: UnsafeMutablePointer<Double>

    /// Binning: each feature's range from its first to its last edge cut into `bucketCount` equal
    /// buckets, bucket = clamp((x − low) · scale, 0, bucketCount − 1) truncated.
    static let bucketCount = 1024
    static let lastBucket = Double(bucketCount - 1)
    /// A feature with more edges than this in one bucket is binned by binary search.
    static let maximumProbes = 4
    static let probeStride = 255 + maximumProbes
    let bucketLow: UnsafeMutablePointer<Double>
    let bucketScale: UnsafeMutablePointer<Double>
    /// Per feature and bucket, the number of edges in lower buckets.
    let bucketStarts: UnsafeMutablePointer<UInt8>
    /// Per feature, the most edges in one bucket (how many edges a value is compared with).
    let probes: UnsafeMutablePointer<Int>
    /// Per feature, its edges padded with +∞ to `probeStride` entries.
    let probeEdges: UnsafeMutablePointer<Double>
    /// Per feature, its edges padded with +∞ to 255 entries, for the binary search.
    let searchEdges: UnsafeMutablePointer<Double>

    init(
        trees: [Tree], nodes: [(position: Int, bin: Int, feature: Int)], levelEnds: [Int32], leaves: [Double], edges: [[Double]],
        paddedEdges: [Double]
    ) {
        let featureCount = edges.count
        treeCount = trees.count
        self.trees = .allocate(capacity: max(trees.count, 1))
        self.trees.initialize(from: trees, count: trees.count)
        columns = .allocate(capacity: max(nodes.count, 1))
        secondColumns = .allocate(capacity: max(nodes.count, 1))
        vectors = .allocate(capacity: max(2 * nodes.count, 1))
        for (n, node) in nodes.enumerated() {
            columns[n] = Int32(node.feature << CompiledForest.blockShift)
            secondColumns[n] = Int32((node.feature == featureCount - 1 ? featureCount : node.feature) << CompiledForest.blockShift)
            // bin ≤ 253 (at most 254 edges), so bin + 1 fits a byte; positions of a tree of depth ≤ 7 are below 127.
            (vectors + 2 * n).initialize(to: .init(repeating: Int8(bitPattern: UInt8(node.bin + 1) ^ 0x80)))
            (vectors + 2 * n + 1).initialize(to: .init(repeating: Int8(node.position)))
        }
        self.levelEnds = .allocate(capacity: max(levelEnds.count, 1))
        self.levelEnds.initialize(from: levelEnds, count: levelEnds.count)
        self.leaves = .allocate(capacity: max(leaves.count, 1))
        self.leaves.initialize(from: leaves, count: leaves.count)
        bucketLow = .allocate(capacity: featureCount)
        bucketScale = .allocate(capacity: featureCount)
        probes = .allocate(capacity: featureCount)
        bucketStarts = .allocate(capacity: featureCount * Self.bucketCount)
        probeEdges = .allocate(capacity: featureCount * Self.probeStride)
        probeEdges.initialize(repeating: .infinity, count: featureCount * Self.probeStride)
        searchEdges = .allocate(capacity: featureCount * 255)
        searchEdges.initialize(from: paddedEdges, count: featureCount * 255)
        for (j, e) in edges.enumerated() {
            let low = e.first ?? 0
            let width = (e.last ?? 0) - low
            // One edge (or none): scale 1, every edge in bucket 0. A width that overflows or is too
            // small for a finite scale: binary search. The scale is then finite and positive, so
            // (x − low) · scale is never NaN, even when x − low overflows to ±∞.
            let scale = width > 0 ? Double(Self.bucketCount) / width : 1
            let usable = scale.isFinite && scale > 0
            bucketLow[j] = low
            bucketScale[j] = usable ? scale : 1
            var counts = [Int](repeating: 0, count: Self.bucketCount)
            for x in e {
                // The same expression as the binning's.
                let t = (x - bucketLow[j]) * bucketScale[j]
                counts[Int(t < 0 ? 0 : t > Self.lastBucket ? Self.lastBucket : t)] += 1
            }
            var below = 0
            for b in 0..<Self.bucketCount {
                bucketStarts[j * Self.bucketCount + b] = UInt8(below)
                below += counts[b]
            }
            probes[j] = usable ? counts.max() ?? 0 : Int.max
            for (k, x) in e.enumerated() { probeEdges[j * Self.probeStride + k] = x }
        }
    }

    deinit {
        trees.deallocate()
        columns.deallocate()
        secondColumns.deallocate()
        vectors.deallocate()
        levelEnds.deallocate()
        leaves.deallocate()
        bucketLow.deallocate()
        bucketScale.deallocate()
        probes.deallocate()
        bucketStarts.deallocate()
        probeEdges.deallocate()
        searchEdges.deallocate()
    }
}
