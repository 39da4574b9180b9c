// The learners in this folder are written by hand: no Swift machine-learning library is
// mirrored for this project, and the ones that exist wrap Python or C++ runtimes.

/// A dense matrix of named, finite features, stored column-major.
///
/// The value of feature `j` in row `i` is `values[j * rowCount + i]`, so a feature is a
/// contiguous column (what histogram binning and prediction read). Names are unique and are
/// what a fitted model checks its input against (compared as UTF-8 bytes).
///
/// ```swift
/// let x = try FeatureMatrix(names: ["f0", "f1"], columns: [[0.1, 0.2, 0.3], [1, 0, 1]])
/// x.rowCount  // 3
/// ```
public struct FeatureMatrix: Sendable, Hashable {
    /// Feature names, one per column.
    public let names: [String]
    /// Number of rows.
    public let rowCount: Int
    /// Column-major values: feature `j` of row `i` at `j * rowCount + i`.
    public let values: [Double]

    /// Creates a matrix from one array per feature.
    ///
    /// - Throws: ``LearnerError`` for no columns, duplicate names, columns of different
    ///   lengths, or a value that is not finite (named by feature and row).
    public init(names: [String], columns: [[Double]]) throws(LearnerError) {
        guard names.count == columns.count else {
            throw LearnerError(.invalidInput, "\(names.count) names for \(columns.count) columns")
        }
        let rows = columns.first?.count ?? 0
        for (j, column) in columns.enumerated() where column.count != rows {
            throw LearnerError(.invalidInput, "feature \(names[j]) has \(column.count) rows, expected \(rows)", field: names[j])
        }
        try self.init(names: names, columnMajor: Array(columns.joined()), rowCount: rows)
    }

    /// Creates a matrix from column-major values.
    ///
    /// - Throws: ``LearnerError`` as for ``init(names:columns:)``.
    public init(names: [String], columnMajor values: [Double], rowCount: Int) throws(LearnerError) {
        guard !names.isEmpty else { throw LearnerError(.invalidInput, "a feature matrix needs at least one feature") }
        guard values.count == names.count * rowCount else {
            throw LearnerError(.invalidInput, "\(values.count) values are not \(names.count) features × \(rowCount) rows")
        }
        var seen = Set<[UInt8]>()
        for name in names where !seen.insert(Array(name.utf8)).inserted {
            throw LearnerError(.invalidInput, "feature \(name) appears twice", field: name)
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            let name = names[bad / max(rowCount, 1)]
            throw LearnerError(.invalidInput, "feature \(name) is not finite in row \(bad % rowCount)", field: name)
        }
        self.names = names
        self.rowCount = rowCount
        self.values = values
    }

    /// Number of features (columns).
    public var featureCount: Int { names.count }

    /// The values of feature `j`.
    public func column(_ j: Int) -> ArraySlice<Double> { values[(j * rowCount)..<((j + 1) * rowCount)] }

    /// The rows at `indices`, in that order.
    public func rows(_ indices: [Int]) -> FeatureMatrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * featureCount)
        for j in 0..<featureCount {
            let base = j * rowCount
            for i in indices { out.append(values[base + i]) }
        }
        return FeatureMatrix(unchecked: names, out, indices.count)
    }

    /// This matrix with one more feature at the end.
    ///
    /// - Throws: ``LearnerError`` when the name is taken, the length differs or a value is not finite.
    public func appending(_ column: [Double], named name: String) throws(LearnerError) -> FeatureMatrix {
        try FeatureMatrix(names: names + [name], columnMajor: values + column, rowCount: rowCount)
    }

    /// Checks that this matrix has exactly the features `expected`, in order.
    ///
    /// - Throws: ``LearnerError/Code/featureMismatch`` naming the first feature that differs,
    ///   is missing or is extra.
    public func requireFeatures(_ expected: [String]) throws(LearnerError) {
        try Self.requireSame(expected, names, context: "the input")
    }

    /// Compares two feature lists by UTF-8 bytes and names the first difference.
    static func requireSame(_ expected: [String], _ actual: [String], context: String) throws(LearnerError) {
        for j in 0..<max(expected.count, actual.count) {
            if j >= actual.count {
                throw LearnerError(.featureMismatch, "feature \(expected[j]) (column \(j)) is missing from \(context)", field: expected[j])
            }
            if j >= expected.count {
                throw LearnerError(.featureMismatch, "feature \(actual[j]) (column \(j)) in \(context) was not in the fitted model", field: actual[j])
            }
            if !expected[j].utf8.elementsEqual(actual[j].utf8) {
                throw LearnerError(
                    .featureMismatch, "feature \(expected[j]) expected in column \(j), \(context) has \(actual[j])", field: expected[j])
            }
        }
    }

    /// A matrix from values already known to be valid.
    init(unchecked names: [String], _ values: [Double], _ rowCount: Int) {
        self.names = names
        self.values = values
        self.rowCount = rowCount
    }
}
