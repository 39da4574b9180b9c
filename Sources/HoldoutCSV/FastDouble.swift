/// Parses a decimal number from ASCII bytes, correctly rounded.
///
/// The common case (≤ 19 significant digits, mantissa ≤ 2⁵³, decimal exponent within ±22) is
/// Clinger's fast path: one exact conversion and one correctly rounded multiply or divide by an
/// exact power of ten. Everything else falls back to the standard library's parser, so the result
/// always equals `Double(String)`. Only plain decimals are numbers: an optional sign, digits with
/// an optional `.`, an optional exponent (`1.5e-3`), surrounding spaces and tabs ignored. Hex
/// (`0x10`), `inf`, `nan`, and results beyond `Double`'s range (1e400) are rejected —
/// `Double(String)` itself takes all of these.
///
/// Reference: W. D. Clinger, *How to Read Floating Point Numbers Accurately* (PLDI 1990).
package enum FastDouble {
    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The value of a text, or `nil` when it is not a finite plain decimal.
    package static func parse(_ text: String) -> Double? {
        var text = text
        return text.withUTF8 { bytes in bytes.baseAddress.flatMap { parse($0, 0, bytes.count) } }
    }

    /// The value of the bytes `[start, end)`, or `nil` when they are not a finite number.
    @inline(__always)
    package static func parse(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Double? {
        var i = start
        var e = end
        while i < e && (base[i] == 0x20 || base[i] == 0x09) { i += 1 }
        while e > i && (base[e - 1] == 0x20 || base[e - 1] == 0x09) { e -= 1 }
        if i == e { return nil }
        let first = i
        var negative = false
        if base[i] == 0x2D {
            negative = true
            i += 1
        } else if base[i] == 0x2B {
            i += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var sawDigit = false
        var truncated = false
        while i < e {
            let d = base[i] &- 0x30
            if d >= 10 { break }
            sawDigit = true
            if significant < 19 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { significant += 1 }
            } else {
                exponent += 1
                truncated = truncated || d != 0
            }
            i += 1
        }
        if i < e && base[i] == 0x2E {
            i += 1
            while i < e {
                let d = base[i] &- 0x30
                if d >= 10 { break }
                sawDigit = true
                if significant < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    if mantissa != 0 { significant += 1 }
                    exponent -= 1
                } else {
                    truncated = truncated || d != 0
                }
                i += 1
            }
        }
        if !sawDigit { return nil }
        if i < e && (base[i] == 0x65 || base[i] == 0x45) {
            i += 1
            var exponentNegative = false
            if i < e && (base[i] == 0x2D || base[i] == 0x2B) {
                exponentNegative = base[i] == 0x2D
                i += 1
            }
            var explicit = 0
            var sawExponentDigit = false
            while i < e {
                let d = base[i] &- 0x30
                if d >= 10 { break }
                sawExponentDigit = true
                if explicit < 100_000 { explicit = explicit * 10 + Int(d) }
                i += 1
            }
            if !sawExponentDigit { return nil }
            exponent += exponentNegative ? -explicit : explicit
        }
        if i != e { return nil }
        if !truncated && mantissa <= (1 << 53) && exponent >= -22 && exponent <= 22 {
            var value = Double(mantissa)
            if exponent < 0 { value /= powersOfTen[-exponent] } else { value *= powersOfTen[exponent] }
            return negative ? -value : value
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + first, count: e - first), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }
}
