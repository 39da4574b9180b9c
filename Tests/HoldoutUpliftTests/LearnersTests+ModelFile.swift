import Foundation
import HoldoutUplift
import Testing

@Suite("Model files: versioned JSON that refuses another version, learner or feature set")
struct ModelFileTests {
    typealias TreesFile = UpliftModelFile<SLearner<BoostedTreesClassifier>.Model>

    static func fitted() throws -> (SLearner<BoostedTreesClassifier>.Model, FeatureMatrix) {
        let fixture = try LearnersFixture.load()
        let settings = GradientBoosting.Settings(iterations: 20, maxDepth: 4, maxLeafNodes: 12)
        let model = try SLearner(base: BoostedTreesClassifier(settings: settings)).fit(fixture.uplift(0..<2000))
        return (model, try fixture.features(fixture.testRows, withTreatment: false))
    }

    static func json(_ value: some Encodable) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any])
    }

    @Test("a boosted-trees S-learner round-trips through JSON with identical predictions")
    func roundTripTrees() throws {
        let (model, test) = try Self.fitted()
        let data = try JSONEncoder().encode(UpliftModelFile(model))
        let loaded = try JSONDecoder().decode(TreesFile.self, from: data).model(for: test.names)
        #expect(try loaded.uplift(test) == model.uplift(test))
        let object = try Self.json(UpliftModelFile(model))
        #expect(object["format_version"] as? Int == 1)
        #expect(object["learner"] as? String == "s_learner(boosted_trees_classifier)")
        #expect(object["feature_names"] as? [String] == LearnersFixture.featureNames)
        let inner = try #require(object["model"] as? [String: Any])
        let outcome = try #require(inner["outcome"] as? [String: Any])
        #expect((outcome["bin_edges"] as? [String: Any])?["edges"] != nil)
        #expect((outcome["trees"] as? [Any])?.count == 20)
        #expect((outcome["settings"] as? [String: Any])?["max_depth"] as? Int == 4)
    }

    @Test("logistic T-learner and ridge X-learner round-trip with identical predictions")
    func roundTripLinear() throws {
        let fixture = try LearnersFixture.load()
        let data = try fixture.uplift(0..<2000)
        let test = try fixture.features(fixture.testRows, withTreatment: false)
        let t = try TLearner(base: LogisticRegression(lambda: 0.5)).fit(data)
        let tLoaded = try JSONDecoder().decode(UpliftModelFile<TLearner<LogisticRegression>.Model>.self, from: JSONEncoder().encode(UpliftModelFile(t)))
        #expect(try tLoaded.model(for: test.names).uplift(test) == t.uplift(test))
        #expect(tLoaded.model.learner.base.lambda == 0.5)
        let x = try XLearner(outcome: LogisticRegression(), effect: RidgeRegression()).fit(data)
        let xFile = try JSONEncoder().encode(UpliftModelFile(x))
        let xLoaded = try JSONDecoder().decode(UpliftModelFile<XLearner<LogisticRegression, RidgeRegression>.Model>.self, from: xFile)
        #expect(try xLoaded.model(for: test.names).uplift(test) == x.uplift(test))
    }

    @Test("another format version is refused")
    func version() throws {
        let (model, _) = try Self.fitted()
        var object = try Self.json(UpliftModelFile(model))
        object["format_version"] = 2
        let data = try JSONSerialization.data(withJSONObject: object)
        do {
            _ = try JSONDecoder().decode(TreesFile.self, from: data)
            Issue.record("expected a version error")
        } catch let error as LearnerError {
            #expect(error.code == .unsupportedVersion)
            #expect(error.message.contains("version 2"))
        }
    }

    @Test("another learner is refused")
    func learner() throws {
        let (model, _) = try Self.fitted()
        let data = try JSONEncoder().encode(UpliftModelFile(model))
        do {
            _ = try JSONDecoder().decode(UpliftModelFile<TLearner<BoostedTreesClassifier>.Model>.self, from: data)
            Issue.record("expected a learner error")
        } catch let error as LearnerError {
            #expect(error.code == .wrongLearner)
            #expect(error.message.contains("s_learner(boosted_trees_classifier)"))
        }
    }

    @Test(
        "features that differ are refused, naming the feature",
        arguments: [
            (LearnersFixture.featureNames.map { $0 == "f3" ? "f3_new" : $0 }, "f3"),
            (Array(LearnersFixture.featureNames.dropLast()), "f11"),
            (LearnersFixture.featureNames + ["f12"], "f12"),
        ])
    func features(_ names: [String], _ named: String) throws {
        let (model, _) = try Self.fitted()
        let file = try JSONDecoder().decode(TreesFile.self, from: JSONEncoder().encode(UpliftModelFile(model)))
        do {
            _ = try file.model(for: names)
            Issue.record("expected a feature mismatch")
        } catch {
            #expect(error.code == .featureMismatch)
            #expect(error.field == named)
            #expect(error.message.contains(named))
        }
        // Scoring a matrix with those columns is refused the same way.
        let x = try FeatureMatrix(names: names, columns: names.map { _ in [0.5, 1.5] })
        #expect(throws: LearnerError.self) { try model.uplift(x) }
    }

    @Test("a file whose header features differ from its model's is refused")
    func headerMismatch() throws {
        let (model, _) = try Self.fitted()
        var object = try Self.json(UpliftModelFile(model))
        object["feature_names"] = LearnersFixture.featureNames.map { $0 == "f7" ? "visits" : $0 }
        do {
            _ = try JSONDecoder().decode(TreesFile.self, from: JSONSerialization.data(withJSONObject: object))
            Issue.record("expected a feature mismatch")
        } catch let error as LearnerError {
            #expect(error.code == .featureMismatch)
            #expect(error.message.contains("f7"))
        }
    }
}
