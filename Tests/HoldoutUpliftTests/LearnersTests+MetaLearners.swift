import HoldoutUplift
import Testing

@Suite("Meta-learners rank held-out rows by the true CATE")
struct MetaLearnerTests {
    /// Fits on the 4,000 training rows, predicts the 2,000 held-out rows.
    static func heldOut(_ fit: (UpliftTrainingData) throws -> any UpliftModel) throws -> [Double] {
        let fixture = try LearnersFixture.load()
        let model = try fit(fixture.uplift(fixture.trainRows))
        return try model.uplift(fixture.features(fixture.testRows, withTreatment: false))
    }

    /// Smaller trees for the meta-learners' base models (the arms are 3,400 and 600 rows).
    static let trees = GradientBoosting.Settings(iterations: 60, learningRate: 0.1, maxDepth: 4, maxLeafNodes: 15, minSamplesLeaf: 30)

    enum Learner: String, CaseIterable, CustomTestStringConvertible {
        case sLearnerTrees, sLearnerLogistic, tLearnerTrees, tLearnerLogistic, xLearnerTrees, xLearnerLinear
        case classTransformationTrees, classTransformationLogistic, transformedOutcomeTrees, transformedOutcomeRidge

        var testDescription: String { rawValue }

        func fit(_ data: UpliftTrainingData) throws -> any UpliftModel {
            let trees = BoostedTreesClassifier(settings: MetaLearnerTests.trees)
            let regressionTrees = BoostedTreesRegressor(settings: MetaLearnerTests.trees)
            let logistic = LogisticRegression(lambda: 1)
            switch self {
            case .sLearnerTrees: return try SLearner(base: trees).fit(data)
            case .sLearnerLogistic: return try SLearner(base: logistic).fit(data)
            case .tLearnerTrees: return try TLearner(base: trees).fit(data)
            case .tLearnerLogistic: return try TLearner(base: logistic).fit(data)
            case .xLearnerTrees: return try XLearner(outcome: trees, effect: regressionTrees).fit(data)
            case .xLearnerLinear: return try XLearner(outcome: logistic, effect: RidgeRegression(lambda: 1)).fit(data)
            case .classTransformationTrees: return try ClassTransformation(base: trees).fit(data)
            case .classTransformationLogistic: return try ClassTransformation(base: logistic).fit(data)
            case .transformedOutcomeTrees: return try TransformedOutcome(base: regressionTrees).fit(data)
            case .transformedOutcomeRidge: return try TransformedOutcome(base: RidgeRegression(lambda: 1)).fit(data)
            }
        }
    }

    @Test("predicted uplift correlates with the true CATE; the top 30% has a higher mean true CATE", arguments: Learner.allCases)
    func ranksByTrueEffect(_ learner: Learner) throws {
        let fixture = try LearnersFixture.load()
        let truth = fixture.column("cate", fixture.testRows)
        let uplift = try Self.heldOut(learner.fit)
        #expect(uplift.count == truth.count)
        #expect(uplift.allSatisfy { $0.isFinite })
        let correlation = LearnersCheck.correlation(uplift, truth)
        let top = LearnersCheck.topMean(uplift, truth, share: 0.3)
        let overall = truth.reduce(0, +) / Double(truth.count)
        #expect(correlation > 0.3, "correlation with the true CATE \(correlation)")
        #expect(top > overall, "top 30% mean true CATE \(top) vs overall \(overall)")
    }

    @Test("S-learner with boosted trees equals scikit-learn's HistGradientBoostingClassifier S-learner row by row (1e-6)")
    func sLearnerMatchesScikitLearn() throws {
        let fixture = try LearnersFixture.load()
        let uplift = try Self.heldOut { try SLearner(base: BoostedTreesClassifier()).fit($0) }
        let reference = fixture.reference.s_learner.test_uplift
        let largest = zip(uplift, reference).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest <= 1e-6, "largest difference \(largest)")
        let truth = fixture.column("cate", fixture.testRows)
        #expect(abs(LearnersCheck.correlation(uplift, truth) - fixture.reference.s_learner.correlation_with_true_cate) <= 1e-6)
        // Qini coefficient (scikit-uplift's qini_auc_score) within 5% of scikit-learn's S-learner.
        let y = fixture.column("conversion", fixture.testRows)
        let treated = fixture.column("treatment", fixture.testRows).map { $0 == 1 }
        // The helper is scikit-uplift's formula: on the true CATE it gives scikit-uplift's value.
        let trueQini = LearnersCheck.qiniAUC(y, truth, treated)
        #expect(abs(trueQini - fixture.reference.s_learner.true_cate_qini_auc) <= 1e-9, "Qini of the true CATE \(trueQini)")
        let qini = LearnersCheck.qiniAUC(y, uplift, treated)
        let expected = fixture.reference.s_learner.test_qini_auc
        #expect(abs(qini - expected) <= 0.05 * abs(expected), "Qini \(qini) vs scikit-learn S-learner \(expected)")
    }

    @Test("the S-learner adds treatment × feature columns for a linear base only")
    func sLearnerInteractions() throws {
        let fixture = try LearnersFixture.load()
        let data = try fixture.uplift(0..<1000)
        let linear = try SLearner(base: LogisticRegression()).fit(data)
        #expect(linear.hasInteractions)
        #expect(linear.outcome.featureNames == LearnersFixture.featureNames + ["treatment"] + LearnersFixture.featureNames.map { "treatment×\($0)" })
        let trees = try SLearner(base: BoostedTreesClassifier(settings: .init(iterations: 5))).fit(data)
        #expect(!trees.hasInteractions)
        #expect(trees.outcome.featureNames == LearnersFixture.featureNames + ["treatment"])
    }

    @Test("class transformation: the plain form at an 85% share warns, the corrected form does not and weights the arms to ½ each")
    func classTransformationWarning() throws {
        let fixture = try LearnersFixture.load()
        let data = try fixture.uplift(fixture.trainRows)
        #expect(data.treatmentShare > 0.8)
        let plain = try ClassTransformation(base: LogisticRegression(), form: .plain).fit(data)
        #expect(plain.warning?.code == .unequalTreatmentShare)
        #expect(plain.warning?.message.contains("50/50") == true)
        let corrected = try ClassTransformation(base: LogisticRegression()).fit(data)
        #expect(corrected.warning == nil)
        // On a 50/50 subsample the plain form is accepted, and equals the corrected one.
        let treated = data.treatment.indices.filter { data.treatment[$0] }
        let control = data.treatment.indices.filter { !data.treatment[$0] }
        let balanced = Array(treated.prefix(control.count)) + control
        let half = try UpliftTrainingData(
            features: data.features.rows(balanced), treatment: balanced.map { data.treatment[$0] }, outcome: balanced.map { data.outcome[$0] })
        let plainHalf = try ClassTransformation(base: LogisticRegression(), form: .plain).fit(half)
        let correctedHalf = try ClassTransformation(base: LogisticRegression()).fit(half)
        #expect(plainHalf.warning == nil)
        for j in plainHalf.transformed.coefficients.indices {
            #expect(abs(plainHalf.transformed.coefficients[j] - correctedHalf.transformed.coefficients[j]) <= 1e-9)
        }
    }

    @Test("X-learner and transformed outcome use the treated share unless a propensity is given")
    func propensity() throws {
        let fixture = try LearnersFixture.load()
        let data = try fixture.uplift(0..<1000)
        let x = try XLearner(outcome: LogisticRegression(), effect: RidgeRegression()).fit(data)
        #expect(x.propensity == data.treatmentShare)
        let given = try XLearner(outcome: LogisticRegression(), effect: RidgeRegression(), propensity: 0.85).fit(data)
        #expect(given.propensity == 0.85)
        let to = try TransformedOutcome(base: RidgeRegression()).fit(data)
        #expect(to.propensity == data.treatmentShare)
        #expect(throws: LearnerError.self) { try TransformedOutcome(base: RidgeRegression(), propensity: 1).fit(data) }
    }

    @Test("classifier-based learners refuse a non-binary outcome; uplift data needs both arms")
    func badInput() throws {
        let fixture = try LearnersFixture.load()
        let x = try fixture.features(0..<100, withTreatment: false)
        let treatment = fixture.column("treatment", 0..<100).map { $0 == 1 }
        let spend = try UpliftTrainingData(features: x, treatment: treatment, outcome: fixture.column("spend", 0..<100))
        do {
            _ = try SLearner(base: LogisticRegression()).fit(spend)
            Issue.record("expected an error for a continuous outcome")
        } catch {
            #expect(error.field == "outcome")
        }
        // The transformed outcome takes a continuous outcome.
        _ = try TransformedOutcome(base: RidgeRegression()).fit(spend)
        #expect(throws: LearnerError.self) {
            try UpliftTrainingData(features: x, treatment: Array(repeating: true, count: 100), outcome: Array(repeating: 0, count: 100))
        }
    }
}
