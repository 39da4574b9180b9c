import HoldoutModel
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

/// Runs store work and maps its errors to the CLI's.
func store<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as StoreError {
        throw CLIError(error)
    } catch let error as ImportError {
        throw CLIError(error.message)
    } catch let error as StatsError {
        throw CLIError(error)
    }
}

/// Runs a statistics call and maps its error to the CLI's.
func cli<T>(_ body: () throws(StatsError) -> T) throws(CLIError) -> T {
    do { return try body() } catch { throw CLIError(error) }
}

/// Runs a library call and maps its error to the CLI's one line.
func boundary<T>(_ body: () throws(HoldoutError) -> T) throws(CLIError) -> T {
    do { return try body() } catch { throw CLIError(error) }
}
