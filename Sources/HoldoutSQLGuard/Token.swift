/// One lexical unit of a query, as the engine of the chosen dialect would see it.
struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        /// An unquoted identifier or keyword: its name is the source bytes `offset..<end`, ASCII
        /// lower-cased (both engines fold or compare unquoted names that way), built by
        /// ``TokenList/key(_:)`` only for the names the parser keeps.
        case word
        /// A quoted identifier (`"x"`, `U&"x"`, and on SQLite `[x]`, `` `x` ``); its text is the
        /// name's bytes after unescaping, ASCII lower-cased on SQLite.
        case quotedIdentifier
        /// A plain `'…'` string on SQLite, which also accepts it as a name; its text is the
        /// value, ASCII lower-cased.
        case string
        /// A string literal that SQLite could not take as a name (`X'…'`, `E'…'`, `$$…$$`, …).
        case otherString
        case number
        case leftParen, rightParen, comma, semicolon, dot, leftBracket, rightBracket, doubleColon, star
        /// An operator; its text is its spelling (`!=` is reported as `<>`).
        case op
        case end
    }

    var kind: Kind
    var keyword: Keyword?
    /// Byte offset of the token in the query, for reasons that say where.
    var offset: Int
    /// Byte offset just past the token.
    var end: Int
    /// Where the token's text is in ``TokenList/texts`` (quoted identifiers, name-like strings,
    /// operators), or -1. Kept out of the token so a token is a plain value: copying one costs no
    /// reference counting.
    var textIndex = -1

    func isKeyword(_ keyword: Keyword) -> Bool { self.keyword == keyword }
}

/// The tokens of one query, with the side table of their texts and the query's bytes.
struct TokenList: Sendable {
    var tokens: [Token]
    var texts: [[UInt8]]
    var source: [UInt8]

    /// A quoted identifier's name, a string's value (where SQLite may take it as a name), an
    /// operator's spelling (`!=` reported as `<>`); empty for other tokens.
    func text(_ token: Token) -> [UInt8] { token.textIndex >= 0 ? texts[token.textIndex] : [] }

    /// The bytes the engine compares: a word's source bytes ASCII lower-cased, otherwise its text.
    func key(_ token: Token) -> [UInt8] {
        guard token.kind == .word else { return text(token) }
        return source[token.offset..<token.end].map(asciiLowercased)
    }

    func spelling(_ token: Token) -> String { String(decoding: key(token), as: UTF8.self) }

    func isOperator(_ token: Token, _ spelling: StaticString) -> Bool {
        guard token.kind == .op, token.textIndex >= 0 else { return false }
        let text = texts[token.textIndex]
        guard text.count == spelling.utf8CodeUnitCount else { return false }
        return spelling.withUTF8Buffer { text.elementsEqual($0) }
    }
}
