/// An error from a geo design or analysis: bad input, or data the method cannot use.
///
/// Carries a stable ``Code``, a message that says what is wrong and how to fix it, and where it
/// happened: the geo, the date and the input row (0-based) when there is one.
///
/// ```swift
/// do { _ = try GeoPanel(rows: rows) } catch { print(error.code, error.geo ?? "", error.date ?? "") }
/// ```
public struct GeoError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, extensible error code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: String, Sendable, Hashable {
            case invalidInput = "invalid_input"
            case missingDay = "missing_day"
            case duplicateRow = "duplicate_row"
            case negativeValue = "negative_value"
            case unknownGeo = "unknown_geo"
            case insufficientData = "insufficient_data"
            case noSolution = "no_solution"
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// An argument is out of range, inconsistent or not finite.
        public static let invalidInput = Code(.invalidInput)
        /// A geo has no row for a day inside the panel's date range.
        public static let missingDay = Code(.missingDay)
        /// Two rows for the same geo and day.
        public static let duplicateRow = Code(.duplicateRow)
        /// A negative response (revenue) or cost.
        public static let negativeValue = Code(.negativeValue)
        /// An assignment names a geo the panel does not have.
        public static let unknownGeo = Code(.unknownGeo)
        /// Too few days, geos or pairs, or no variation, for the method.
        public static let insufficientData = Code(.insufficientData)
        /// The estimating equation has no root (e.g. trimmed match with no incremental cost).
        public static let noSolution = Code(.noSolution)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// The geo the error concerns.
    public var geo: String?
    /// The date the error concerns.
    public var date: GeoDay?
    /// The 0-based index of the input row the error concerns.
    public var row: Int?

    public init(_ code: Code, _ message: String, geo: String? = nil, date: GeoDay? = nil, row: Int? = nil) {
        self.code = code
        self.message = message
        self.geo = geo
        self.date = date
        self.row = row
    }

    public var description: String { message }
}
