import HoldoutCore
import HoldoutGeo
import HoldoutModel
import HoldoutSimulation
import HoldoutStats
import HoldoutStore

/// An error at the command-line boundary: one line that names the problem and, where it helps,
/// how to fix it. ArgumentParser prints it as `Error: <message>` and exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    var message: String

    init(_ message: String) { self.message = message }

    init(_ error: StatsError) {
        message = error.field.map { "\($0): \(error.message)" } ?? error.message
        if let field = error.field, error.message.hasPrefix(field) { message = error.message }
    }

    init(_ error: StoreError) {
        message = error.message
    }

    var description: String { message }
}

extension CLIError {
    /// The one mapping from a library error to the CLI's one line (exit status 1): the domain's
    /// `HoldoutError`, HoldoutStats' `StatsError` (prefixed with its field), the importer's and the
    /// simulator's errors. Nil for ArgumentParser's own errors (usage, `--help`), which keep its
    /// messages and exit codes.
    static func mapping(_ error: any Error) -> CLIError? {
        switch error {
        case let error as CLIError: error
        case let error as HoldoutError: CLIError(error)
        case let error as StatsError: CLIError(error)
        case let error as ImportError: CLIError(error.message)
        case let error as SimulationError: CLIError(error.message)
        case let error as GeoError: CLIError(error.message)
        case let error as GeoStateError: CLIError(error.message)
        default: nil
        }
    }
}
