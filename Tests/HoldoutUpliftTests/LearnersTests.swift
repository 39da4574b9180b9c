import HoldoutUplift
import Testing

@Suite("Base learners agree with scikit-learn on the committed fixture")
struct LearnersTests {
    @Test("logistic regression coefficients equal LogisticRegression(C = 0.5) to 1e-6 (λ = 1/C)")
    func logisticParity() throws {
        let fixture = try LearnersFixture.load()
        let reference = fixture.reference.logistic
        let x = try fixture.features(fixture.trainRows, withTreatment: true)
        let y = fixture.column("conversion", fixture.trainRows).map { $0 == 1 }
        let model = try LogisticRegression(lambda: 1 / reference.C).fit(x, labels: y)
        #expect(abs(model.intercept - reference.intercept) <= 1e-6, "intercept \(model.intercept) vs \(reference.intercept)")
        for j in reference.coefficients.indices {
            #expect(
                abs(model.coefficients[j] - reference.coefficients[j]) <= 1e-6,
                "\(x.names[j]): \(model.coefficients[j]) vs \(reference.coefficients[j])")
        }
    }

    @Test("boosted trees: held-out log-loss within 1% of HistGradientBoostingClassifier")
    func classifierParity() throws {
        let fixture = try LearnersFixture.load()
        let model = try BoostedTreesClassifier().fit(
            fixture.features(fixture.trainRows, withTreatment: true), labels: fixture.column("conversion", fixture.trainRows).map { $0 == 1 })
        let p = try model.probabilities(fixture.features(fixture.testRows, withTreatment: true))
        let loss = LearnersCheck.logLoss(p, fixture.column("conversion", fixture.testRows))
        let expected = fixture.reference.gbdt_classifier.test_log_loss
        #expect(abs(loss - expected) <= 0.01 * expected, "log-loss \(loss) vs scikit-learn \(expected)")
        // The same binning, gains and growth order as scikit-learn: row by row, the probabilities agree.
        let largest = zip(p, fixture.reference.gbdt_classifier.test_probabilities).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest <= 1e-6, "largest difference from scikit-learn's probabilities \(largest)")
    }

    @Test("boosted trees: held-out MSE within 1% of HistGradientBoostingRegressor")
    func regressorParity() throws {
        let fixture = try LearnersFixture.load()
        let model = try BoostedTreesRegressor().fit(
            fixture.features(fixture.trainRows, withTreatment: true), targets: fixture.column("spend", fixture.trainRows))
        let predicted = try model.predictions(fixture.features(fixture.testRows, withTreatment: true))
        let mse = LearnersCheck.meanSquaredError(predicted, fixture.column("spend", fixture.testRows))
        let expected = fixture.reference.gbdt_regressor.test_mse
        #expect(abs(mse - expected) <= 0.01 * expected, "MSE \(mse) vs scikit-learn \(expected)")
    }
}
