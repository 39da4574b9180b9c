/// An error from the uplift metrics: bad input, or a metric that is undefined for the data.
///
/// scikit-uplift and causalml return NaN (or raise an exception deep inside scikit-learn) when a
/// metric is undefined; HoldoutUplift throws this error instead and says what is missing, e.g.
/// "no control rows among the top 3 rows".
public struct UpliftError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, extensible error code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidInput = "invalid_input"
            case undefined = "undefined"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// An argument is empty, out of range, inconsistent or not finite.
        public static let invalidInput = Code(.invalidInput)
        /// The metric has no value for this data (where the Python libraries return NaN or
        /// divide by zero): an arm missing from the top k or from a bin, a zero normaliser.
        public static let undefined = Code(.undefined)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// The input field or metric the error concerns, e.g. `scores`, `k`, `uplift_at_k.overall`.
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
