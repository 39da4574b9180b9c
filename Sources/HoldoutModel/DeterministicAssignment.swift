import Crypto

/// Seed 001's deterministic assignment, exactly:
///
///     h = SHA256(UTF-8 "\(profileID):\(experimentKey):\(salt)")
///     u = (first 8 bytes of h, big-endian UInt64) / 2⁶⁴
///
/// With two arms the profile is in treatment when u < treatment_rate; with K arms it is in the
/// first variant whose cumulative weight exceeds u (variants in their declared order, control
/// first — so for two arms "control" when u < w_control… see ``variant(for:)``).
///
/// Test vectors for other languages: `spec/assignment-vectors.json`.
public struct DeterministicAssignment: Sendable {
    public let experimentKey: String
    public let salt: String
    public let variants: [Variant]
    /// The UTF-8 bytes hashed after the profile id: `:\(experimentKey):\(salt)`.
    private let suffix: [UInt8]

    public init(experimentKey: String, salt: String, variants: [Variant]) {
        self.experimentKey = experimentKey
        self.salt = salt
        self.variants = variants
        self.suffix = Array(":\(experimentKey):\(salt)".utf8)
    }

    public init(_ experiment: Experiment) {
        self.init(experimentKey: experiment.key, salt: experiment.salt, variants: experiment.variants)
    }

    /// u ∈ [0, 1) for a profile.
    ///
    /// The hash is fed the profile's bytes and the experiment's suffix in place (no joined string,
    /// no digest copy): it is the hot loop of assignment, 100 hashes per typical request.
    public func unitInterval(for profileID: String) -> Double {
        var hasher = SHA256()
        var profile = profileID
        profile.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        suffix.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Self.unitInterval(hasher.finalize())
    }

    public static func unitInterval(profileID: String, experimentKey: String, salt: String) -> Double {
        unitInterval(SHA256.hash(data: Array("\(profileID):\(experimentKey):\(salt)".utf8)))
    }

    /// The first 8 bytes of a digest as a big-endian UInt64, divided by 2⁶⁴ — exact: the
    /// conversion to Double rounds to 53 bits, as in Python.
    private static func unitInterval(_ digest: SHA256.Digest) -> Double {
        let prefix = digest.withUnsafeBytes { UInt64(bigEndian: $0.loadUnaligned(as: UInt64.self)) }
        return Double(prefix) / 18_446_744_073_709_551_616.0
    }

    /// The variant for a profile.
    ///
    /// Two arms follow seed 001: treatment when u < treatment_rate, where the treatment arm is the
    /// second variant and treatment_rate its weight; otherwise control. K > 2 arms: the first
    /// variant whose cumulative weight exceeds u.
    public func variant(for profileID: String) -> String {
        Self.variant(u: unitInterval(for: profileID), variants: variants)
    }

    public static func variant(u: Double, variants: [Variant]) -> String {
        if variants.count == 2 {
            return u < variants[1].weight ? variants[1].name : variants[0].name
        }
        var cumulative = 0.0
        for variant in variants {
            cumulative += variant.weight
            if u < cumulative { return variant.name }
        }
        return variants.last?.name ?? ""
    }
}
