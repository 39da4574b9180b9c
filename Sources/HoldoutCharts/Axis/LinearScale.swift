/// A linear map from a data domain to a pixel range: `v ↦ start + (v − lower)/(upper − lower)·(end − start)`.
///
/// `end` may be smaller than `start` (a y axis grows upwards while SVG's y grows downwards).
/// A zero-width domain maps everything to the middle of the range.
public struct LinearScale: Hashable, Sendable {
    public let lower: Double
    public let upper: Double
    public let start: Double
    public let end: Double

    public init(domain lower: Double, _ upper: Double, range start: Double, _ end: Double) {
        self.lower = lower
        self.upper = upper
        self.start = start
        self.end = end
    }

    /// The pixel position of `value`.
    public func callAsFunction(_ value: Double) -> Double {
        let span = upper - lower
        guard span != 0, span.isFinite else { return (start + end) / 2 }
        return start + (value - lower) / span * (end - start)
    }
}
