import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Parses chart SVG or report HTML with Foundation's `XMLParser` (well-formedness) and keeps every
/// element with its attributes and text, so tests can read back the coordinates charts drew.
final class XMLInspector: NSObject, XMLParserDelegate {
    struct Element {
        let name: String
        let attributes: [String: String]
        var text: String
    }

    private(set) var elements: [Element] = []
    private var open: [Int] = []
    private(set) var error: String?

    /// Parses `markup`; an HTML document's `<!DOCTYPE html>` line is dropped first (XMLParser would
    /// ask for a DTD).
    init(_ markup: String) {
        super.init()
        var text = markup
        if text.hasPrefix("<!DOCTYPE html>") { text.removeFirst("<!DOCTYPE html>".count) }
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = self
        if !parser.parse() { error = parser.parserError.map { String(describing: $0) } ?? "parse failed" }
    }

    var isWellFormed: Bool { error == nil }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        open.append(elements.count)
        elements.append(Element(name: elementName, attributes: attributeDict, text: ""))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: any Error) {
        error = String(describing: parseError)
    }

    /// Elements named `name` whose `class` attribute lists `className` (any class when `nil`).
    func all(_ name: String, className: String? = nil) -> [Element] {
        elements.filter { element in
            let classes = (element.attributes["class"] ?? "").split(separator: " ").map(String.init)
            return element.name == name && (className.map { classes.contains($0) } ?? true)
        }
    }

    func number(_ element: Element, _ attribute: String) throws -> Double {
        let text = try #require(element.attributes[attribute])
        return try #require(Double(text))
    }
}

/// The points of an SVG path "M x y L x y …" (the only commands the charts write, plus a final Z).
func pathPoints(_ d: String) -> [(x: Double, y: Double)] {
    let numbers = d.split(whereSeparator: { $0 == " " || $0 == "M" || $0 == "L" || $0 == "Z" }).compactMap { Double($0) }
    return stride(from: 0, to: numbers.count - 1, by: 2).map { (numbers[$0], numbers[$0 + 1]) }
}

/// Labels chosen to break naive output: markup, entities, both quotes, non-ASCII, a control character.
let hostileLabels = [
    "<script>alert(1)</script>", "a & b", "\"double\" and 'single'", "café ✓ 日本語 🚀", "]]><![CDATA[", "tab\there\u{01}bell", "&amp; &#x3C;",
]

/// Output must never carry a non-finite number.
func assertFinite(_ markup: String, sourceLocation: SourceLocation = #_sourceLocation) {
    for bad in ["NaN", "nan", "inf", "Inf"] {
        #expect(!markup.contains(bad), "output contains \(bad)", sourceLocation: sourceLocation)
    }
}

/// What a parser reads back from escaped `label`: the same text, with characters XML forbids
/// (here U+0001) replaced by U+FFFD.
func readBack(_ label: String) -> String {
    String(String.UnicodeScalarView(label.unicodeScalars.map { $0 == "\u{01}" ? "\u{FFFD}" : $0 }))
}
