import HoldoutCore
import HoldoutModel
import Testing

/// `holdout analyze`'s settings at and past their limits: each refusal names its field.
@Suite("Analysis pipeline settings")
struct AnalysisSettingsTests {
    @Test("learners parse as meta:base; anything else is refused naming learners")
    func learners() throws {
        #expect(try UpliftLearnerChoice(parsing: "s:gbdt") == .init(meta: .s, base: .gbdt))
        #expect(try UpliftLearnerChoice(parsing: "class-transformation:logistic").description == "class-transformation:logistic")
        for bad in ["s", "s:", ":gbdt", "s:gbdt:x", "q:gbdt", "s:forest", "", "S:GBDT"] {
            #expect {
                _ = try UpliftLearnerChoice(parsing: bad)
            } throws: { error in
                (error as? HoldoutError)?.field == "learners"
            }
        }
    }

    @Test("every setting is checked at its bounds, and a refusal names the setting")
    func bounds() throws {
        try AnalysisPipeline.Settings().validate()
        func refused(_ field: String, _ change: (inout AnalysisPipeline.Settings) -> Void) {
            var settings = AnalysisPipeline.Settings()
            change(&settings)
            #expect(throws: HoldoutError.self) { try settings.validate() }
            do { try settings.validate() } catch { #expect(error.field == field, "\(field)") }
        }
        func accepted(_ change: (inout AnalysisPipeline.Settings) -> Void) {
            var settings = AnalysisPipeline.Settings()
            change(&settings)
            #expect(throws: Never.self) { try settings.validate() }
        }
        refused("alpha") { $0.alpha = 0 }
        refused("alpha") { $0.alpha = .nan }
        refused("srm_threshold") { $0.srmThreshold = 1 }
        refused("minimum_effect") { $0.minimumEffect = 0 }
        refused("uplift_rows") { $0.upliftRows = 99 }
        refused("uplift_rows") { $0.upliftRows = 20_000_001 }
        accepted { $0.upliftRows = 100 }
        accepted { $0.upliftRows = 20_000_000 }
        refused("train_fraction") { $0.trainFraction = 1 }
        refused("k") { $0.k = 0 }
        refused("trees") { $0.trees = 2_001 }
        accepted { $0.trees = 2_000 }
        refused("depth") { $0.depth = 17 }
        accepted { $0.depth = 16 }
        refused("learning_rate") { $0.learningRate = 0 }
        refused("min_leaf") { $0.minLeaf = 0 }
        refused("learners") { $0.learners = [] }
        refused("learners") { $0.learners = Array(repeating: .init(meta: .s, base: .logistic), count: 11) }
    }
}
