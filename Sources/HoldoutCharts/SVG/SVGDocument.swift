/// The shared frame of every chart: the `<svg>` root with its accessibility attributes, the
/// `<title>` and `<desc>`, and small writers for the elements charts draw. Coordinates go
/// through `DecimalText.coordinate`, which never prints NaN or infinity.
struct SVGDocument {
    static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
    static let textColor = "#1f2328"
    static let mutedColor = "#59636e"
    static let gridColor = "#e4e7eb"
    static let axisColor = "#8c959f"

    private(set) var body = ""

    static func number(_ value: Double) -> String { DecimalText.coordinate(value) }

    /// Appends raw, already escaped markup.
    mutating func raw(_ markup: String) { body += markup }

    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, stroke: String, width: Double = 1, dash: String? = nil, className: String? = nil) {
        body += "<line"
        if let className { body += " class=\"\(className)\"" }
        body += " x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\""
        body += " stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\""
        if let dash { body += " stroke-dasharray=\"\(dash)\"" }
        body += "/>\n"
    }

    enum Anchor: String {
        case start, middle, end
    }

    /// Text at (x, y); `content` is user text and is escaped here. `tooltip` adds a `<title>`
    /// child (the full label when the visible one was shortened).
    mutating func text(
        _ content: String, x: Double, y: Double, anchor: Anchor = .start, size: Double = 12, fill: String = textColor,
        weight: String? = nil, rotate: Bool = false, className: String? = nil, tooltip: String? = nil
    ) {
        body += "<text"
        if let className { body += " class=\"\(className)\"" }
        body += " x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\" fill=\"\(fill)\""
        if anchor != .start { body += " text-anchor=\"\(anchor.rawValue)\"" }
        if let weight { body += " font-weight=\"\(weight)\"" }
        if rotate { body += " transform=\"rotate(-90 \(Self.number(x)) \(Self.number(y)))\"" }
        body += ">"
        if let tooltip { body += "<title>\(XMLText.escape(tooltip))</title>" }
        body += XMLText.escape(content) + "</text>\n"
    }

    /// The finished chart. `standalone` adds the SVG namespace (needed in a `.svg` file or an
    /// `<img>`, not inside HTML, where the parser puts `<svg>` in its namespace by itself).
    func finish(id: String, width: Double, height: Double, title: String, description: String, standalone: Bool) -> String {
        let id = XMLText.identifier(id)
        var svg = "<svg"
        if standalone { svg += " xmlns=\"http://www.w3.org/2000/svg\"" }
        svg += " id=\"\(id)\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\""
        svg += " viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" role=\"img\" aria-labelledby=\"\(id)-title \(id)-desc\""
        svg += " font-family=\"\(Self.fontFamily)\">\n"
        svg += "<title id=\"\(id)-title\">\(XMLText.escape(title))</title>\n"
        svg += "<desc id=\"\(id)-desc\">\(XMLText.escape(description))</desc>\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" fill=\"#ffffff\"/>\n"
        svg += body
        svg += "</svg>\n"
        return svg
    }

    /// The whole chart when there is nothing to draw: the frame and a centred "no data".
    static func empty(id: String, width: Double, height: Double, title: String, description: String, standalone: Bool) -> String {
        var document = SVGDocument()
        document.text("no data", x: width / 2, y: height / 2, anchor: .middle, size: 14, fill: mutedColor, className: "no-data")
        let description = description.isEmpty ? "No data to draw." : description + " No data to draw."
        return document.finish(id: id, width: width, height: height, title: title, description: description, standalone: standalone)
    }
}
