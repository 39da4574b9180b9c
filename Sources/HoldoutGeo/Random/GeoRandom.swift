/// xoshiro256** 1.0 seeded by SplitMix64: the designs' seeded generator.
///
/// The same algorithm and seeding as `HoldoutSimulation.Xoshiro256StarStar` (Blackman & Vigna,
/// ACM TOMS 47, 2021), copied rather than imported so that HoldoutGeo depends only on
/// HoldoutStats (HoldoutSimulation brings Yams and the simulator); the tests pin it to the
/// same vectors (`spec/random-vectors.json`), so the two cannot drift apart unnoticed.
struct GeoRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    private static func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    mutating func next() -> UInt64 {
        let result = Self.rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotateLeft(s3, 45)
        return result
    }

    /// A uniform double in [0, 1): (next() >> 11) · 2⁻⁵³.
    mutating func nextUniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform integer in 0..<n by rejection (no modulo bias), n > 0.
    mutating func nextIndex(_ n: Int) -> Int {
        let bound = UInt64(n)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let value = next()
            if value < limit { return Int(value % bound) }
        }
    }
}
