/// Parses the surface expression language of simulation configs.
///
/// ```
/// expression := comparison
/// comparison := sum (('>' | '<' | '>=' | '<=') sum)?
/// sum        := product (('+' | '-') product)*
/// product    := unary (('*' | '/') unary)*
/// unary      := '-' unary | primary
/// primary    := number | feature | function '(' expression (',' expression)? ')' | '(' expression ')'
/// function   := sigmoid | exp | log | min | max
/// ```
/// Errors give the 1-based character position and the reason.
extension Surface {
    /// A parse error: where and why.
    public struct ParseError: Error, Sendable, Hashable, CustomStringConvertible {
        public var position: Int
        public var reason: String
        public var description: String { "at character \(position): \(reason)" }
    }

    /// Parses `text`; feature names must be in `features` when given.
    public static func parse(_ text: String, features: Set<String>? = nil) throws(ParseError) -> Surface {
        var parser = Parser(chars: Array(text), features: features)
        let surface = try parser.expression()
        parser.skipSpaces()
        if parser.index < parser.chars.count {
            throw ParseError(position: parser.index + 1, reason: "unexpected '\(parser.chars[parser.index])'")
        }
        return surface
    }

    struct Parser {
        let chars: [Character]
        let features: Set<String>?
        var index = 0

        mutating func skipSpaces() {
            while index < chars.count, chars[index].isWhitespace { index += 1 }
        }

        mutating func peek(_ s: String) -> Bool {
            skipSpaces()
            let c = Array(s)
            guard index + c.count <= chars.count else { return false }
            return Array(chars[index..<index + c.count]) == c
        }

        mutating func take(_ s: String) -> Bool {
            if peek(s) {
                index += s.count
                return true
            }
            return false
        }

        mutating func expression() throws(ParseError) -> Surface {
            let left = try sum()
            for (token, op) in [(">=", Comparison.greaterOrEqual), ("<=", .lessOrEqual), (">", .greater), ("<", .less)] where take(token) {
                return .compare(left, op, try sum())
            }
            return left
        }

        mutating func sum() throws(ParseError) -> Surface {
            var left = try product()
            while true {
                if take("+") {
                    left = .add(left, try product())
                } else if take("-") {
                    left = .subtract(left, try product())
                } else {
                    return left
                }
            }
        }

        mutating func product() throws(ParseError) -> Surface {
            var left = try unary()
            while true {
                if take("*") {
                    left = .multiply(left, try unary())
                } else if take("/") {
                    left = .divide(left, try unary())
                } else {
                    return left
                }
            }
        }

        mutating func unary() throws(ParseError) -> Surface {
            if take("-") { return .negate(try unary()) }
            return try primary()
        }

        mutating func primary() throws(ParseError) -> Surface {
            skipSpaces()
            guard index < chars.count else { throw ParseError(position: index + 1, reason: "expected a number, a feature or '('") }
            let start = index
            if take("(") {
                let inner = try expression()
                guard take(")") else { throw ParseError(position: index + 1, reason: "expected ')' to close the '(' at character \(start + 1)") }
                return inner
            }
            let c = chars[index]
            if c.isNumber || c == "." {
                while index < chars.count,
                    chars[index].isNumber || chars[index] == "." || chars[index] == "e" || chars[index] == "E"
                        || ((chars[index] == "-" || chars[index] == "+") && index > start && (chars[index - 1] == "e" || chars[index - 1] == "E"))
                {
                    index += 1
                }
                let text = String(chars[start..<index])
                guard let value = Double(text), value.isFinite else {
                    throw ParseError(position: start + 1, reason: "'\(text)' is not a number")
                }
                return .constant(value)
            }
            if c.isLetter || c == "_" {
                while index < chars.count, chars[index].isLetter || chars[index].isNumber || chars[index] == "_" { index += 1 }
                let name = String(chars[start..<index])
                if take("(") {
                    let functions: Set<String> = ["sigmoid", "exp", "log", "min", "max"]
                    guard functions.contains(name) else {
                        throw ParseError(position: start + 1, reason: "unknown function '\(name)' (known: \(functions.sorted().joined(separator: ", ")))")
                    }
                    let first = try expression()
                    var second: Surface?
                    if take(",") { second = try expression() }
                    guard take(")") else { throw ParseError(position: index + 1, reason: "expected ')' after the arguments of \(name)") }
                    switch (name, second) {
                    case ("sigmoid", nil): return .sigmoid(first)
                    case ("exp", nil): return .exp(first)
                    case ("log", nil): return .log(first)
                    case ("min", let b?): return .min(first, b)
                    case ("max", let b?): return .max(first, b)
                    default:
                        throw ParseError(position: start + 1, reason: "\(name) takes \(name == "min" || name == "max" ? "two arguments" : "one argument")")
                    }
                }
                if let features, !features.contains(name) {
                    throw ParseError(position: start + 1, reason: "unknown feature '\(name)' (features: \(features.sorted().joined(separator: ", ")))")
                }
                return .feature(name)
            }
            throw ParseError(position: index + 1, reason: "unexpected '\(c)'")
        }
    }
}
