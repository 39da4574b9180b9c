import Foundation
import HoldoutGeo
import Testing

/// Loads the fixtures that `Scripts/reference/geo_reference.py` writes (matched_markets, scipy),
/// so the tests need no Python.
enum Fixture {
    static func url(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
    }

    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name, "json")))
    }

    /// A panel CSV with header `date,geo,response,cost`.
    static func panel(_ name: String) throws -> GeoPanel {
        let text = try String(contentsOf: url(name, "csv"), encoding: .utf8)
        var rows: [GeoPanel.Row] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            try #require(fields.count == 4, "bad line \(line)")
            let response: Double = try #require(Double(fields[2]))
            let cost: Double = try #require(Double(fields[3]))
            rows.append(GeoPanel.Row(date: try GeoDay(String(fields[0])), geo: String(fields[1]), response: response, cost: cost))
        }
        return try GeoPanel(rows: rows)
    }
}

/// Tolerance checks that report the values when they fail.
enum Tolerance {
    /// |actual − expected| ≤ rel·max(|expected|, floor).
    static func isClose(_ actual: Double?, _ expected: Double?, rel: Double, floor: Double = 0) -> Bool {
        switch (actual, expected) {
        case (nil, nil): return true
        case (let a?, let e?):
            if a == e { return true }
            return abs(a - e) <= rel * max(abs(e), floor)
        default: return false
        }
    }
}

/// A small synthetic panel: `geos` geos, `days` days from 2026-01-01, response = size·(1 + pattern).
enum SyntheticPanel {
    static func make(geos: Int, days: Int, seed: UInt64 = 1, cost: Bool = false, effect: (_ geo: Int, _ day: Int) -> Double = { _, _ in 0 }) throws -> GeoPanel
    {
        var rng = SplitMix(seed)
        let start = try GeoDay("2026-01-01")
        var rows: [GeoPanel.Row] = []
        rows.reserveCapacity(geos * days)
        for g in 0..<geos {
            let size = 100 + 900 * rng.uniform()
            for d in 0..<days {
                let weekly = 1 + 0.15 * sin(2 * Double.pi * Double(d) / 7)
                let value = size * weekly * (1 + 0.1 * (rng.uniform() - 0.5)) + effect(g, d)
                rows.append(GeoPanel.Row(date: start.advanced(by: d), geo: name(g), response: value, cost: cost ? 0 : nil))
            }
        }
        return try GeoPanel(rows: rows)
    }

    static func name(_ g: Int) -> String {
        let text = String(g)
        return "geo" + String(repeating: "0", count: max(0, 4 - text.count)) + text
    }

    struct SplitMix {
        var state: UInt64
        init(_ seed: UInt64) { state = seed }
        mutating func uniform() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) * 0x1p-53
        }
    }
}
