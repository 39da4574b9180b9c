import HoldoutCharts
import Testing

@Suite("Markdown table")
struct MarkdownTableTests {
    @Test("Header, alignment row and rows")
    func layout() {
        let table = MarkdownTable(header: ["metric", "lift"], rows: [["conversion", "+3.1%"], ["visit"]], numericColumns: [1])
        #expect(table.render() == "| metric | lift |\n| --- | ---: |\n| conversion | +3.1% |\n| visit |  |\n")
        let wide = MarkdownTable(header: ["a"], rows: [["1", "2"]])
        #expect(wide.render() == "| a |  |\n| --- | --- |\n| 1 | 2 |\n")
    }

    @Test("Pipes, backslashes, markup and line breaks cannot break a cell")
    func escaping() {
        #expect(MarkdownTable.escape("a|b") == "a\\|b")
        #expect(MarkdownTable.escape("a\\|b") == "a\\\\\\|b")
        #expect(MarkdownTable.escape("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;")
        #expect(MarkdownTable.escape("R&D\nline\r\nnext") == "R&amp;D line  next")
        #expect(MarkdownTable.escape("café ✓ 日本語") == "café ✓ 日本語")
        for label in hostileLabels + ["|", "a || b", "\\", "x\\"] {
            let text = MarkdownTable(header: ["k", "v"], rows: [[label, label]]).render()
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
            #expect(lines.count == 3)
            for line in lines {
                // Unescaped pipes: a pipe not preceded by an odd run of backslashes.
                var pipes = 0
                var backslashes = 0
                for character in line {
                    if character == "|" && backslashes % 2 == 0 { pipes += 1 }
                    backslashes = character == "\\" ? backslashes + 1 : 0
                }
                #expect(pipes == 3, "\(line)")
            }
        }
    }
}
