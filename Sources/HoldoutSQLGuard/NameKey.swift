/// A name's bytes as a set element, hashed in one pass over the bytes (`[UInt8]`'s own hash
/// feeds the hasher one byte at a time). Equality is byte equality: identifiers are bytes.
struct NameKey: Hashable, Sendable {
    var bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

extension Set<NameKey> {
    init(names: some Sequence<[UInt8]>) { self.init(names.map(NameKey.init)) }

    func contains(_ bytes: [UInt8]) -> Bool { contains(NameKey(bytes)) }
}
