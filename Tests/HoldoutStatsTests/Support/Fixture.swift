import Foundation
import Testing

/// Loads the reference fixtures that `Scripts/reference/generate.py` writes (scipy, statsmodels,
/// gbstats), so the tests need no Python.
enum Fixture {
    static func load<T: Decodable>(_ name: String, as type: T.Type = T.self) throws -> T {
        let url = try #require(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    static func url(_ name: String, _ ext: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Fixtures"))
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

    /// A probability: 1e-12 absolute in the body, 1e-9 relative in the tails (below 1e-3).
    static func isCloseProbability(_ actual: Double, _ expected: Double) -> Bool {
        if expected < 1e-3 { return abs(actual - expected) <= 1e-9 * expected }
        return abs(actual - expected) <= 1e-12
    }
}
