/// An error from the statistics engine: bad input, or a computation that cannot be done.
///
/// Carries a stable ``Code``, a human message that says what is wrong and how to fix it, and
/// the input field it concerns, when there is one.
public struct StatsError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, extensible error code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidInput = "invalid_input"
            case singularCovariates = "singular_covariates"
            case noSolution = "no_solution"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// An argument is out of range, inconsistent or not finite.
        public static let invalidInput = Code(.invalidInput)
        /// The covariates of a regression adjustment are constant or collinear.
        public static let singularCovariates = Code(.singularCovariates)
        /// No value satisfies the request (e.g. no MDE reachable with the sample size).
        public static let noSolution = Code(.noSolution)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// The input field the error concerns, e.g. `treatment.conversions`.
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
