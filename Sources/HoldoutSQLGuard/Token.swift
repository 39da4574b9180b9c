/// One lexical unit of a query, as the engine of the chosen dialect would see it.
struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        /// An unquoted identifier or keyword; `text` is ASCII lower-cased (both engines fold or
        /// compare unquoted names that way).
        case word
        /// A quoted identifier (`"x"`, `U&"x"`, and on SQLite `[x]`, `` `x` ``); `text` is the
        /// name's bytes after unescaping, ASCII lower-cased on SQLite.
        case quotedIdentifier
        /// A string literal. `text` holds the value of a plain `'…'` string (which SQLite also
        /// accepts as a name), and is empty for every other form.
        case string
        /// A string literal that SQLite could not take as a name (`X'…'`, `E'…'`, `$$…$$`, …).
        case otherString
        case number
        case leftParen, rightParen, comma, semicolon, dot, leftBracket, rightBracket, doubleColon, star
        /// An operator; `text` is its bytes (`!=` is reported as `<>`).
        case op
        case end
    }

    var kind: Kind
    var text: [UInt8]
    var keyword: Keyword?
    /// Byte offset of the token in the query, for reasons that say where.
    var offset: Int

    /// The text as a Swift string, for reasons and verdicts.
    var display: String { String(decoding: text, as: UTF8.self) }

    func isKeyword(_ keyword: Keyword) -> Bool { self.keyword == keyword }

    func isOperator(_ spelling: StaticString) -> Bool {
        guard kind == .op, text.count == spelling.utf8CodeUnitCount else { return false }
        return spelling.withUTF8Buffer { text.elementsEqual($0) }
    }
}
