import RealModule

/// One bin of a histogram: sums of gradients, hessians and rows.
struct HistogramBin {
    var gradient: Double
    var hessian: Double
    var count: Double
}

/// The best split of a node.
struct Split {
    var feature: Int
    var bin: Int
    var gain: Double
    var leftGradient: Double
    var leftHessian: Double
    var leftCount: Double
}

/// A node while its tree grows: its rows are `indices[start..<end]`.
struct GrowingNode {
    var start: Int
    var end: Int
    var depth: Int
    var gradient: Double
    var hessian: Double
    var count: Double
    /// The histogram pool slot, or −1.
    var histogram: Int
    var split: Split?
    var id: Int
}

/// The boosting loop and the tree grower of one fit. Owns raw buffers for the binned
/// features, gradients and row indices; `deallocate()` frees them.
final class Booster {
    static let binsPerFeature = 256

    let rows: Int
    let featureCount: Int
    let binCounts: [Int]
    let settings: GradientBoosting.Settings
    let loss: GradientBoosting.Loss
    let targets: [Double]
    let weights: [Double]?
    let baseline: Double
    /// The hessian is the same for every row (unweighted squared error): skip summing it.
    let constantHessian: Bool

    let binned: UnsafeMutableBufferPointer<UInt8>
    let gradients: UnsafeMutableBufferPointer<Float>
    let hessians: UnsafeMutableBufferPointer<Float>
    let orderedGradients: UnsafeMutableBufferPointer<Float>
    let orderedHessians: UnsafeMutableBufferPointer<Float>
    let indices: UnsafeMutableBufferPointer<UInt32>
    let scratch: UnsafeMutableBufferPointer<UInt32>
    let raw: UnsafeMutableBufferPointer<Double>
    var pool: [UnsafeMutableBufferPointer<HistogramBin>] = []
    var freeSlots: [Int] = []

    init(
        bins: FeatureBins, features: FeatureMatrix, targets: [Double], weights: [Double]?, loss: GradientBoosting.Loss,
        settings: GradientBoosting.Settings
    ) {
        rows = features.rowCount
        featureCount = features.featureCount
        binCounts = bins.edges.map { $0.count + 1 }
        self.settings = settings
        self.loss = loss
        self.targets = targets
        self.weights = weights
        baseline = GradientBoosting.baseline(targets, weights, loss: loss)
        constantHessian = loss == .squaredError && weights == nil
        binned = .allocate(capacity: rows * featureCount)
        _ = binned.initialize(from: bins.binned(features, threads: settings.threads))
        gradients = .allocate(capacity: rows)
        hessians = .allocate(capacity: rows)
        orderedGradients = .allocate(capacity: rows)
        orderedHessians = .allocate(capacity: rows)
        indices = .allocate(capacity: rows)
        scratch = .allocate(capacity: rows)
        raw = .allocate(capacity: rows)
        raw.initialize(repeating: baseline)
        hessians.initialize(repeating: 1)
    }

    func deallocate() {
        binned.deallocate()
        gradients.deallocate()
        hessians.deallocate()
        orderedGradients.deallocate()
        orderedHessians.deallocate()
        indices.deallocate()
        scratch.deallocate()
        raw.deallocate()
        for h in pool { h.deallocate() }
    }

    /// Runs the boosting rounds; returns the trees (bins, no thresholds yet) and the validation
    /// losses per round when early stopping is on.
    func run(validation: ValidationSet?) -> ([GradientBoosting.Tree], [Double]?) {
        var trees = [GradientBoosting.Tree]()
        var validationRaw = [Double](repeating: baseline, count: validation?.rows ?? 0)
        var losses = [Double]()
        var best = (loss: Double.infinity, round: 0)
        for round in 0..<settings.iterations {
            computeGradients()
            let (tree, leaves) = grow()
            // Leaves hold disjoint rows: update them in parallel.
            let shared = UncheckedSendable(self)
            Parallel.forEach(leaves.count, threads: settings.threads) { l in
                let b = shared.value
                let v = tree.value[leaves[l].id]
                for k in leaves[l].start..<leaves[l].end { b.raw[Int(b.indices[k])] += v }
            }
            trees.append(tree)
            guard let validation, let stopping = settings.earlyStopping else { continue }
            Self.addTree(tree, binned: validation.binned, rows: validation.rows, to: &validationRaw)
            let current = validationRaw.withUnsafeBufferPointer {
                GradientBoosting.meanLoss($0, validation.targets, validation.weights, loss: loss)
            }
            losses.append(current)
            if current < best.loss - stopping.tolerance {
                best = (current, round + 1)
            } else if round + 1 - best.round >= stopping.patience {
                break
            }
        }
        if settings.earlyStopping != nil, validation != nil {
            trees.removeLast(trees.count - max(best.round, 1))
            return (trees, losses)
        }
        return (trees, nil)
    }

    /// Adds a tree's predictions on column-major binned rows.
    static func addTree(_ tree: GradientBoosting.Tree, binned: [UInt8], rows: Int, to raw: inout [Double]) {
        for i in 0..<rows {
            var node = 0
            while tree.left[node] >= 0 {
                node = Int(binned[tree.feature[node] * rows + i]) <= tree.bin[node] ? tree.left[node] : tree.left[node] + 1
            }
            raw[i] += tree.value[node]
        }
    }

    /// g and h of the loss at the current raw predictions, in parallel over row chunks.
    func computeGradients() {
        let shared = UncheckedSendable(self)
        Parallel.forChunks(rows, threads: settings.threads) { range in
            let b = shared.value
            let raw = b.raw
            let g = b.gradients
            let h = b.hessians
            let w = b.weights
            b.targets.withUnsafeBufferPointer { y in
                switch b.loss {
                case .logLoss:
                    for i in range {
                        let p = 1 / (1 + Double.exp(-raw[i]))
                        let wi = w?[i] ?? 1
                        g[i] = Float(wi * (p - y[i]))
                        h[i] = Float(wi * p * (1 - p))
                    }
                case .squaredError:
                    for i in range {
                        let wi = w?[i] ?? 1
                        g[i] = Float(wi * (raw[i] - y[i]))
                        if w != nil { h[i] = Float(wi) }
                    }
                }
            }
        }
    }

    // MARK: Growing one tree

    func takeSlot() -> Int {
        if let slot = freeSlots.popLast() { return slot }
        pool.append(.allocate(capacity: featureCount * Self.binsPerFeature))
        return pool.count - 1
    }

    /// Grows one tree best-first; returns it and its leaves (whose rows are in `indices`).
    func grow() -> (GradientBoosting.Tree, [GrowingNode]) {
        for i in 0..<rows { indices[i] = UInt32(truncatingIfNeeded: i) }
        var tree = GradientBoosting.Tree(feature: [-1], bin: [0], threshold: [], left: [-1], value: [0])
        var root = GrowingNode(start: 0, end: rows, depth: 0, gradient: 0, hessian: 0, count: Double(rows), histogram: takeSlot(), split: nil, id: 0)
        buildHistogram(root, isRoot: true)
        let h = pool[root.histogram]
        var sumG = 0.0
        var sumH = 0.0
        var count = 0.0
        for b in 0..<binCounts[0] {
            sumG += h[b].gradient
            sumH += h[b].hessian
            count += h[b].count
        }
        root.gradient = sumG
        root.hessian = sumH
        root.count = count
        var leaves = [GrowingNode]()
        var candidates = [GrowingNode]()
        consider(root, candidates: &candidates, leaves: &leaves)
        var leafCount = 1
        while !candidates.isEmpty {
            if let maxLeaves = settings.maxLeafNodes, leafCount >= maxLeaves { break }
            var pick = 0
            for k in candidates.indices.dropFirst() where candidates[k].split!.gain > candidates[pick].split!.gain {
                pick = k
            }
            let parent = candidates.remove(at: pick)
            let split = parent.split!
            let middle = partition(parent, split)
            let leftId = tree.feature.count
            tree.feature[parent.id] = split.feature
            tree.bin[parent.id] = split.bin
            tree.left[parent.id] = leftId
            tree.feature += [-1, -1]
            tree.bin += [0, 0]
            tree.left += [-1, -1]
            tree.value += [0, 0]
            leafCount += 1
            var left = GrowingNode(
                start: parent.start, end: middle, depth: parent.depth + 1, gradient: split.leftGradient, hessian: split.leftHessian,
                count: split.leftCount, histogram: -1, split: nil, id: leftId)
            var right = GrowingNode(
                start: middle, end: parent.end, depth: parent.depth + 1, gradient: parent.gradient - split.leftGradient,
                hessian: parent.hessian - split.leftHessian, count: parent.count - split.leftCount, histogram: -1, split: nil, id: leftId + 1)
            let depthAllows = settings.maxDepth.map { parent.depth + 1 < $0 } ?? true
            let minimum = 2 * settings.minSamplesLeaf
            let splitLeft = depthAllows && left.end - left.start >= minimum
            let splitRight = depthAllows && right.end - right.start >= minimum
            if splitLeft || splitRight {
                // Build the smaller child's histogram; the larger one's is the parent's minus it.
                let leftIsSmaller = left.end - left.start <= right.end - right.start
                let smallSlot = takeSlot()
                if leftIsSmaller {
                    left.histogram = smallSlot
                    right.histogram = parent.histogram
                } else {
                    right.histogram = smallSlot
                    left.histogram = parent.histogram
                }
                buildHistogram(leftIsSmaller ? left : right, isRoot: false)
                subtract(pool[smallSlot], from: pool[parent.histogram])
            } else {
                freeSlots.append(parent.histogram)
            }
            consider(left, candidates: &candidates, leaves: &leaves, allowed: splitLeft)
            consider(right, candidates: &candidates, leaves: &leaves, allowed: splitRight)
        }
        for node in candidates {
            freeSlots.append(node.histogram)
            leaves.append(node)
        }
        for leaf in leaves {
            tree.value[leaf.id] = -settings.learningRate * leaf.gradient / (leaf.hessian + settings.l2 + Double.ulpOfOne)
        }
        return (tree, leaves)
    }

    /// Makes `node` a split candidate when it has a split of positive gain, a leaf otherwise.
    func consider(_ node: GrowingNode, candidates: inout [GrowingNode], leaves: inout [GrowingNode], allowed: Bool = true) {
        var node = node
        if allowed, node.histogram >= 0, node.end - node.start >= 2 * settings.minSamplesLeaf {
            node.split = bestSplit(node)
        }
        if node.split != nil {
            candidates.append(node)
        } else {
            if node.histogram >= 0 { freeSlots.append(node.histogram) }
            node.histogram = -1
            leaves.append(node)
        }
    }

    /// Histograms of every feature for `node`'s rows, features in parallel.
    func buildHistogram(_ node: GrowingNode, isRoot: Bool) {
        let start = node.start
        let m = node.end - node.start
        let hist = pool[node.histogram]
        let shared = UncheckedSendable(self)
        if !isRoot {
            // Gather the node's gradients in row order once, so each feature's pass reads them sequentially.
            Parallel.forChunks(m, threads: settings.threads) { range in
                let b = shared.value
                for k in range {
                    let i = Int(b.indices[start + k])
                    b.orderedGradients[k] = b.gradients[i]
                    if !b.constantHessian { b.orderedHessians[k] = b.hessians[i] }
                }
            }
        }
        Parallel.forEach(featureCount, threads: settings.threads) { f in
            let b = shared.value
            let out = UnsafeMutablePointer(hist.baseAddress! + f * Booster.binsPerFeature)
            out.initialize(repeating: HistogramBin(gradient: 0, hessian: 0, count: 0), count: b.binCounts[f])
            let column = UnsafePointer(b.binned.baseAddress! + f * b.rows)
            let g = UnsafePointer(isRoot ? b.gradients.baseAddress! : b.orderedGradients.baseAddress!)
            let h = UnsafePointer(isRoot ? b.hessians.baseAddress! : b.orderedHessians.baseAddress!)
            let idx = UnsafePointer(b.indices.baseAddress! + start)
            if b.binCounts[f] <= Booster.fewBins {
                b.fewBinsHistogram(out, bins: b.binCounts[f], rows: m, isRoot: isRoot) { k in Int(column[isRoot ? k : Int(idx[k])]) }
                return
            }
            switch (isRoot, b.constantHessian) {
            case (true, true):
                for i in 0..<m {
                    let bin = Int(column[i])
                    out[bin].gradient += Double(g[i])
                    out[bin].count += 1
                }
            case (true, false):
                for i in 0..<m {
                    let bin = Int(column[i])
                    out[bin].gradient += Double(g[i])
                    out[bin].hessian += Double(h[i])
                    out[bin].count += 1
                }
            case (false, true):
                for k in 0..<m {
                    let bin = Int(column[Int(idx[k])])
                    out[bin].gradient += Double(g[k])
                    out[bin].count += 1
                }
            case (false, false):
                for k in 0..<m {
                    let bin = Int(column[Int(idx[k])])
                    out[bin].gradient += Double(g[k])
                    out[bin].hessian += Double(h[k])
                    out[bin].count += 1
                }
            }
            if b.constantHessian {
                for bin in 0..<b.binCounts[f] { out[bin].hessian = out[bin].count }
            }
        }
    }

    static let fewBins = 64
    static let ways = 4

    /// The histogram of a feature with few bins (a 0/1 treatment column, a small count): rows
    /// of such a feature mostly hit the same bins, so consecutive updates of one bin would wait
    /// on each other. Row k goes to partial histogram k mod 4 instead, and the partials are
    /// summed in a fixed order (the result does not depend on threads).
    @inline(__always)
    func fewBinsHistogram(_ out: UnsafeMutablePointer<HistogramBin>, bins: Int, rows m: Int, isRoot: Bool, bin: (Int) -> Int) {
        let g = UnsafePointer(isRoot ? gradients.baseAddress! : orderedGradients.baseAddress!)
        let h = UnsafePointer(isRoot ? hessians.baseAddress! : orderedHessians.baseAddress!)
        withUnsafeTemporaryAllocation(of: HistogramBin.self, capacity: Self.ways * Self.fewBins) { local in
            local.initialize(repeating: HistogramBin(gradient: 0, hessian: 0, count: 0))
            let local = local.baseAddress!
            for k in 0..<m {
                let slot = (k & (Self.ways - 1)) * Self.fewBins + bin(k)
                local[slot].gradient += Double(g[k])
                local[slot].hessian += constantHessian ? 1 : Double(h[k])
                local[slot].count += 1
            }
            for b in 0..<bins {
                var sum = local[b]
                for w in 1..<Self.ways {
                    sum.gradient += local[w * Self.fewBins + b].gradient
                    sum.hessian += local[w * Self.fewBins + b].hessian
                    sum.count += local[w * Self.fewBins + b].count
                }
                out[b] = sum
            }
        }
    }

    /// `large −= small`, bin by bin.
    func subtract(_ small: UnsafeMutableBufferPointer<HistogramBin>, from large: UnsafeMutableBufferPointer<HistogramBin>) {
        for f in 0..<featureCount {
            let base = f * Self.binsPerFeature
            for b in base..<(base + binCounts[f]) {
                large[b].gradient -= small[b].gradient
                large[b].hessian -= small[b].hessian
                large[b].count -= small[b].count
            }
        }
    }

    /// The split of largest positive gain over every feature and bin, or nil.
    func bestSplit(_ node: GrowingNode) -> Split? {
        let hist = pool[node.histogram]
        let l2 = settings.l2
        let minLeaf = Double(settings.minSamplesLeaf)
        let minHessian = settings.minHessianToSplit
        let parentTerm = node.gradient * node.gradient / (node.hessian + l2)
        var best: Split? = nil
        for f in 0..<featureCount where binCounts[f] > 1 {
            let base = f * Self.binsPerFeature
            var gl = 0.0
            var hl = 0.0
            var cl = 0.0
            for b in 0..<(binCounts[f] - 1) {
                gl += hist[base + b].gradient
                hl += hist[base + b].hessian
                cl += hist[base + b].count
                if cl < minLeaf { continue }
                if node.count - cl < minLeaf { break }
                let hr = node.hessian - hl
                if hl < minHessian { continue }
                if hr < minHessian { break }
                let gr = node.gradient - gl
                let gain = gl * gl / (hl + l2) + gr * gr / (hr + l2) - parentTerm
                if gain > 0, gain > (best?.gain ?? 0) {
                    best = Split(feature: f, bin: b, gain: gain, leftGradient: gl, leftHessian: hl, leftCount: cl)
                }
            }
        }
        return best
    }

    /// Stable partition of the node's rows: bin ≤ split bin first. Returns the boundary.
    ///
    /// In chunks of rows: each chunk writes its left rows forwards and its right rows backwards
    /// into its own range of `scratch` (one pass over the feature's bins), then each chunk
    /// copies its two runs back to `indices` at offsets given by the counts of the chunks before
    /// it, the right run reversed. The order is the rows' order for any thread count.
    func partition(_ node: GrowingNode, _ split: Split) -> Int {
        let m = node.end - node.start
        let chunkCount = m >= 65_536 ? 4 * settings.threads : 1
        let size = (m + chunkCount - 1) / chunkCount
        var leftCounts = [Int](repeating: 0, count: chunkCount)
        let shared = UncheckedSendable(self)
        let column = UncheckedSendable(UnsafePointer(binned.baseAddress! + split.feature * rows))
        let threshold = UInt8(split.bin)
        func bounds(_ c: Int) -> Range<Int> {
            let lower = node.start + min(m, c * size)
            return lower..<(node.start + min(m, (c + 1) * size))
        }
        leftCounts.withUnsafeMutableBufferPointer { counts in
            let counts = UncheckedSendable(counts)
            Parallel.forEach(chunkCount, threads: settings.threads) { c in
                let indices = shared.value.indices
                let scratch = shared.value.scratch
                let range = bounds(c)
                var l = range.lowerBound
                var r = range.upperBound - 1
                for k in range {
                    let i = indices[k]
                    let goesLeft = column.value[Int(i)] <= threshold
                    scratch[l] = i
                    scratch[max(r, l)] = i
                    l += goesLeft ? 1 : 0
                    r -= goesLeft ? 0 : 1
                }
                counts.value[c] = l - range.lowerBound
            }
        }
        var leftOffsets = [Int](repeating: 0, count: chunkCount)
        var rightOffsets = [Int](repeating: 0, count: chunkCount)
        for c in 1..<max(chunkCount, 1) {
            leftOffsets[c] = leftOffsets[c - 1] + leftCounts[c - 1]
            rightOffsets[c] = rightOffsets[c - 1] + bounds(c - 1).count - leftCounts[c - 1]
        }
        let totalLeft = leftCounts.reduce(0, +)
        let plan = UncheckedSendable((leftCounts, leftOffsets, rightOffsets))
        Parallel.forEach(chunkCount, threads: settings.threads) { c in
            let indices = shared.value.indices
            let scratch = shared.value.scratch
            let range = bounds(c)
            let (counts, leftOffsets, rightOffsets) = plan.value
            let left = node.start + leftOffsets[c]
            for k in 0..<counts[c] { indices[left + k] = scratch[range.lowerBound + k] }
            let right = node.start + totalLeft + rightOffsets[c]
            for k in 0..<(range.count - counts[c]) { indices[right + k] = scratch[range.upperBound - 1 - k] }
        }
        return node.start + totalLeft
    }
}
