/// A geo identifier compared and hashed as its UTF-8 bytes (Swift `String` equality is
/// canonical equivalence, which would merge distinct ids), ordered byte-wise.
struct GeoID: Hashable, Comparable {
    let text: String

    init(_ text: String) { self.text = text }

    static func == (lhs: GeoID, rhs: GeoID) -> Bool { lhs.text.utf8.elementsEqual(rhs.text.utf8) }

    static func < (lhs: GeoID, rhs: GeoID) -> Bool { lhs.text.utf8.lexicographicallyPrecedes(rhs.text.utf8) }

    func hash(into hasher: inout Hasher) {
        var copy = text
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
