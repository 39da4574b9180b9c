import Foundation

/// CSV fields, written one way everywhere (the simulator's files, the importer's rejects file,
/// `uplift score` and the CLI's CSV outputs).
public enum CSVField {
    /// The field as RFC 4180 writes it: quoted (with doubled quotes) when it holds a comma, a
    /// quote or a line break; as is otherwise.
    public static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Appends `x` with exactly `decimals` (6 or 12) places, as printf's `%.6f` / `%.12f` (no
    /// negative zero); the shortest round-trip form when it does not fit or is not finite.
    public static func appendFixed(_ x: Double, decimals: Int, to out: inout [UInt8]) {
        out += [UInt8](unsafeUninitializedCapacity: 40) { buffer, initialized in
            var w = ByteWriter(base: buffer.baseAddress!)
            w.putFixed(x, decimals: decimals)
            initialized = w.count
        }
    }
}
