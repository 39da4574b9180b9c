/// A chart that draws itself as SVG text.
///
/// Output is a pure function of the chart's value: the same input gives the same bytes. User
/// text is escaped, coordinates are finite, and the root carries `role="img"` and
/// `aria-labelledby` pointing at its `<title>` and `<desc>`.
public protocol Chart: Sendable {
    /// The element id of the `<svg>` root; its `<title>` and `<desc>` get `-title` and `-desc`.
    var id: String { get }

    /// The SVG markup with the given root id (sanitised to `A-Z a-z 0-9 - _`).
    /// - Parameter standalone: `true` adds `xmlns` (for a `.svg` file); `false` is for inline
    ///   use inside an HTML document.
    func render(id: String, standalone: Bool) -> String
}

extension Chart {
    /// A standalone SVG document (with `xmlns`), using the chart's own `id`.
    public var svg: String { render(id: id, standalone: true) }
}

/// The colours series are drawn with: the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal
/// Design"), which stays distinguishable under the common colour-vision deficiencies, without its
/// yellow (too light on white). Series take them in order and wrap around.
public enum Palette {
    public static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]

    /// The colour for the series at `index`.
    public static func color(_ index: Int) -> String { colors[((index % colors.count) + colors.count) % colors.count] }
}
