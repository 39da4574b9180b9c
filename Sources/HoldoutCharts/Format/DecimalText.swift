/// Deterministic decimal text for `Double`s without Foundation.
///
/// Hand-written because the stdlib has no fixed-digit formatting and Foundation's
/// `String(format:)` and `NumberFormatter` depend on the C library and the locale; chart output
/// must be byte-for-byte the same everywhere. Values are rounded half away from zero at the
/// requested digit through an `Int64`, so magnitudes up to about 9·10^15 after scaling are exact;
/// larger ones fall back to Swift's shortest round-trip text (`1e+20`).
enum DecimalText {
    /// 10^exponent; exact for |exponent| ≤ 22, and the same rounding everywhere beyond.
    static func powerOfTen(_ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<min(abs(exponent), 400) { result *= 10 }
        return exponent >= 0 ? result : 1 / result
    }

    /// `value` with exactly `digits` decimals (0…12), thousands grouped with "," when `grouping`.
    /// Non-finite input gives an empty string: callers skip such values before they get here.
    static func fixed(_ value: Double, digits: Int, grouping: Bool = false) -> String {
        guard value.isFinite else { return "" }
        let digits = max(0, min(digits, 12))
        let scaled = (value * powerOfTen(digits)).rounded(.toNearestOrAwayFromZero)
        guard abs(scaled) < 9e15 else { return value.description }
        let integer = Int64(scaled)
        let negative = integer < 0
        let magnitude = integer.magnitude
        let unit = UInt64(powerOfTen(digits))
        var whole = String(magnitude / unit)
        if grouping && whole.count > 3 {
            var grouped = ""
            for (index, character) in whole.enumerated() {
                if index > 0 && (whole.count - index) % 3 == 0 { grouped.append(",") }
                grouped.append(character)
            }
            whole = grouped
        }
        var text = (negative ? "-" : "") + whole
        if digits > 0 {
            let fraction = String(magnitude % unit)
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }

    /// An SVG coordinate: two decimals, trailing zeros removed, never "-0" (0.01 px is far below
    /// what a screen shows, and it keeps 1M-point paths short).
    static func coordinate(_ value: Double) -> String {
        var text = fixed(value, digits: 2)
        if text.isEmpty { return "0" }
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
