/// Reducing a long polyline to what a screen can show.
///
/// The rule is min/max per pixel column (the "M4" aggregation of Jugel et al., "M4: A
/// Visualization-Oriented Time Series Data Aggregation", VLDB 2014): points, already in pixel
/// coordinates and in drawing order, are grouped into runs of consecutive points in the same
/// one-pixel-wide column, and each run keeps its first point, its last point, and the points with
/// its smallest and largest y. A line through the kept points covers exactly the pixels the full
/// line covers, so the shape is unchanged at this width; the first and last points of the series
/// and its global extrema are always kept. With x increasing, the output has at most 4 points per
/// column (about 2,500 for a 640-px-wide plot, whatever the input length); it is O(n) and keeps
/// the input order.
public enum Downsampling {
    /// The points of `points` (pixel coordinates, finite) that min/max per pixel column keeps.
    public static func minMaxPerPixelColumn(_ points: [LineChart.Point]) -> [LineChart.Point] {
        guard points.count > 4 else { return points }
        var kept: [LineChart.Point] = []
        kept.reserveCapacity(min(points.count, 4096))
        var start = 0
        while start < points.count {
            let column = points[start].x.rounded(.down)
            var end = start + 1
            var lowest = start
            var highest = start
            while end < points.count && points[end].x.rounded(.down) == column {
                if points[end].y < points[lowest].y { lowest = end }
                if points[end].y > points[highest].y { highest = end }
                end += 1
            }
            var indices = [start, lowest, highest, end - 1]
            indices.sort()
            var previous = -1
            for index in indices where index != previous {
                kept.append(points[index])
                previous = index
            }
            start = end
        }
        return kept
    }
}
