/// The rectangle, in pixels from the chart's top-left corner, where data is drawn.
public struct PlotArea: Hashable, Sendable {
    public let x: Double
    public let y: Double
    public let width: Double
    public let height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

/// Which values a chart draws.
enum ChartValues {
    /// Values beyond ±1e100 are skipped like NaN and infinity: they cannot share a linear axis
    /// with ordinary numbers, and their differences would overflow.
    static let limit = 1e100

    static func isDrawable(_ value: Double) -> Bool { value.isFinite && abs(value) <= limit }

    static func clamp(_ value: Double, _ low: Double, _ high: Double, fallback: Double) -> Double {
        value.isFinite ? min(max(value, low), high) : fallback
    }
}
