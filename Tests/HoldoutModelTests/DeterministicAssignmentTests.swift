import Foundation
import HoldoutModel
import Testing

@Suite("Deterministic assignment")
struct DeterministicAssignmentTests {
    struct Vectors: Decodable {
        struct V: Decodable {
            struct Arm: Decodable { let name: String; let weight: Double }
            let profile_id, experiment_key, salt, variant: String
            let variants: [Arm]
            let u: Double
        }
        let vectors: [V]
    }

    @Test("matches the published vectors (computed with Python's hashlib)")
    func vectors() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("spec/assignment-vectors.json")
        let file = try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
        #expect(file.vectors.count > 200)
        for v in file.vectors {
            let a = DeterministicAssignment(
                experimentKey: v.experiment_key, salt: v.salt, variants: v.variants.map { Variant(name: $0.name, weight: $0.weight) })
            #expect(a.unitInterval(for: v.profile_id) == v.u, "u for \(v.profile_id)")
            #expect(a.variant(for: v.profile_id) == v.variant, "variant for \(v.profile_id) in \(v.experiment_key)")
        }
    }
}
