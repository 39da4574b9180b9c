/// Rows in ranking order with the cumulative sums every metric reads.
///
/// Built once per sample (one sort) and shared by the curves, the area scores, uplift@k,
/// weighted average uplift and causalml's scores, so that computing all of them costs one sort
/// and a few linear passes. A bootstrap replicate is the same structure with a multiplicity per
/// row (`weight`): a row drawn twice counts as two adjacent identical rows, which keeps the
/// original ranking without sorting again.
struct RankedRows: Sendable {
    /// Scores, descending (tied rows in scikit-uplift's order).
    let score: [Double]
    let treated: [Bool]
    let outcome: [Double]
    /// Multiplicity of each row (≥ 1); `nil` when every row counts once.
    let weight: [Double]?
    /// Prefix sums over the first i rows, i = 0…rows: units (only when weighted), treated units,
    /// treated outcomes and control outcomes.
    let cumulativeUnits: [Double]?
    let cumulativeTreated: [Double]
    let cumulativeTreatedOutcome: [Double]
    let cumulativeControlOutcome: [Double]
    /// Exclusive end (a row count) of each group of tied scores, in ranking order.
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
    init(score: [Double], treated: [Bool], outcome: [Double], weight: [Double]?) {
        let rows = score.count
        self.score = score
        self.treated = treated
        self.outcome = outcome
        self.weight = weight
        var cumulativeTreated = [Double](repeating: 0, count: rows + 1)
        var cumulativeTreatedOutcome = [Double](repeating: 0, count: rows + 1)
        var cumulativeControlOutcome = [Double](repeating: 0, count: rows + 1)
        var cumulativeUnits: [Double]? = weight == nil ? nil : [Double](repeating: 0, count: rows + 1)
        var groupEnds: [Int] = []
        var cells = Cells()
        var isBinary = true
        var units = 0.0
        var t = 0.0
        var yT = 0.0
        var yC = 0.0
        for i in 0..<rows {
            let w = weight?[i] ?? 1
            let y = outcome[i]
            units += w
            if treated[i] {
                t += w
                yT += w * y
            } else {
                yC += w * y
            }
            cumulativeTreated[i + 1] = t
            cumulativeTreatedOutcome[i + 1] = yT
            cumulativeControlOutcome[i + 1] = yC
            cumulativeUnits?[i + 1] = units
            if y == 1 {
                if treated[i] { cells.treatedResponders += w } else { cells.controlResponders += w }
            } else if y == 0 {
                if treated[i] { cells.treatedNonResponders += w } else { cells.controlNonResponders += w }
            } else {
                isBinary = false
            }
            if i == rows - 1 || score[i] != score[i + 1] { groupEnds.append(i + 1) }
        }
        self.cumulativeTreated = cumulativeTreated
        self.cumulativeTreatedOutcome = cumulativeTreatedOutcome
        self.cumulativeControlOutcome = cumulativeControlOutcome
        self.cumulativeUnits = cumulativeUnits
        self.groupEnds = groupEnds
        self.cells = cells
        self.isBinaryOutcome = isBinary
        self.units = Int(units)
    }

    var rows: Int { score.count }

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
