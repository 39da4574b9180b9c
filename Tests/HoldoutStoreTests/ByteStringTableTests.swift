import HoldoutStore
import Testing

/// The orders import's table of distinct byte strings against `Set` and `Dictionary` of byte
/// arrays as the reference: numbers in first-seen order, bytes compared exactly (never
/// normalised), through growth, and with no hash bits kept in the slots (every probe then
/// compares bytes, as on a collision).
@Suite("ByteStringTable: distinct byte strings, numbered in first-seen order")
struct ByteStringTableTests {
    /// Strings that stress the hash's word loop and tail: empty, 1–40 bytes, shared prefixes
    /// longer than a word, the same text in two Unicode normal forms, NUL and 0xFF-free UTF-8.
    static func strings(_ n: Int) -> [String] {
        var out = ["", "a", "é", "e\u{301}", "\u{0}", "\u{0}\u{0}", "0123456789abcdef", "0123456789abcdeg", "0123456789abcdef0"]
        for i in 0..<n {
            let length = i % 41
            var text = String(repeating: "x", count: length / 2) + "\(i % 977)"
            if i % 3 == 0 { text = "o\(i / 3)" }
            out.append(text)
        }
        return out
    }

    @Test(
        "insert agrees with Dictionary<[UInt8], Int> through growth, and bytes gives each string back",
        arguments: [(0, true), (7, true), (0xdead_beef, true), (7, false)] as [(UInt64, Bool)])
    func agreesWithDictionary(seed: UInt64, tags: Bool) {
        var table = ByteStringTable(seed: seed, tagMask: tags ? .max : 0)
        var reference: [[UInt8]: Int] = [:]
        for text in Self.strings(60_000) {
            let key = Array(text.utf8)
            let expected = reference[key]
            let (number, inserted) = table.insert(text)
            if let expected {
                #expect(!inserted && number == expected, "\(text.debugDescription)")
            } else {
                #expect(inserted && number == reference.count, "\(text.debugDescription)")
                reference[key] = number
            }
        }
        #expect(table.count == reference.count)
        for (key, number) in reference { #expect(Array(table.bytes(number)) == key) }
        // Composed and decomposed é are two identifiers.
        #expect(table.insert("é").number != table.insert("e\u{301}").number)
    }

    @Test("a capacity given up front holds that many without changing the numbers")
    func capacity() {
        var table = ByteStringTable(capacity: 100_000)
        for i in 0..<100_000 { #expect(table.insert("id-\(i)") == (i, true)) }
        for i in stride(from: 0, to: 100_000, by: 997) { #expect(table.insert("id-\(i)") == (i, false)) }
        #expect(table.count == 100_000)
    }

    @Test("the hash depends on the seed, the length and every byte")
    func hash() {
        func h(_ text: String, _ seed: UInt64) -> UInt64 {
            var text = text
            return text.withUTF8 { ByteStringTable.hash($0, seed: seed) }
        }
        #expect(h("order-1", 1) != h("order-1", 2))
        // An empty buffer with no address and one with an address are the same empty string.
        let storage = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
        defer { storage.deallocate() }
        let withAddress = UnsafeBufferPointer(start: UnsafePointer(storage), count: 0)
        #expect(withAddress.baseAddress != nil)
        #expect(ByteStringTable.hash(UnsafeBufferPointer(start: nil, count: 0), seed: 9) == ByteStringTable.hash(withAddress, seed: 9))
        var table = ByteStringTable(seed: 9)
        #expect(table.insert(UnsafeBufferPointer(start: nil, count: 0)) == (0, true))
        #expect(table.insert(withAddress) == (0, false))
        #expect(h("", 1) != h("\u{0}", 1))
        #expect(h("\u{0}", 1) != h("\u{0}\u{0}", 1))
        #expect(h("0123456789abcdef", 1) != h("0123456789abcdeg", 1))
        #expect(h("12345678", 1) != h("123456789", 1))
        // Distinct hashes over many short ids (64 bits: a collision here would be a defect).
        var seen = Set<UInt64>()
        for i in 0..<200_000 { seen.insert(h("o\(i)", 42)) }
        #expect(seen.count == 200_000)
    }
}
