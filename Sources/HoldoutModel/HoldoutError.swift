/// An error of the domain or the store: bad input, a missing record, a conflict, a refused
/// transition or a database failure, with the field or location it concerns. (The store calls it
/// `HoldoutError`, a type alias.)
public struct HoldoutError: Error, Sendable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let value: String
        private init(_ value: String) { self.value = value }
        /// Input that fails validation.
        public static let invalidInput = Code("invalid_input")
        /// The experiment (or other record) does not exist.
        public static let notFound = Code("not_found")
        /// A unique key already exists.
        public static let conflict = Code("conflict")
        /// A status change the lifecycle does not allow.
        public static let invalidTransition = Code("invalid_transition")
        /// The database cannot be opened or reached, or its schema is not migrated.
        public static let unavailable = Code("unavailable")
        /// A statement failed.
        public static let database = Code("database_error")
        public var description: String { value }
    }

    public var code: Code
    public var message: String
    public var field: String?
    /// The error underneath (an engine's error for `database_error`), for logs and diagnostics.
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, field: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.cause = cause
    }

    public var description: String { message }
}
