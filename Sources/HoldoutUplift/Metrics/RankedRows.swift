/// Rows in ranking order with the cumulative sums every metric reads.
///
/// Built once per sample (one sort) and shared by the curves, the area scores, uplift@k,
/// weighted average uplift and causalml's scores, so that computing all of them costs one sort
/// and a few linear passes. A bootstrap replicate is the same structure with a multiplicity per
/// row (`weight`): a row drawn twice counts as two adjacent identical rows, which keeps the
/// original ranking without sorting again.
struct RankedRows: Sendable {
    /// Arm of each row, in ranking order.
    let treated: [Bool]
    /// Outcome of each row, in ranking order.
    let outcome: [Double]
    /// Multiplicity of each row (≥ 1); `nil` when every row counts once.
    let weight: [Double]?
    /// Prefix sums over the first i rows, i = 0…rows: units (only when weighted), treated units,
    /// treated outcomes and control outcomes.
    let cumulativeUnits: [Double]?
    let cumulativeTreated: [Double]
    let cumulativeTreatedOutcome: [Double]
    let cumulativeControlOutcome: [Double]
    /// Exclusive end (a row count) of each group of tied scores, in ranking order. The scores
    /// themselves are not kept: no metric reads them beyond their order and ties.
    let groupEnds: [Int]
    /// Units: the number of rows counted with their multiplicity.
    let units: Int
    /// Weighted units per (outcome, arm) cell; meaningful when `isBinaryOutcome`.
    let cells: Cells
    /// Every outcome is 0 or 1.
    let isBinaryOutcome: Bool

    /// Units by binary outcome and arm.
    struct Cells: Sendable, Hashable {
        var treatedResponders = 0.0
        var treatedNonResponders = 0.0
        var controlResponders = 0.0
        var controlNonResponders = 0.0
    }

    /// Sums over a prefix of the ranking.
    struct Prefix: Sendable, Hashable {
        var units: Double
        var treated: Double
        var treatedOutcome: Double
        var controlOutcome: Double
        var control: Double { units - treated }
    }

    /// Builds the cumulative sums for rows already in ranking order.
    ///
    /// - Parameters:
    ///   - groupEnds: exclusive end of each group of tied scores, increasing, the last = rows.
    ///   - weight: multiplicity of each row, or `nil` for one each.
    init(treated: [Bool], outcome: [Double], groupEnds: [Int], weight: [Double]?) {
        let rows = treated.count
        self.treated = treated
        self.outcome = outcome
        self.weight = weight
        self.groupEnds = groupEnds
        var cumulativeTreated = [Double](repeating: 0, count: rows + 1)
        var cumulativeTreatedOutcome = [Double](repeating: 0, count: rows + 1)
        var cumulativeControlOutcome = [Double](repeating: 0, count: rows + 1)
        var cells = Cells()
        var isBinary = true
        var units = 0.0
        cumulativeTreated.withUnsafeMutableBufferPointer { cumulativeTreated in
            cumulativeTreatedOutcome.withUnsafeMutableBufferPointer { cumulativeTreatedOutcome in
                cumulativeControlOutcome.withUnsafeMutableBufferPointer { cumulativeControlOutcome in
                    treated.withUnsafeBufferPointer { treated in
                        outcome.withUnsafeBufferPointer { outcome in
                            if let weight {
                                (units, cells, isBinary) = Self.accumulate(
                                    treated: treated, outcome: outcome, weight: { weight[$0] }, cumulativeTreated: cumulativeTreated,
                                    cumulativeTreatedOutcome: cumulativeTreatedOutcome, cumulativeControlOutcome: cumulativeControlOutcome)
                            } else {
                                (units, cells, isBinary) = Self.accumulate(
                                    treated: treated, outcome: outcome, weight: { _ in 1 }, cumulativeTreated: cumulativeTreated,
                                    cumulativeTreatedOutcome: cumulativeTreatedOutcome, cumulativeControlOutcome: cumulativeControlOutcome)
                            }
                        }
                    }
                }
            }
        }
        if let weight {
            var cumulative = [Double](repeating: 0, count: rows + 1)
            for i in 0..<rows { cumulative[i + 1] = cumulative[i] + weight[i] }
            self.cumulativeUnits = cumulative
        } else {
            self.cumulativeUnits = nil
        }
        self.cumulativeTreated = cumulativeTreated
        self.cumulativeTreatedOutcome = cumulativeTreatedOutcome
        self.cumulativeControlOutcome = cumulativeControlOutcome
        self.cells = cells
        self.isBinaryOutcome = isBinary
        self.units = Int(units)
    }

    /// The one pass behind ``init(treated:outcome:groupEnds:weight:)``, on buffers and locals
    /// only (inlined twice, so the unweighted pass reads no weight).
    @inline(__always)
    private static func accumulate(
        treated: UnsafeBufferPointer<Bool>, outcome: UnsafeBufferPointer<Double>, weight: (Int) -> Double,
        cumulativeTreated: UnsafeMutableBufferPointer<Double>, cumulativeTreatedOutcome: UnsafeMutableBufferPointer<Double>,
        cumulativeControlOutcome: UnsafeMutableBufferPointer<Double>
    ) -> (units: Double, cells: Cells, isBinary: Bool) {
        var units = 0.0
        var t = 0.0
        var yT = 0.0
        var yC = 0.0
        var treatedResponders = 0.0
        var controlResponders = 0.0
        var treatedNonResponders = 0.0
        var controlNonResponders = 0.0
        var nonBinary = 0
        // Branch-free (arms and outcomes are random along the ranking, so branches mispredict):
        // adding w·y·0 = 0 leaves a sum exactly as skipping it would.
        for i in 0..<treated.count {
            let w = weight(i)
            let y = outcome[i]
            let isTreated: Double = treated[i] ? 1 : 0
            let wT = w * isTreated
            let wC = w - wT
            units += w
            t += wT
            yT += wT * y
            yC += wC * y
            let one: Double = y == 1 ? 1 : 0
            let zero: Double = y == 0 ? 1 : 0
            treatedResponders += wT * one
            treatedNonResponders += wT * zero
            controlResponders += wC * one
            controlNonResponders += wC * zero
            nonBinary &+= one + zero == 0 ? 1 : 0
            cumulativeTreated[i + 1] = t
            cumulativeTreatedOutcome[i + 1] = yT
            cumulativeControlOutcome[i + 1] = yC
        }
        let cells = Cells(
            treatedResponders: treatedResponders, treatedNonResponders: treatedNonResponders, controlResponders: controlResponders,
            controlNonResponders: controlNonResponders)
        return (units, cells, nonBinary == 0)
    }

    var rows: Int { treated.count }

    /// Units in the first `row` rows.
    @inline(__always)
    func unitsBefore(row: Int) -> Double { cumulativeUnits?[row] ?? Double(row) }

    /// Sums over the first `row` rows.
    @inline(__always)
    func prefix(rows row: Int) -> Prefix {
        Prefix(
            units: unitsBefore(row: row), treated: cumulativeTreated[row], treatedOutcome: cumulativeTreatedOutcome[row],
            controlOutcome: cumulativeControlOutcome[row])
    }

    /// Sums over the first `position` units of the ranking (a row with multiplicity w is w
    /// adjacent units, so a position can fall inside a row).
    func prefix(units position: Int) -> Prefix {
        guard cumulativeUnits != nil, let weight else { return prefix(rows: position) }
        // The last row whose preceding units are ≤ position.
        let p = Double(position)
        var low = 0
        var high = rows
        while low < high {
            let mid = (low + high + 1) / 2
            if unitsBefore(row: mid) <= p { low = mid } else { high = mid - 1 }
        }
        var result = prefix(rows: low)
        let partial = p - result.units
        if partial > 0, low < rows {
            let take = min(partial, weight[low])
            result.units += take
            if treated[low] { result.treated += take; result.treatedOutcome += take * outcome[low] } else { result.controlOutcome += take * outcome[low] }
        }
        return result
    }

    /// Units in one arm.
    func armUnits(treated arm: Bool) -> Double {
        arm ? cumulativeTreated[rows] : unitsBefore(row: rows) - cumulativeTreated[rows]
    }

    /// The sum of the outcomes of the first `count` units of one arm, in ranking order.
    ///
    /// - Precondition: 0 ≤ count ≤ ``armUnits(treated:)``.
    func armOutcomeSum(treated arm: Bool, firstUnits count: Int) -> Double {
        if count == 0 { return 0 }
        let target = Double(count)
        func armCount(_ row: Int) -> Double {
            arm ? cumulativeTreated[row] : unitsBefore(row: row) - cumulativeTreated[row]
        }
        // The first row count whose arm units reach the target.
        var low = 1
        var high = rows
        while low < high {
            let mid = (low + high) / 2
            if armCount(mid) >= target { high = mid } else { low = mid + 1 }
        }
        let last = low - 1  // the row holding the target's last unit (it is in the arm)
        let before = arm ? cumulativeTreatedOutcome[last] : cumulativeControlOutcome[last]
        return before + (target - armCount(last)) * outcome[last]
    }
}
