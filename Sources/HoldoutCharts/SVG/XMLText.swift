/// Escaping of user text (experiment keys, metric names, notes) for XML and HTML.
enum XMLText {
    /// `text` safe inside element content and inside double- or single-quoted attributes:
    /// `& < > " '` become references, and characters XML 1.0 forbids (C0 controls other than
    /// tab, newline and carriage return; U+FFFE, U+FFFF) become U+FFFD, so the output always
    /// parses. Everything else, non-ASCII included, is kept as UTF-8.
    static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t", "\n", "\r": result.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                result += "\u{FFFD}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// An element id made only of `A-Z a-z 0-9 - _`, starting with a letter ("chart" when
    /// nothing is left), so it can be concatenated into `aria-labelledby` and `url(#…)`.
    static func identifier(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars where scalar.isASCII {
            let value = scalar.value
            let isLetter = (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value)
            let isDigit = (0x30...0x39).contains(value)
            if isLetter || isDigit || scalar == "-" || scalar == "_" { result.unicodeScalars.append(scalar) }
        }
        if result.isEmpty { return "chart" }
        if let first = result.unicodeScalars.first, !((0x41...0x5A).contains(first.value) || (0x61...0x7A).contains(first.value)) {
            result = "c" + result
        }
        return result
    }

    /// `text` cut to `limit` characters (grapheme clusters) with "…" when it is longer.
    static func truncate(_ text: String, to limit: Int) -> String {
        guard text.count > limit, limit > 1 else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}
