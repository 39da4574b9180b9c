// Hand-written: there is no Swift uplift-metrics library to build on, so the ranking, the curves
// and the scores in this folder are our own code, checked against scikit-uplift 0.5.1 and
// causalml 0.18 by Tests/HoldoutUpliftTests (fixtures from Scripts/reference/uplift_metrics_reference.py).

extension RankedRows {
    /// A row in the radix sort: its key, and its row index with the treatment flag in the top bit.
    struct SortEntry {
        var key: UInt64
        var payload: UInt64
    }

    /// Ranks rows and returns their arms and outcomes in ranking order, with the ends of the
    /// groups of tied scores: scores descending, tied rows in decreasing row order — exactly
    /// scikit-uplift's `np.argsort(uplift, kind="mergesort")[::-1]`.
    ///
    /// Ties are read from the sorted keys and arms from the payload; only the outcomes are
    /// gathered by row.
    static func ranked(scores: [Double], treated: [Bool], outcomes: [Double]) -> (treated: [Bool], outcome: [Double], groupEnds: [Int]) {
        let entries = sortedEntries(scores, treated: treated)
        let n = entries.count
        var arm = [Bool](repeating: false, count: n)
        var outcome = [Double](repeating: 0, count: n)
        var groupEnds: [Int] = []
        groupEnds.reserveCapacity(n)
        arm.withUnsafeMutableBufferPointer { arm in
            outcome.withUnsafeMutableBufferPointer { outcome in
                entries.withUnsafeBufferPointer { entries in
                    outcomes.withUnsafeBufferPointer { outcomes in
                        for i in 0..<n {
                            let e = entries[i]
                            arm[i] = e.payload >> 63 == 1
                            outcome[i] = outcomes[Int(truncatingIfNeeded: e.payload & 0xFFFF_FFFF)]
                            if i == n - 1 || entries[i + 1].key != e.key { groupEnds.append(i + 1) }
                        }
                    }
                }
            }
        }
        return (arm, outcome, groupEnds)
    }

    /// Row indices in ranking order (see ``ranked(scores:treated:outcomes:)``).
    static func rankingOrder(_ scores: [Double]) -> [UInt32] {
        sortedEntries(scores, treated: nil).map { UInt32(truncatingIfNeeded: $0.payload & 0xFFFF_FFFF) }
    }

    /// A stable radix sort over an order-preserving 64-bit image of each score: one
    /// most-significant-digit pass on the top 16 bits (sign, exponent and 4 bits of mantissa)
    /// into buckets, then each bucket sorted on the remaining 48 bits while it is in cache — by
    /// insertion for small buckets, otherwise least-significant-digit passes of 8 bits that skip
    /// digits every key in the bucket shares. The rows enter in reverse order and every step is
    /// stable, so tied rows stay in decreasing row order.
    ///
    /// O(n) time, O(n) extra space. On 1M model scores it is several times faster than a
    /// comparison sort and about twice as fast as six 11-bit LSD passes over the whole array.
    ///
    /// - Precondition: every score is finite (checked by ``UpliftSample``) and
    ///   `scores.count` ≤ `UInt32.max`.
    static func sortedEntries(_ scores: [Double], treated: [Bool]?) -> [SortEntry] {
        let n = scores.count
        if n == 0 { return [] }
        let topBits = 16
        let topShift = UInt64(64 - topBits)
        var entries = [SortEntry](repeating: SortEntry(key: 0, payload: 0), count: n)
        var starts = [Int](repeating: 0, count: (1 << topBits) + 1)
        entries.withUnsafeMutableBufferPointer { entries in
            starts.withUnsafeMutableBufferPointer { starts in
                scores.withUnsafeBufferPointer { scores in
                    for i in 0..<n {
                        let row = n - 1 - i
                        let key = descendingKey(scores[row])
                        let flag: UInt64 = treated?[row] == true ? 1 << 63 : 0
                        entries[i] = SortEntry(key: key, payload: UInt64(row) | flag)
                        starts[Int(truncatingIfNeeded: key >> topShift) + 1] += 1
                    }
                }
            }
        }
        for b in 0..<(1 << topBits) { starts[b + 1] += starts[b] }
        var sorted = [SortEntry](repeating: SortEntry(key: 0, payload: 0), count: n)
        entries.withUnsafeMutableBufferPointer { scratch in
            sorted.withUnsafeMutableBufferPointer { sorted in
                var next = starts
                next.withUnsafeMutableBufferPointer { next in
                    for i in 0..<n {
                        let entry = scratch[i]
                        let bucket = Int(truncatingIfNeeded: entry.key >> topShift)
                        sorted[next[bucket]] = entry
                        next[bucket] += 1
                    }
                }
                for b in 0..<(1 << topBits) {
                    let range = starts[b]..<starts[b + 1]
                    if range.count > 1 { sortBucket(sorted, scratch, range, bits: Int(topShift)) }
                }
            }
        }
        return sorted
    }

    /// Stable sort of `entries[range]` on the low `bits` bits of the key, using
    /// `scratch[range]` as the second buffer.
    private static func sortBucket(
        _ entries: UnsafeMutableBufferPointer<SortEntry>, _ scratch: UnsafeMutableBufferPointer<SortEntry>, _ range: Range<Int>, bits: Int
    ) {
        if range.count <= 48 {
            for i in (range.lowerBound + 1)..<range.upperBound {
                let entry = entries[i]
                var j = i
                while j > range.lowerBound, entries[j - 1].key > entry.key {
                    entries[j] = entries[j - 1]
                    j -= 1
                }
                entries[j] = entry
            }
            return
        }
        let passes = bits / 8
        var counts = [Int](repeating: 0, count: 256 * passes)
        counts.withUnsafeMutableBufferPointer { counts in
            for i in range {
                let key = entries[i].key
                for pass in 0..<passes { counts[pass * 256 + Int(truncatingIfNeeded: (key >> UInt64(pass * 8)) & 0xFF)] += 1 }
            }
            var source = entries
            var target = scratch
            for pass in 0..<passes {
                let base = pass * 256
                if (0..<256).contains(where: { counts[base + $0] == range.count }) { continue }
                var offset = range.lowerBound
                for digit in 0..<256 {
                    let count = counts[base + digit]
                    counts[base + digit] = offset
                    offset += count
                }
                let shift = UInt64(pass * 8)
                for i in range {
                    let entry = source[i]
                    let slot = base + Int(truncatingIfNeeded: (entry.key >> shift) & 0xFF)
                    target[counts[slot]] = entry
                    counts[slot] += 1
                }
                swap(&source, &target)
            }
            if source.baseAddress != entries.baseAddress {
                for i in range { entries[i] = source[i] }
            }
        }
    }

    /// A 64-bit key whose unsigned ascending order is the score's descending order (−0.0 maps
    /// to +0.0's key: NumPy treats them as equal).
    @inline(__always)
    static func descendingKey(_ score: Double) -> UInt64 {
        let bits = (score == 0 ? 0.0 : score).bitPattern
        let ascending = bits >> 63 == 1 ? ~bits : bits | (1 << 63)
        return ~ascending
    }
}
