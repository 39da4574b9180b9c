/// The trees of a boosted model laid out for scoring many rows fast.
///
/// Scoring bins each row's features once (the model's own bin edges, a branch-free binary
/// search over edges padded to 255 with +∞) and then walks every tree on one-byte bins instead
/// of doubles. Inner node k tests `bin > b` — the same test as `x > threshold` because the
/// threshold is the edge `edges[feature][b]` and a value's bin is the number of edges below it.
///
/// Layout: a tree of depth d ≤ ``maximumCompleteDepth`` is stored as a complete binary tree of
/// that depth, node k's children at 2k + 1 and 2k + 2 (no child pointers), each node one
/// `UInt32` (feature | bin << 16), so a step is k ← 2k + 1 + (row[feature(k)] > bin(k)); a leaf above the last level becomes a node that always goes left (bin 255: no bin is
/// above it) over copies of the leaf. A forest of 100 trees of depth 6 takes 25 KB of nodes,
/// which stays in the L1 cache. Deeper trees use packed `UInt64`
/// nodes with a child pointer (a leaf points at itself), the same walk otherwise.
///
/// Rows are scored in blocks of 256 (transposed to row-major bins, 16 bytes per row for up to
/// 16 features), eight rows walk a tree in lockstep (independent chains of loads the CPU
/// overlaps), blocks are split over threads in contiguous chunks. Each row's sum is
/// `baseline + tree₀ + tree₁ + …` in tree order whatever the block, lane or thread, so the
/// scores are bit-identical to a per-row walk of ``GradientBoosting/Tree`` for any thread count.
struct CompiledForest: Sendable {
    /// Trees deeper than this use pointer nodes (a complete tree of depth d has 2^d leaves).
    static let maximumCompleteDepth = 12
    static let blockSize = 256

    let featureCount: Int
    /// Bin edges per feature, padded with +∞ to 255 entries.
    let paddedEdges: [Double]
    /// Complete layout: each inner node (feature | bin << 16), and the leaves, per tree; empty when
    /// `pointerNodes` is used.
    let nodes: [UInt32]
    let leaves: [Double]
    let nodeOffsets: [Int]
    let leafOffsets: [Int]
    let depths: [Int]
    /// Pointer layout: child (low 32 bits) | feature << 32 | bin << 48; a leaf is its own child with bin 255.
    let pointerNodes: [UInt64]
    let pointerValues: [Double]
    let roots: [Int]
    let useComplete: Bool

    /// - Throws: ``LearnerError`` for a tree whose arrays, children, features, bins or thresholds
    ///   are inconsistent with each other or with the bin edges (a corrupted model file).
    init(trees: [GradientBoosting.Tree], bins: FeatureBins, maximumCompleteDepth: Int = Self.maximumCompleteDepth) throws(LearnerError) {
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
        useComplete = depths.allSatisfy { $0 <= maximumCompleteDepth }
        var nodes = [UInt32]()
        var leaves = [Double]()
        var nodeOffsets = [Int]()
        var leafOffsets = [Int]()
        var pointerNodes = [UInt64]()
        var pointerValues = [Double]()
        var roots = [Int]()
        for (t, tree) in trees.enumerated() {
            if useComplete {
                let d = depths[t]
                nodeOffsets.append(nodes.count)
                leafOffsets.append(leaves.count)
                let nodeBase = nodes.count
                let leafBase = leaves.count
                nodes += [UInt32](repeating: 255 << 16, count: (1 << d) - 1)
                leaves += [Double](repeating: 0, count: 1 << d)
                // (original node, position in the complete tree, level)
                var stack = [(0, 0, 0)]
                while let (k, p, level) = stack.popLast() {
                    if level == d {
                        leaves[leafBase + p - ((1 << d) - 1)] = tree.value[k]
                    } else if tree.left[k] < 0 {
                        stack.append((k, 2 * p + 1, level + 1))
                        stack.append((k, 2 * p + 2, level + 1))
                    } else {
                        nodes[nodeBase + p] = UInt32(tree.feature[k]) | UInt32(tree.bin[k]) << 16
                        stack.append((tree.left[k], 2 * p + 1, level + 1))
                        stack.append((tree.left[k] + 1, 2 * p + 2, level + 1))
                    }
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
    }

    /// baseline + Σ trees for every row, blocks of rows split over `threads` in contiguous chunks.
    func predict(_ x: FeatureMatrix, baseline: Double, threads: Int) -> [Double] {
        let n = x.rowCount
        var out = [Double](repeating: baseline, count: n)
        let blocks = (n + Self.blockSize - 1) / Self.blockSize
        out.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable((out, self))
            x.values.withUnsafeBufferPointer { values in
                let chunks = max(1, min(threads, blocks))
                Parallel.forEach(chunks, threads: threads) { c in
                    let (out, forest) = shared.value
                    let stride = max(16, (forest.featureCount + 15) / 16 * 16)
                    let rowBins = UnsafeMutablePointer<UInt8>.allocate(capacity: Self.blockSize * stride)
                    rowBins.initialize(repeating: 0, count: Self.blockSize * stride)
                    defer { rowBins.deallocate() }
                    for block in (c * blocks / chunks)..<((c + 1) * blocks / chunks) {
                        let start = block * Self.blockSize
                        let m = min(Self.blockSize, n - start)
                        forest.bin(values.baseAddress!, rowCount: n, start: start, count: m, into: rowBins, stride: stride)
                        if forest.useComplete {
                            forest.addCompleteTrees(rows: rowBins, count: m, stride: stride, into: out.baseAddress! + start)
                        } else {
                            forest.addPointerTrees(rows: rowBins, count: m, stride: stride, into: out.baseAddress! + start)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Bins rows start..<start+m of the column-major values into row-major bytes.
    @inline(__always)
    private func bin(_ values: UnsafePointer<Double>, rowCount n: Int, start: Int, count m: Int, into rows: UnsafeMutablePointer<UInt8>, stride: Int) {
        paddedEdges.withUnsafeBufferPointer { edges in
            for j in 0..<featureCount {
                let e = edges.baseAddress! + j * 255
                let column = values + j * n + start
                for r in 0..<m {
                    let x = column[r]
                    // Branch-free binary search: the number of edges below x (edges[254] is never read
                    // past: the steps sum to 255, the largest index read is 254).
                    var b = 0
                    b += e[b + 127] < x ? 128 : 0
                    b += e[b + 63] < x ? 64 : 0
                    b += e[b + 31] < x ? 32 : 0
                    b += e[b + 15] < x ? 16 : 0
                    b += e[b + 7] < x ? 8 : 0
                    b += e[b + 3] < x ? 4 : 0
                    b += e[b + 1] < x ? 2 : 0
                    b += e[b] < x ? 1 : 0
                    rows[r * stride + j] = UInt8(truncatingIfNeeded: b)
                }
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
