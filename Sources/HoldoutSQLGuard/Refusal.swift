/// Why a query is refused: one sentence that names the relation, function or construct, and
/// where in the text the problem was found when it is a lexical or grammatical one.
///
/// Thrown by the tokenizer and parser (which refuse what they do not understand: fail closed)
/// and produced by the analyzer (which refuses what it understands but does not allow).
struct Refusal: Error, Sendable, Equatable {
    var message: String

    init(_ message: String) { self.message = message }

    init(_ message: String, at offset: Int) { self.message = "\(message) (at byte \(offset))" }
}
