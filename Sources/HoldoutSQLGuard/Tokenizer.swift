// A hand-written tokenizer: no SQL parser package is mirrored for this build, and the guard must
// follow each engine's lexical rules to the byte (where a comment ends, how a string is quoted,
// how an identifier is escaped), which is easier to check in one small file than in a grammar.

/// Splits a query into tokens the way the chosen engine's lexer does, and refuses whatever
/// either engine would read differently or the guard cannot follow (fail closed).
///
/// Rules, and the attack each one stops:
/// - Block comments end by the dialect's rule: nested in PostgreSQL, at the first `*/` in SQLite.
///   An unterminated comment is refused (SQLite would silently run to the end of the text).
/// - `--` comments end at `\n`, and on PostgreSQL also at `\r`.
/// - Only space, tab, line feed, form feed and carriage return are whitespace (the set both
///   engines share); any other control byte, NUL included (SQLite stops reading at NUL), is refused.
/// - Quoted identifiers are unescaped (`""`, `U&"d\0061ta"` with `UESCAPE`) before they are compared,
///   so an escaped spelling of a catalog name is seen as that name.
/// - PostgreSQL strings: `E'…'` skips backslash escapes, `$tag$…$tag$` runs to its own tag, and a
///   plain `'…'` that contains a backslash is refused, because whether it ends at `\'` depends on the
///   server's `standard_conforming_strings` setting, which the guard cannot see.
/// - Parameters (`?`, `:name`, `@name`, `$1`) are refused: a query for the guard is complete text.
/// - A number that runs into a name (`1abc`, `0x1f` on PostgreSQL) is refused: PostgreSQL 15 reads it
///   as a number and an alias, newer versions as an error.
/// - On PostgreSQL an identifier longer than 63 bytes is refused: the engine would truncate it.
struct Tokenizer {
    let dialect: SQLDialect
    private let bytes: [UInt8]
    private var index = 0
    /// The texts of quoted identifiers, name-like strings and operators, which tokens index.
    private var texts: [[UInt8]] = []

    init(_ bytes: [UInt8], dialect: SQLDialect) {
        self.dialect = dialect
        self.bytes = bytes
    }

    /// All tokens of the query, ending with an `.end` token.
    static func tokenize(_ query: String, dialect: SQLDialect) throws(Refusal) -> TokenList {
        try tokenize(Array(query.utf8), dialect: dialect)
    }

    /// All tokens of the query's UTF-8 bytes, ending with an `.end` token.
    static func tokenize(_ bytes: [UInt8], dialect: SQLDialect) throws(Refusal) -> TokenList {
        var tokenizer = Tokenizer(bytes, dialect: dialect)
        var tokens: [Token] = []
        tokens.reserveCapacity(tokenizer.bytes.count / 4 + 8)
        while true {
            let token = try tokenizer.next()
            tokens.append(token)
            if token.kind == .end { return TokenList(tokens: tokens, texts: tokenizer.texts, source: bytes) }
        }
    }

    /// A token ending at the current index, its text (if any) kept in the side table.
    private mutating func token(_ kind: Token.Kind, text: [UInt8]? = nil, offset: Int) -> Token {
        var token = Token(kind: kind, offset: offset, end: index)
        if let text {
            token.textIndex = texts.count
            texts.append(text)
        }
        return token
    }

    // MARK: Bytes

    @inline(__always) private func byte(at position: Int) -> UInt8 { position < bytes.count ? bytes[position] : 0 }

    @inline(__always) private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    @inline(__always) private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) private static func isHexDigit(_ b: UInt8) -> Bool { isDigit(b) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66) }
    /// A byte that may start an identifier in both engines: a letter, `_`, or any byte of a
    /// multi-byte UTF-8 character.
    @inline(__always) private static func isIdentifierStart(_ b: UInt8) -> Bool { isLetter(b) || b == 0x5F || b >= 0x80 }
    /// A byte that may continue an identifier in both engines: also digits and `$`.
    @inline(__always) private static func isIdentifierPart(_ b: UInt8) -> Bool { isIdentifierStart(b) || isDigit(b) || b == 0x24 }
    @inline(__always) private static func isWhitespace(_ b: UInt8) -> Bool {
        b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0C || b == 0x0D
    }

    // MARK: Trivia

    /// Skips whitespace and comments from `start`; returns where the next token starts.
    private func skipTrivia(from start: Int) throws(Refusal) -> Int {
        var i = start
        while i < bytes.count {
            let b = bytes[i]
            if Self.isWhitespace(b) {
                i += 1
            } else if b == 0x2D && byte(at: i + 1) == 0x2D {  // --
                i += 2
                while i < bytes.count {
                    let c = bytes[i]
                    if c == 0x0A || (c == 0x0D && dialect.lineCommentEndsAtCarriageReturn) { break }
                    if c == 0 { throw Refusal("NUL byte in the query", at: i) }
                    i += 1
                }
            } else if b == 0x2F && byte(at: i + 1) == 0x2A {  // /*
                let opened = i
                var depth = 1
                i += 2
                while depth > 0 {
                    guard i < bytes.count else { throw Refusal("unterminated /* comment", at: opened) }
                    let c = bytes[i]
                    if c == 0 { throw Refusal("NUL byte in the query", at: i) }
                    if c == 0x2A && byte(at: i + 1) == 0x2F {
                        depth -= 1
                        i += 2
                    } else if c == 0x2F && byte(at: i + 1) == 0x2A && dialect.hasNestedComments {
                        depth += 1
                        i += 2
                    } else {
                        i += 1
                    }
                }
            } else if b == 0 {
                throw Refusal("NUL byte in the query", at: i)
            } else if b < 0x20 || b == 0x7F {
                throw Refusal("control byte 0x\(String(b, radix: 16)) in the query", at: i)
            } else {
                break
            }
        }
        return i
    }

    // MARK: Tokens

    private mutating func next() throws(Refusal) -> Token {
        index = try skipTrivia(from: index)
        let start = index
        guard index < bytes.count else { return token(.end, offset: start) }
        let b = bytes[index]
        let b1 = byte(at: index + 1)

        if Self.isIdentifierStart(b) {
            if let literal = try prefixedLiteral(b, b1) { return literal }
            return try word()
        }
        if Self.isDigit(b) || (b == 0x2E && Self.isDigit(b1)) { return try number() }
        switch b {
        case 0x27:  // '
            return try plainString(start: index, prefixLength: 0, mayBeName: true)
        case 0x22:  // "
            return try quotedIdentifier(close: 0x22, escapesByDoubling: true)
        case 0x5B where dialect.hasBracketAndBacktickIdentifiers:  // [
            return try quotedIdentifier(close: 0x5D, escapesByDoubling: false)
        case 0x60 where dialect.hasBracketAndBacktickIdentifiers:  // `
            return try quotedIdentifier(close: 0x60, escapesByDoubling: true)
        case 0x24:  // $
            if dialect.hasPostgresLiterals, !Self.isDigit(b1) { return try dollarString() }
            throw Refusal("query parameters ($…) are not accepted", at: start)
        case 0x3F where dialect == .sqlite, 0x40 where dialect == .sqlite, 0x23 where dialect == .sqlite:  // ? @ #
            throw Refusal("query parameters (\(Character(Unicode.Scalar(b)))…) are not accepted", at: start)
        case 0x3A:  // :
            if b1 == 0x3A && dialect.hasPostgresExpressions {
                index += 2
                return token(.doubleColon, offset: start)
            }
            throw Refusal("query parameters (:name) are not accepted", at: start)
        default:
            break
        }
        let single: Token.Kind? =
            switch b {
            case 0x28: .leftParen
            case 0x29: .rightParen
            case 0x2C: .comma
            case 0x3B: .semicolon
            case 0x2E: .dot
            case 0x5B: .leftBracket
            case 0x5D: .rightBracket
            default: nil
            }
        if let single {
            index += 1
            return token(single, offset: start)
        }
        return try dialect == .postgres ? postgresOperator() : sqliteOperator()
    }

    /// `E'…'`, `B'…'`, `X'…'`, `N'…'`, `U&'…'` and `U&"…"` on PostgreSQL; `X'…'` on SQLite.
    private mutating func prefixedLiteral(_ b: UInt8, _ b1: UInt8) throws(Refusal) -> Token? {
        let letter = b | 0x20
        if dialect.hasPostgresLiterals {
            if b1 == 0x27 {
                switch letter {
                case 0x65: return try escapeString()  // e
                case 0x62, 0x78: return try plainString(start: index, prefixLength: 1, mayBeName: false)  // b x
                case 0x6E: return try plainString(start: index, prefixLength: 1, mayBeName: false)  // n
                default: return nil
                }
            }
            if letter == 0x75 && b1 == 0x26 {  // u&
                let quote = byte(at: index + 2)
                if quote == 0x27 {
                    let start = index
                    index += 2
                    let token = try plainString(start: start, prefixLength: 0, mayBeName: false, allowsBackslash: true)
                    _ = try uescape()
                    return token
                }
                if quote == 0x22 {
                    let start = index
                    index += 2
                    let raw = try quotedName(close: 0x22, escapesByDoubling: true)
                    let escape = try uescape() ?? 0x5C
                    let name = try Self.decodeUnicodeEscapes(raw, escape: escape, at: start)
                    try checkLength(name, at: start)
                    return token(.quotedIdentifier, text: name, offset: start)
                }
            }
            return nil
        }
        if letter == 0x78 && b1 == 0x27 { return try plainString(start: index, prefixLength: 1, mayBeName: false) }
        return nil
    }

    private mutating func word() throws(Refusal) -> Token {
        let start = index
        while index < bytes.count && Self.isIdentifierPart(bytes[index]) { index += 1 }
        if let limit = dialect.maximumIdentifierLength, index - start > limit {
            throw Refusal("identifier longer than \(limit) bytes (PostgreSQL would truncate it)", at: start)
        }
        return Token(kind: .word, keyword: Keyword(source: bytes, start: start, count: index - start), offset: start, end: index)
    }

    private func checkLength(_ name: [UInt8], at offset: Int) throws(Refusal) {
        if let limit = dialect.maximumIdentifierLength, name.count > limit {
            throw Refusal("identifier longer than \(limit) bytes (PostgreSQL would truncate it)", at: offset)
        }
    }

    private mutating func number() throws(Refusal) -> Token {
        let start = index
        if dialect == .sqlite && bytes[index] == 0x30 && (byte(at: index + 1) | 0x20) == 0x78 && Self.isHexDigit(byte(at: index + 2)) {
            index += 2
            while index < bytes.count && Self.isHexDigit(bytes[index]) { index += 1 }
        } else {
            while index < bytes.count && Self.isDigit(bytes[index]) { index += 1 }
            if byte(at: index) == 0x2E {
                index += 1
                while index < bytes.count && Self.isDigit(bytes[index]) { index += 1 }
            }
            if (byte(at: index) | 0x20) == 0x65 {
                var j = index + 1
                if byte(at: j) == 0x2B || byte(at: j) == 0x2D { j += 1 }
                if Self.isDigit(byte(at: j)) {
                    index = j
                    while index < bytes.count && Self.isDigit(bytes[index]) { index += 1 }
                }
            }
        }
        if index < bytes.count && (Self.isIdentifierPart(bytes[index]) || bytes[index] == 0x2E) {
            throw Refusal("a number runs into a name or another number", at: start)
        }
        return token(.number, offset: start)
    }

    /// `'…'` with `''` for a quote, after `prefixLength` letters. On PostgreSQL a backslash in a
    /// plain string is refused (its meaning depends on `standard_conforming_strings`).
    private mutating func plainString(start: Int, prefixLength: Int, mayBeName: Bool, allowsBackslash: Bool = false) throws(Refusal) -> Token {
        index += prefixLength + 1
        var value: [UInt8] = []
        while true {
            guard index < bytes.count else { throw Refusal("unterminated string literal", at: start) }
            let c = bytes[index]
            if c == 0x27 {
                if byte(at: index + 1) == 0x27 {
                    value.append(c)
                    index += 2
                    continue
                }
                index += 1
                break
            }
            if c == 0 { throw Refusal("NUL byte in the query", at: index) }
            if c == 0x5C && dialect.hasPostgresLiterals && !allowsBackslash {
                throw Refusal(
                    "backslash in a plain string literal: its meaning depends on standard_conforming_strings (use E'…')", at: start)
            }
            if mayBeName { value.append(c) }
            index += 1
        }
        guard mayBeName && dialect.acceptsStringsAsNames else { return token(.otherString, offset: start) }
        return token(.string, text: value.map(asciiLowercased), offset: start)
    }

    /// PostgreSQL's `E'…'`: a backslash escapes the next byte, `''` is a quote.
    private mutating func escapeString() throws(Refusal) -> Token {
        let start = index
        index += 2
        while true {
            guard index < bytes.count else { throw Refusal("unterminated string literal", at: start) }
            let c = bytes[index]
            if c == 0 { throw Refusal("NUL byte in the query", at: index) }
            if c == 0x5C {
                index += 2
            } else if c == 0x27 {
                if byte(at: index + 1) == 0x27 {
                    index += 2
                } else {
                    index += 1
                    return token(.otherString, offset: start)
                }
            } else {
                index += 1
            }
        }
    }

    /// PostgreSQL's `$tag$…$tag$` (the tag may be empty); the body runs to the same tag.
    private mutating func dollarString() throws(Refusal) -> Token {
        let start = index
        var j = index + 1
        if Self.isIdentifierStart(byte(at: j)) {
            while j < bytes.count && (Self.isIdentifierStart(bytes[j]) || Self.isDigit(bytes[j])) { j += 1 }
        }
        guard byte(at: j) == 0x24 else { throw Refusal("a $ that starts neither a dollar-quoted string nor a name", at: start) }
        let tag = bytes[start...j]
        var k = j + 1
        while k + tag.count <= bytes.count {
            if bytes[k] == 0 { throw Refusal("NUL byte in the query", at: k) }
            if bytes[k] == 0x24 && bytes[k..<(k + tag.count)].elementsEqual(tag) {
                index = k + tag.count
                return token(.otherString, offset: start)
            }
            k += 1
        }
        throw Refusal("unterminated dollar-quoted string", at: start)
    }

    /// A quoted identifier up to `close`; `escapesByDoubling` makes a doubled `close` one
    /// character of the name. Empty names are refused (PostgreSQL refuses them too).
    private mutating func quotedIdentifier(close: UInt8, escapesByDoubling: Bool) throws(Refusal) -> Token {
        let start = index
        let name = try quotedName(close: close, escapesByDoubling: escapesByDoubling)
        try checkLength(name, at: start)
        return token(.quotedIdentifier, text: name, offset: start)
    }

    /// The unescaped name of a quoted identifier (ASCII case folded where the dialect folds it).
    private mutating func quotedName(close: UInt8, escapesByDoubling: Bool) throws(Refusal) -> [UInt8] {
        let start = index
        index += 1
        var name: [UInt8] = []
        while true {
            guard index < bytes.count else { throw Refusal("unterminated quoted identifier", at: start) }
            let c = bytes[index]
            if c == 0 { throw Refusal("NUL byte in the query", at: index) }
            if c == close {
                if escapesByDoubling && byte(at: index + 1) == close {
                    name.append(c)
                    index += 2
                    continue
                }
                index += 1
                break
            }
            name.append(c)
            index += 1
        }
        guard !name.isEmpty else { throw Refusal("zero-length quoted identifier", at: start) }
        if !dialect.hasCaseSensitiveQuotedIdentifiers {
            for i in name.indices { name[i] = asciiLowercased(name[i]) }
        }
        return name
    }

    /// After a `U&` literal: an optional `UESCAPE 'c'` (comments and whitespace may come
    /// between, as PostgreSQL's parser allows). Returns the escape byte when present.
    private mutating func uescape() throws(Refusal) -> UInt8? {
        var j = try skipTrivia(from: index)
        let word: [UInt8] = Array("uescape".utf8)
        guard j + word.count <= bytes.count, bytes[j..<(j + word.count)].map(asciiLowercased).elementsEqual(word),
            !Self.isIdentifierPart(byte(at: j + word.count))
        else { return nil }
        let at = j
        j = try skipTrivia(from: j + word.count)
        guard byte(at: j) == 0x27, byte(at: j + 2) == 0x27 else { throw Refusal("UESCAPE needs a one-character string", at: at) }
        let escape = bytes[j + 1]
        guard !Self.isHexDigit(escape), escape != 0x2B, escape != 0x27, escape != 0x22, !Self.isWhitespace(escape), escape >= 0x20,
            escape < 0x80
        else { throw Refusal("invalid UESCAPE character", at: at) }
        index = j + 3
        return escape
    }

    /// Decodes PostgreSQL's `U&"…"` escapes: `\XXXX`, `\+XXXXXX`, `\\` (with `\` the escape byte),
    /// surrogate pairs combined. Anything malformed is refused.
    static func decodeUnicodeEscapes(_ raw: [UInt8], escape: UInt8, at offset: Int) throws(Refusal) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        var pendingHigh: UInt32?
        func hex(_ start: Int, _ count: Int) -> UInt32? {
            guard start + count <= raw.count else { return nil }
            var value: UInt32 = 0
            for k in start..<(start + count) {
                let c = raw[k]
                guard isHexDigit(c) else { return nil }
                value = value * 16 + UInt32(isDigit(c) ? c - 0x30 : (c | 0x20) - 0x61 + 10)
            }
            return value
        }
        while i < raw.count {
            let c = raw[i]
            guard c == escape else {
                if pendingHigh != nil { throw Refusal("invalid Unicode surrogate pair in U& identifier", at: offset) }
                out.append(c)
                i += 1
                continue
            }
            if i + 1 < raw.count && raw[i + 1] == escape {
                if pendingHigh != nil { throw Refusal("invalid Unicode surrogate pair in U& identifier", at: offset) }
                out.append(escape)
                i += 2
                continue
            }
            var scalarValue: UInt32
            if i + 1 < raw.count && raw[i + 1] == 0x2B, let value = hex(i + 2, 6) {
                scalarValue = value
                i += 8
            } else if let value = hex(i + 1, 4) {
                scalarValue = value
                i += 5
            } else {
                throw Refusal("invalid Unicode escape in U& identifier", at: offset)
            }
            if let high = pendingHigh {
                guard (0xDC00...0xDFFF).contains(scalarValue) else { throw Refusal("invalid Unicode surrogate pair in U& identifier", at: offset) }
                scalarValue = 0x10000 + ((high - 0xD800) << 10) + (scalarValue - 0xDC00)
                pendingHigh = nil
            } else if (0xD800...0xDBFF).contains(scalarValue) {
                pendingHigh = scalarValue
                continue
            }
            guard scalarValue != 0, let scalar = Unicode.Scalar(scalarValue) else {
                throw Refusal("invalid Unicode escape in U& identifier", at: offset)
            }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
        }
        if pendingHigh != nil { throw Refusal("invalid Unicode surrogate pair in U& identifier", at: offset) }
        guard !out.isEmpty else { throw Refusal("zero-length quoted identifier", at: offset) }
        return out
    }

    // MARK: Operators

    /// SQLite's operators, spelled out as its tokenizer knows them.
    private mutating func sqliteOperator() throws(Refusal) -> Token {
        let start = index
        let b = bytes[index]
        let b1 = byte(at: index + 1)
        let length: Int
        switch b {
        case 0x7C: length = b1 == 0x7C ? 2 : 1  // || |
        case 0x3C: length = (b1 == 0x3C || b1 == 0x3D || b1 == 0x3E) ? 2 : 1  // << <= <> <
        case 0x3E: length = (b1 == 0x3E || b1 == 0x3D) ? 2 : 1  // >> >= >
        case 0x3D: length = b1 == 0x3D ? 2 : 1  // == =
        case 0x21:
            guard b1 == 0x3D else { throw Refusal("unexpected character '!'", at: start) }
            length = 2
        case 0x2D: length = b1 == 0x3E ? (byte(at: index + 2) == 0x3E ? 3 : 2) : 1  // ->> -> -
        case 0x2B, 0x2A, 0x2F, 0x25, 0x26, 0x7E: length = 1  // + * / % & ~
        default:
            throw Refusal("unexpected character '\(String(decoding: [b], as: UTF8.self))'", at: start)
        }
        index += length
        if length == 1 && b == 0x2A { return token(.star, offset: start) }
        var text = Array(bytes[start..<index])
        if text == [0x21, 0x3D] || text == [0x3D, 0x3D] { text = text == [0x3D, 0x3D] ? [0x3D] : [0x3C, 0x3E] }
        return token(.op, text: text, offset: start)
    }

    @inline(__always) private static func isPostgresOperatorByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x7E, 0x21, 0x40, 0x23, 0x5E, 0x26, 0x7C, 0x60, 0x3F, 0x2B, 0x2D, 0x2A, 0x2F, 0x25, 0x3C, 0x3E, 0x3D: true
        default: false
        }
    }

    /// PostgreSQL's operator rule: the longest run of operator characters, stopping before `--`
    /// or `/*`; a run of several characters may not end in `+` or `-` unless it contains one of
    /// `~ ! @ # % ^ & | ` ?` (so `a*-1` is `*` then `-`).
    private mutating func postgresOperator() throws(Refusal) -> Token {
        let start = index
        var end = index
        while end < bytes.count && Self.isPostgresOperatorByte(bytes[end]) {
            if end > start && ((bytes[end] == 0x2D && byte(at: end + 1) == 0x2D) || (bytes[end] == 0x2F && byte(at: end + 1) == 0x2A)) { break }
            end += 1
        }
        guard end > start else {
            throw Refusal("unexpected character '\(String(decoding: [bytes[start]], as: UTF8.self))'", at: start)
        }
        if end - start > 1 {
            let hasSpecial = bytes[start..<end].contains { [0x7E, 0x21, 0x40, 0x23, 0x25, 0x5E, 0x26, 0x7C, 0x60, 0x3F].contains($0) }
            if !hasSpecial {
                while end - start > 1 && (bytes[end - 1] == 0x2B || bytes[end - 1] == 0x2D) { end -= 1 }
            }
        }
        index = end
        if end - start == 1 && bytes[start] == 0x2A { return token(.star, offset: start) }
        var text = Array(bytes[start..<end])
        if text == [0x21, 0x3D] { text = [0x3C, 0x3E] }
        return token(.op, text: text, offset: start)
    }
}
