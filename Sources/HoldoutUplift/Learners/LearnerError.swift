/// An error from fitting, applying or loading an uplift learner.
///
/// Carries a stable ``Code``, a human message that says what is wrong, and the feature or
/// field it concerns, when there is one.
public struct LearnerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, extensible error code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidInput = "invalid_input"
            case featureMismatch = "feature_mismatch"
            case unsupportedVersion = "unsupported_version"
            case wrongLearner = "wrong_learner"
            case singular = "singular"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// An argument is out of range, inconsistent in shape or not finite.
        public static let invalidInput = Code(.invalidInput)
        /// The features given to a fitted model are not the ones it was fitted on.
        public static let featureMismatch = Code(.featureMismatch)
        /// A model file was written in a format version this build does not read.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// A model file holds another learner than the one asked for.
        public static let wrongLearner = Code(.wrongLearner)
        /// A linear system could not be solved (e.g. a constant column without regularization).
        public static let singular = Code(.singular)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// The feature or field the error concerns, e.g. `f3`.
    public var field: String?

    public init(_ code: Code, _ message: String, field: String? = nil) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
