import Testing

@testable import HoldoutSQLGuard

@Suite("Tokenizer, per dialect")
struct TokenizerTests {
    static func kinds(_ query: String, _ dialect: SQLDialect) throws -> [Token.Kind] {
        try Tokenizer.tokenize(query, dialect: dialect).tokens.map(\.kind).dropLast()
    }

    static func names(_ query: String, _ dialect: SQLDialect) throws -> [[UInt8]] {
        let list = try Tokenizer.tokenize(query, dialect: dialect)
        return list.tokens.filter { $0.kind == .word || $0.kind == .quotedIdentifier }.map { list.key($0) }
    }

    static func refusal(_ query: String, _ dialect: SQLDialect) -> String? {
        do {
            _ = try Tokenizer.tokenize(query, dialect: dialect)
            return nil
        } catch {
            return error.message
        }
    }

    @Test("Block comments nest in PostgreSQL and end at the first */ in SQLite")
    func nestedComments() throws {
        #expect(try Self.kinds("SELECT /* /* */ 1 */ 2", .postgres) == [.word, .number])
        #expect(try Self.kinds("SELECT /* /* */ 1 */ 2", .sqlite) == [.word, .number, .star, .op, .number])
        #expect(try Self.kinds("SELECT 1 /*/ x /*/", .sqlite) == [.word, .number])
        #expect(Self.refusal("SELECT 1 /*/ x /*/", .postgres)?.contains("unterminated") == true)
    }

    @Test("An unterminated block comment is refused on both engines (SQLite would run it to the end)")
    func unterminatedComment() {
        for dialect in SQLDialect.allCases {
            #expect(Self.refusal("SELECT 1 /* x", dialect)?.contains("unterminated /* comment") == true)
        }
    }

    @Test("A -- comment ends at \\r on PostgreSQL only")
    func carriageReturn() throws {
        #expect(try Self.names("SELECT 1 -- x\r, secret", .postgres).map { String(decoding: $0, as: UTF8.self) } == ["select", "secret"])
        #expect(try Self.names("SELECT 1 -- x\r, secret", .sqlite).map { String(decoding: $0, as: UTF8.self) } == ["select"])
        #expect(try Self.kinds("SELECT 1 -- x\n, y", .sqlite) == [.word, .number, .comma, .word])
    }

    @Test("NUL and control bytes other than the shared whitespace are refused", arguments: ["\u{0}", "\u{0B}", "\u{1B}", "\u{7F}"])
    func controlBytes(_ byte: String) {
        for dialect in SQLDialect.allCases {
            #expect(Self.refusal("SELECT 1\(byte)FROM t", dialect) != nil)
            #expect(Self.refusal("SELECT 1 -- \(byte)", dialect) != nil || byte != "\u{0}")
        }
        #expect(Self.refusal("SELECT\t1\r\n\u{0C}", .sqlite) == nil)
    }

    @Test("PostgreSQL's E'…' skips backslash escapes; SQLite sees a plain string and more")
    func escapeStrings() throws {
        #expect(try Self.kinds("SELECT E'a\\'b' x", .postgres) == [.word, .otherString, .word])
        #expect(try Self.kinds("SELECT E'a\\\\' x", .postgres) == [.word, .otherString, .word])
        #expect(Self.refusal("SELECT E'a\\'b' x", .sqlite)?.contains("unterminated string") == true)
        #expect(try Self.kinds("SELECT E'a\\' FROM t --'", .sqlite) == [.word, .word, .string, .word, .word])
    }

    @Test("A backslash in a plain PostgreSQL string is refused (standard_conforming_strings decides where it ends)")
    func backslashInPlainString() {
        #expect(Self.refusal("SELECT 'a\\' x", .postgres)?.contains("standard_conforming_strings") == true)
        #expect(Self.refusal("SELECT 'a\\' x", .sqlite) == nil)
        #expect(Self.refusal("SELECT U&'\\0041'", .postgres) == nil)
    }

    @Test("Dollar quotes run to their own tag")
    func dollarQuotes() throws {
        #expect(try Self.kinds("SELECT $$ it's $$, $a$ $$ $a$, $b_1$x$b_1$", .postgres) == [.word, .otherString, .comma, .otherString, .comma, .otherString])
        #expect(Self.refusal("SELECT $a$ x $b$", .postgres)?.contains("unterminated dollar") == true)
        #expect(Self.refusal("SELECT $1", .postgres)?.contains("parameters") == true)
        #expect(Self.refusal("SELECT $$x$$", .sqlite)?.contains("parameters") == true)
        #expect(try Self.names("SELECT a$b$ FROM t", .postgres).count == 4)
    }

    @Test("U&\"…\" identifiers are decoded, with UESCAPE and surrogate pairs")
    func unicodeIdentifiers() throws {
        #expect(try Self.names("SELECT U&\"d\\0061t\\+000061\"", .postgres).last == Array("data".utf8))
        #expect(
            try Self.names("SELECT U&\"d!0061ta\" /* c */ UESCAPE '!' FROM t", .postgres) == [
                Array("select".utf8), Array("data".utf8), Array("from".utf8), [0x74],
            ])
        #expect(try Self.names("SELECT U&\"\\D83D\\DE00\"", .postgres).last == Array("😀".utf8))
        #expect(try Self.names("SELECT U&\"a\\\\b\"", .postgres).last == Array("a\\b".utf8))
        for bad in ["U&\"\\00\"", "U&\"\\D83D\"", "U&\"\\DE00x\"", "U&\"\\0000\"", "U&\"\\+110000\"", "U&\"x\" UESCAPE 'a'", "U&\"x\" UESCAPE '!!'"] {
            #expect(Self.refusal("SELECT \(bad)", .postgres) != nil, "\(bad)")
        }
    }

    @Test("SQLite's [x], `x` and \"x\" identifiers fold ASCII case; PostgreSQL's \"x\" is exact")
    func quotedIdentifiers() throws {
        #expect(
            try Self.names("SELECT [My Table], `a``b`, \"C\"\"D\"", .sqlite).dropFirst() == [Array("my table".utf8), Array("a`b".utf8), Array("c\"d".utf8)])
        #expect(try Self.names("SELECT \"C\"\"D\", Ab", .postgres).dropFirst() == [Array("C\"D".utf8), Array("ab".utf8)])
        #expect(Self.refusal("SELECT `x`", .postgres) == nil)  // an operator character there, refused by the parser
        #expect(try Self.kinds("SELECT a[1]", .postgres) == [.word, .word, .leftBracket, .number, .rightBracket])
        #expect(Self.refusal("SELECT \"\"", .postgres)?.contains("zero-length") == true)
    }

    @Test("Identifiers are bytes: precomposed and decomposed é differ, non-ASCII is never case-folded")
    func identifierBytes() throws {
        let precomposed = try Self.names("SELECT \"\u{E9}\"", .postgres).last
        let decomposed = try Self.names("SELECT \"e\u{301}\"", .postgres).last
        #expect(precomposed != decomposed)
        #expect(try Self.names("SELECT \u{C9}X", .sqlite).last == Array("\u{C9}x".utf8))
    }

    @Test("PostgreSQL refuses identifiers it would truncate (over 63 bytes)")
    func identifierLength() {
        let sixtyThree = String(repeating: "a", count: 63)
        #expect(Self.refusal("SELECT \(sixtyThree)", .postgres) == nil)
        #expect(Self.refusal("SELECT \(sixtyThree)b", .postgres)?.contains("63 bytes") == true)
        #expect(Self.refusal("SELECT \"\(sixtyThree)b\"", .postgres)?.contains("63 bytes") == true)
        #expect(Self.refusal("SELECT \(sixtyThree)b", .sqlite) == nil)
    }

    @Test("Operators: PostgreSQL's longest-run rule and trailing + or -, SQLite's fixed list")
    func operators() throws {
        let pg = try Tokenizer.tokenize("a*-1 <-2 @>x !=y ->>z", dialect: .postgres)
        let pgOps = pg.tokens.filter { $0.kind == .op || $0.kind == .star }.map { $0.kind == .star ? "*" : pg.spelling($0) }
        #expect(pgOps == ["*", "-", "<", "-", "@>", "<>", "->>"])
        let sqlite = try Tokenizer.tokenize("a==b!=c||d->>e<<f", dialect: .sqlite)
        #expect(sqlite.tokens.filter { $0.kind == .op }.map { sqlite.spelling($0) } == ["=", "<>", "||", "->>", "<<"])
        #expect(try Self.kinds("SELECT 1 --x", .postgres) == [.word, .number])
        #expect(try Self.kinds("SELECT 1+/*x*/2", .postgres) == [.word, .number, .op, .number])
    }

    @Test("Numbers that run into names are refused; SQLite's hex literals are numbers")
    func numbers() throws {
        #expect(try Self.kinds("SELECT 1, 1.5, .5, 1., 1e5, 2E-3", .postgres).filter { $0 == .number }.count == 6)
        #expect(try Self.kinds("SELECT 0x1F", .sqlite) == [.word, .number])
        for dialect in SQLDialect.allCases {
            #expect(Self.refusal("SELECT 1abc", dialect)?.contains("runs into") == true)
            #expect(Self.refusal("SELECT 1_000", dialect) != nil)
        }
        #expect(Self.refusal("SELECT 0x1F", .postgres) != nil)
    }

    @Test("Query parameters are refused", arguments: ["?", "?1", ":id", "@id", "$id", "#x"])
    func sqliteParameters(_ parameter: String) {
        #expect(Self.refusal("SELECT \(parameter)", .sqlite) != nil)
    }

    @Test("SQLite's X'…' and PostgreSQL's B'…', X'…', N'…' are literals")
    func prefixedStrings() throws {
        #expect(try Self.kinds("SELECT X'41'", .sqlite) == [.word, .otherString])
        #expect(try Self.kinds("SELECT B'01', X'1F', N'x'", .postgres) == [.word, .otherString, .comma, .otherString, .comma, .otherString])
        #expect(try Self.kinds("SELECT 'a''b'", .sqlite) == [.word, .string])
        let list = try Tokenizer.tokenize("SELECT 'Ab''c'", dialect: .sqlite)
        #expect(list.text(list.tokens[1]) == Array("ab'c".utf8))
    }
}
