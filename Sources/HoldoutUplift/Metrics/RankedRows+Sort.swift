// Hand-written: there is no Swift uplift-metrics library to build on, so the ranking, the curves
// and the scores in this folder are our own code, checked against scikit-uplift 0.5.1 and
// causalml 0.18 by Tests/HoldoutUpliftTests (fixtures from Scripts/reference/uplift_metrics_reference.py).

extension RankedRows {
    /// Row indices in scikit-uplift's ranking order: scores descending, and tied rows in
    /// decreasing row order — exactly `np.argsort(score, kind="mergesort")[::-1]`.
    ///
    /// A stable least-significant-digit radix sort (six passes of 11 bits, skipping passes in
    /// which every key has the same digit) over an order-preserving 64-bit image of each score.
    /// The rows enter in reverse order, so stability leaves tied rows in decreasing row order.
    /// −0.0 sorts as +0.0 (NumPy treats them as equal). O(n) time, O(n) extra space; on 1M
    /// rows it is several times faster than a comparison sort.
    ///
    /// - Precondition: every score is finite (checked by ``UpliftSample``) and
    ///   `scores.count` ≤ `UInt32.max`.
    static func rankingOrder(_ scores: [Double]) -> [UInt32] {
        let n = scores.count
        if n == 0 { return [] }
        let digitBits = 11
        let radix = 1 << digitBits
        let passes = (64 + digitBits - 1) / digitBits
        var keys = [UInt64](repeating: 0, count: n)
        var rows = [UInt32](repeating: 0, count: n)
        var counts = [Int](repeating: 0, count: radix * passes)
        keys.withUnsafeMutableBufferPointer { keys in
            rows.withUnsafeMutableBufferPointer { rows in
                counts.withUnsafeMutableBufferPointer { counts in
                    scores.withUnsafeBufferPointer { scores in
                        for i in 0..<n {
                            let row = n - 1 - i
                            let key = descendingKey(scores[row])
                            keys[i] = key
                            rows[i] = UInt32(truncatingIfNeeded: row)
                            for pass in 0..<passes {
                                counts[pass * radix + Int(truncatingIfNeeded: (key >> UInt64(pass * digitBits)) & UInt64(radix - 1))] += 1
                            }
                        }
                    }
                }
            }
        }
        var keysOut = [UInt64](repeating: 0, count: n)
        var rowsOut = [UInt32](repeating: 0, count: n)
        for pass in 0..<passes {
            let base = pass * radix
            // A digit shared by every key leaves the order unchanged.
            if counts[base..<(base + radix)].contains(n) { continue }
            var offset = 0
            for digit in 0..<radix {
                let count = counts[base + digit]
                counts[base + digit] = offset
                offset += count
            }
            let shift = UInt64(pass * digitBits)
            keys.withUnsafeBufferPointer { keysIn in
                rows.withUnsafeBufferPointer { rowsIn in
                    keysOut.withUnsafeMutableBufferPointer { keysOut in
                        rowsOut.withUnsafeMutableBufferPointer { rowsOut in
                            counts.withUnsafeMutableBufferPointer { counts in
                                for i in 0..<n {
                                    let key = keysIn[i]
                                    let slot = base + Int(truncatingIfNeeded: (key >> shift) & UInt64(radix - 1))
                                    let position = counts[slot]
                                    counts[slot] = position + 1
                                    keysOut[position] = key
                                    rowsOut[position] = rowsIn[i]
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &keysOut)
            swap(&rows, &rowsOut)
        }
        return rows
    }

    /// A 64-bit key whose unsigned ascending order is the score's descending order.
    @inline(__always)
    static func descendingKey(_ score: Double) -> UInt64 {
        let bits = (score == 0 ? 0.0 : score).bitPattern
        let ascending = bits >> 63 == 1 ? ~bits : bits | (1 << 63)
        return ~ascending
    }
}
