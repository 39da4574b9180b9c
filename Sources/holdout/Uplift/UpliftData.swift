import Foundation
import HoldoutCSV
import HoldoutUplift

/// Reading an experiment's rows for the uplift commands (`train`, `evaluate`): features,
/// arm and outcome columns by name, through HoldoutCSV, with errors naming the line and column.
enum UpliftData {
    /// The most rows `train` and `evaluate` hold in memory (Criteo Uplift v2 has 13,979,592).
    static let maximumRows = 20_000_000
    /// The most features a model may use.
    static let maximumFeatures = 1_000
    /// The largest model file `score` and `evaluate` read.
    static let maximumModelBytes = 256 << 20

    struct Rows {
        var features: FeatureMatrix
        var treatment: [Bool]
        var outcome: [Double]
    }

    /// Parses `--features f0,f1,…`: names separated by commas, none empty, none twice.
    static func featureList(_ text: String) throws(CLIError) -> [String] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
            throw CLIError("--features: expected column names separated by commas, e.g. f0,f1,f2; got '\(text)'")
        }
        guard names.count <= maximumFeatures else { throw CLIError("--features: \(names.count) features; at most \(maximumFeatures)") }
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted { throw CLIError("--features: '\(name)' is listed twice") }
        return names
    }

    /// The index of each named column in a header, or an error naming the option and the column.
    static func indices(of columns: [(option: String, name: String)], in header: [String], path: String) throws(CLIError) -> [Int] {
        var out: [Int] = []
        for (option, name) in columns {
            guard let i = header.firstIndex(of: name) else {
                let shown = header.count > 40 ? header[0..<40].joined(separator: ", ") + ", …" : header.joined(separator: ", ")
                throw CLIError("\(option): column '\(name)' is not in the header of \(path) (columns: \(shown))")
            }
            out.append(i)
        }
        return out
    }

    /// The arm in a field: 1/1.0/true treated, 0/0.0/false control.
    @inline(__always)
    static func arm(_ record: CSVScanner.Record, _ index: Int, column: String) throws(CLIError) -> Bool {
        let bytes = record.bytes(index)
        if bytes.count == 1 && !record.quoted[index] {
            if bytes[0] == UInt8(ascii: "1") { return true }
            if bytes[0] == UInt8(ascii: "0") { return false }
        }
        switch record.trimmedString(index).lowercased() {
        case "1", "1.0", "true": return true
        case "0", "0.0", "false": return false
        case let other:
            throw CLIError("line \(record.line), column '\(column)': '\(other)' is not a treatment flag (1/0 or true/false)")
        }
    }

    /// A finite number in a field, or an error naming line and column.
    @inline(__always)
    static func number(_ record: CSVScanner.Record, _ index: Int, column: String) throws(CLIError) -> Double {
        if let x = record.double(index) { return x }
        let text = record.string(index)
        throw CLIError("line \(record.line), column '\(column)': " + (text.isEmpty ? "empty value" : "'\(text)' is not a finite number"))
    }

    /// Reads the feature columns, the arm and the outcome of every row.
    ///
    /// - Parameter binaryOutcome: when set, an outcome other than 0 or 1 is an error naming the
    ///   learner that needs it (`reason`).
    static func read(
        path: String, features: [String], treatment: (option: String, name: String), outcome: (option: String, name: String),
        binaryOutcome reason: String?
    ) throws(CLIError) -> Rows {
        let scanner = CSVScanner(path: path)
        var header = true
        var indices: [Int] = []
        var columns = [[Double]](repeating: [], count: features.count)
        var arms: [Bool] = []
        var outcomes: [Double] = []
        var rows = 0
        do {
            try scanner.forEachRecord { record in
                if header {
                    header = false
                    let names = (0..<record.count).map { record.trimmedString($0) }
                    indices = try Self.indices(
                        of: features.map { ("--features", $0) } + [treatment, outcome], in: names, path: path)
                    return
                }
                guard record.count > indices.max()! else {
                    throw CLIError("line \(record.line): expected at least \(indices.max()! + 1) columns, found \(record.count)")
                }
                guard rows < maximumRows else { throw CLIError("\(path) has more than \(maximumRows) rows, the most this command reads") }
                for j in features.indices { columns[j].append(try number(record, indices[j], column: features[j])) }
                arms.append(try arm(record, indices[features.count], column: treatment.name))
                let y = try number(record, indices[features.count + 1], column: outcome.name)
                if let reason, y != 0 && y != 1 {
                    throw CLIError("line \(record.line), column '\(outcome.name)': '\(record.string(indices[features.count + 1]))' is not 0 or 1 (\(reason))")
                }
                outcomes.append(y)
                rows += 1
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
        if header { throw CLIError("\(path) is empty: expected a header row") }
        if rows == 0 { throw CLIError("\(path) has a header but no rows") }
        do {
            return Rows(features: try FeatureMatrix(names: features, columns: columns), treatment: arms, outcome: outcomes)
        } catch {
            throw CLIError(error.message)
        }
    }
}
