import Foundation

/// Distinct byte strings, each numbered in the order it was first inserted: the orders import's
/// set of order ids seen in its input and its geo numbers.
///
/// Hand-written rather than `Set<ByteKey>` / `Dictionary<ByteKey, Int32>`: on a 20-million-order
/// import (`holdout bench geo --orders 20000000 --geos 50000`, session 9) those two took about
/// 16% of the process's CPU time — SipHash per row, the generic probing, and re-hashing every
/// string each time the set doubled. Here the bytes live once in one arena; a slot holds 32 bits
/// of the string's hash beside its number, so a probe compares bytes only when those bits agree,
/// and growing re-hashes from the arena.
///
/// Strings are compared byte for byte (opaque identifiers: never normalised). The hash is
/// seeded per table from the system's random source, so an input cannot choose strings that
/// collide without knowing the seed.
package struct ByteStringTable {
    /// 0: empty; else the hash's upper 32 bits << 32 | (number + 1).
    private var slots: [UInt64]
    /// Where string `i` starts in `arena`; `offsets[count]` is the arena's end.
    private var offsets: [Int] = [0]
    private var arena: [UInt8] = []
    private let seed: UInt64
    /// Which bits of the hash a slot keeps (the upper 32; tests keep none, so every probe
    /// compares bytes).
    private let tagMask: UInt64

    /// How many distinct strings.
    package var count: Int { offsets.count - 1 }

    /// Room for `capacity` strings before growing.
    package init(capacity: Int = 0, seed: UInt64 = .random(in: .min ... .max), tagMask: UInt64 = 0xFFFF_FFFF_0000_0000) {
        self.seed = seed
        self.tagMask = tagMask & 0xFFFF_FFFF_0000_0000
        var size = 16
        while size * 5 < max(capacity, 1) * 8 { size *= 2 }  // at most 5/8 full
        slots = [UInt64](repeating: 0, count: size)
        offsets.reserveCapacity(capacity + 1)
    }

    /// The string's number, and whether it was new.
    @discardableResult
    package mutating func insert(_ text: String) -> (number: Int, inserted: Bool) {
        var text = text
        return text.withUTF8 { insert($0) }
    }

    /// The number of the string of `bytes`, and whether it was new.
    @discardableResult
    package mutating func insert(_ bytes: UnsafeBufferPointer<UInt8>) -> (number: Int, inserted: Bool) {
        if (count + 1) * 8 > slots.count * 5 { grow() }
        let hash = Self.hash(bytes, seed: seed)
        let tag = hash & tagMask
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = slots[i]
            if slot == 0 { break }
            if slot & 0xFFFF_FFFF_0000_0000 == tag {
                let number = Int(truncatingIfNeeded: slot & 0xFFFF_FFFF) - 1
                if equals(number, bytes) { return (number, false) }
            }
            i = (i + 1) & mask
        }
        let number = count
        slots[i] = tag | UInt64(number + 1)
        arena.append(contentsOf: bytes)
        offsets.append(arena.count)
        return (number, true)
    }

    /// The bytes of string `number`.
    package func bytes(_ number: Int) -> ArraySlice<UInt8> { arena[offsets[number]..<offsets[number + 1]] }

    private func equals(_ number: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = offsets[number]
        let length = offsets[number + 1] - start
        guard length == bytes.count else { return false }
        return arena.withUnsafeBufferPointer { stored in
            length == 0 || memcmp(stored.baseAddress! + start, bytes.baseAddress!, length) == 0
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        var fresh = [UInt64](repeating: 0, count: size)
        let mask = size - 1
        arena.withUnsafeBufferPointer { stored in
            for number in 0..<count {
                let start = offsets[number]
                let hash = Self.hash(UnsafeBufferPointer(rebasing: stored[start..<offsets[number + 1]]), seed: seed)
                var i = Int(truncatingIfNeeded: hash) & mask
                while fresh[i] != 0 { i = (i + 1) & mask }
                fresh[i] = hash & tagMask | UInt64(number + 1)
            }
        }
        slots = fresh
    }

    /// The upper and lower halves of the 128-bit product, folded (the step of wyhash).
    @inline(__always)
    private static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    /// A seeded hash of the bytes, eight at a time: each word is folded with the running state
    /// and the seed, the length goes into the last step.
    package static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        let k0: UInt64 = 0xa076_1d64_78bd_642f
        let k1: UInt64 = 0xe703_7ed1_a0b4_28db
        var state = seed ^ k0
        var tail: UInt64 = 0
        // An empty buffer may or may not have an address: both hash as the empty string.
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            var offset = 0
            while offset + 8 <= bytes.count {
                let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                state = fold(state ^ word, seed ^ k1)
                offset += 8
            }
            var shift: UInt64 = 0
            while offset < bytes.count {
                tail |= UInt64(base[offset]) << shift
                shift += 8
                offset += 1
            }
        }
        state = fold(state ^ tail, seed ^ k1 ^ UInt64(bytes.count))
        return fold(state ^ k1, UInt64(bytes.count) ^ k0)
    }
}
