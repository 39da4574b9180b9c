// Hand-written: the simulator writes ~20M visitors/s of fixed-point CSV; String formatting
// (String(format:), description) measured 10–20× slower (BENCHMARKS.md, simulate). Inlinable so
// the writer stays as fast across modules as it was inside HoldoutSimulation.

/// Writes bytes into memory the caller sized (each field's bound is known: at most 40 bytes
/// per number).
public struct ByteWriter {
    @usableFromInline let base: UnsafeMutablePointer<UInt8>
    /// "00"…"99", read once per writer.
    @usableFromInline let pairs: UnsafePointer<UInt8>
    public var count = 0

    @inlinable
    public init(base: UnsafeMutablePointer<UInt8>) {
        self.base = base
        pairs = ByteWriter.pairTable
    }

    /// Two ASCII digits per value 0…99 (allocated once, never freed).
    /// nonisolated(unsafe): written once during lazy initialization, read-only afterwards.
    @usableFromInline nonisolated(unsafe) static let pairTable: UnsafePointer<UInt8> = {
        let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 200)
        for value in 0..<100 {
            table[2 * value] = UInt8(48 + value / 10)
            table[2 * value + 1] = UInt8(48 + value % 10)
        }
        return UnsafePointer(table)
    }()

    @inlinable @inline(__always)
    public mutating func put(_ source: UnsafePointer<UInt8>, count length: Int) {
        (base + count).update(from: source, count: length)
        count += length
    }

    @inlinable @inline(__always)
    public mutating func put(_ byte: UInt8) {
        base[count] = byte
        count += 1
    }

    @inlinable @inline(__always)
    public mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        (base + count).update(from: source, count: bytes.count)
        count += bytes.count
    }

    @inlinable @inline(__always)
    public mutating func putUnsigned(_ value: UInt64) {
        var v = value
        var digits = 1
        var probe = v
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        var position = count + digits - 1
        repeat {
            base[position] = UInt8(truncatingIfNeeded: v % 10) &+ 48
            v /= 10
            position -= 1
        } while v > 0
        count += digits
    }

    /// `x` with exactly `decimals` (6 or 12) places, like printf's `%.6f` (no negative zero);
    /// the shortest round-trip form when |x|·10^decimals ≥ 9·10¹⁸ or x is not finite.
    @inlinable @inline(__always)
    public mutating func putFixed(_ x: Double, decimals: Int) {
        let twelve = decimals == 12
        let scale = twelve ? 1e12 : 1e6
        let magnitude = Swift.abs(x)
        guard x.isFinite, magnitude * scale < 9.0e18 else {
            for byte in "\(x)".utf8 { put(byte) }
            return
        }
        let scaled = UInt64(magnitude * scale + 0.5)  // round half up (≥ 0)
        if x < 0 && scaled != 0 { put(UInt8(ascii: "-")) }
        let integer: UInt64
        var fraction: UInt64
        if twelve {
            integer = scaled / 1_000_000_000_000
            fraction = scaled % 1_000_000_000_000
        } else {
            integer = scaled / 1_000_000
            fraction = scaled % 1_000_000
        }
        if integer < 10 {
            put(UInt8(truncatingIfNeeded: integer) &+ 48)
        } else {
            putUnsigned(integer)
        }
        put(UInt8(ascii: "."))
        // The fraction's digits, two at a time from the right.
        let width = twelve ? 12 : 6
        var position = count + width - 2
        for _ in 0..<(width / 2) {
            let pair = Int(truncatingIfNeeded: fraction % 100) &* 2
            fraction /= 100
            base[position] = pairs[pair]
            base[position + 1] = pairs[pair + 1]
            position -= 2
        }
        count += width
    }
}
