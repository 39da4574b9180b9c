import HoldoutModel
import Testing

func ts(_ text: String) -> Timestamp {
    guard let parsed = Timestamp(parsing: text) else { fatalError("not a timestamp: \(text)") }
    return parsed
}

@Suite("Experiments: validation and the lifecycle")
struct ExperimentTests {
    @Test(
        "bad experiments are rejected with the field named",
        arguments: [
            (NewExperiment(key: "has space", name: "x"), "key"),
            (NewExperiment(name: " "), "name"),
            (NewExperiment(name: "x", variants: [Variant(name: "control", weight: 1)]), "variants"),
            (NewExperiment(name: "x", variants: [Variant(name: "a", weight: 0.5), Variant(name: "b", weight: 0.6)]), "variants"),
            (NewExperiment(name: "x", variants: [Variant(name: "a", weight: 0.5), Variant(name: "a", weight: 0.5)]), "variants"),
            (NewExperiment(name: "x", startAt: ts("2026-03-02"), endAt: ts("2026-03-01")), "end_at"),
        ])
    func invalidExperiments(new: NewExperiment, field: String) {
        #expect(throws: HoldoutError.self) { try new.validate() }
        do { try new.validate() } catch { #expect(error.field == field) }
    }

    @Test("the experiment lifecycle state machine")
    func lifecycle() {
        #expect(ExperimentStatus.draft.canTransition(to: .running))
        #expect(!ExperimentStatus.draft.canTransition(to: .paused))
        #expect(ExperimentStatus.running.canTransition(to: .paused))
        #expect(ExperimentStatus.paused.canTransition(to: .running))
        #expect(!ExperimentStatus.completed.canTransition(to: .running))
        #expect(ExperimentStatus.archived.allowedTransitions.isEmpty)
        for status in ExperimentStatus.allCases { #expect(!status.canTransition(to: status)) }
    }

    @Test("limits: at most 50 variants; keys are ASCII and never digits only; names are compared as Unicode text")
    func limits() {
        let fifty = (0..<50).map { Variant(name: "v\($0)", weight: 1.0 / 50) }
        #expect((try? NewExperiment(name: "x", variants: fifty).validate()) != nil)
        let many = (0..<51).map { Variant(name: "v\($0)", weight: 1.0 / 51) }
        #expect(throws: HoldoutError.self) { try NewExperiment(name: "x", variants: many).validate() }
        #expect(!NewExperiment.isValidKey("45") && NewExperiment.isValidKey("exp-45") && !NewExperiment.isValidKey("caf\u{E9}"))
        let same = [Variant(name: "caf\u{E9}", weight: 0.5), Variant(name: "cafe\u{301}", weight: 0.5)]
        #expect(throws: HoldoutError.self) { try NewExperiment(name: "x", variants: same).validate() }
    }
}

@Suite("Identifiers are bytes")
struct OpaqueIDTests {
    @Test("canonically equivalent spellings are two identifiers, ordered by their bytes")
    func bytes() {
        let nfc = OpaqueID("caf\u{E9}")
        let nfd = OpaqueID("cafe\u{301}")
        #expect("caf\u{E9}" == "cafe\u{301}")  // Swift's String equality: canonical equivalence
        #expect(nfc != nfd && Set([nfc, nfd]).count == 2)
        #expect(nfd < nfc)  // "e" (0x65) sorts before 0xC3
        #expect(nfc.string.utf8.elementsEqual("caf\u{E9}".utf8))
    }
}
