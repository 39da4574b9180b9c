import Crypto
public import HoldoutStore

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

    public init(experimentKey: String, salt: String, variants: [Variant]) {
        self.experimentKey = experimentKey
        self.salt = salt
        self.variants = variants
    }

    public init(_ experiment: Experiment) {
        self.init(experimentKey: experiment.key, salt: experiment.salt, variants: experiment.variants)
    }

    /// u ∈ [0, 1) for a profile.
    public func unitInterval(for profileID: String) -> Double {
        Self.unitInterval(profileID: profileID, experimentKey: experimentKey, salt: salt)
    }

    public static func unitInterval(profileID: String, experimentKey: String, salt: String) -> Double {
        let digest = SHA256.hash(data: Array("\(profileID):\(experimentKey):\(salt)".utf8))
        var prefix: UInt64 = 0
        for (index, byte) in digest.enumerated() where index < 8 {
            prefix = prefix << 8 | UInt64(byte)
        }
        // Exact: a UInt64 divided by 2⁶⁴ (the conversion to Double rounds to 53 bits, as in Python).
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
