import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import Testing

@Suite("Results from sufficient statistics, without a database")
struct ResultsServiceTests {
    @Test("a two-arm comparison matches statsmodels' pooled z-test and the unpooled Wald interval")
    func twoArms() async throws {
        let e = experiment(id: 1, key: "checkout")
        let source = InMemorySource(
            experiments: [e], statistics: [1: [arm("control", units: 2000, converters: 200), arm("treatment", units: 2000, converters: 260)]])
        let results = try await ResultsService.compute(experiment: e, source: source, mode: .itt, saveTo: source)
        let c = try #require(results.comparisons.first)
        // statsmodels.stats.proportion.proportions_ztest([260, 200], [2000, 2000]) → p = 0.002942093070459276;
        // interval 0.03 ± Φ⁻¹(0.975)·√(0.1·0.9/2000 + 0.13·0.87/2000) (scipy.stats.norm.ppf).
        #expect(abs(try #require(c.conversion.pValue) - 0.002942093070459276) < 1e-12)
        #expect(abs(try #require(c.conversion.ciLow) - 0.010249047029535802) < 1e-12)
        #expect(abs(try #require(c.conversion.ciHigh) - 0.049750952970464196) < 1e-12)
        #expect(abs(try #require(c.conversion.upliftAbs) - 0.03) < 1e-15)
        #expect(results.control.n == 2000 && results.treatment.conversions == 260)
        #expect(results.srm?.detected == false)
        // Saved once, with the first comparison's numbers and the whole answer.
        #expect(source.savedResults.count == 1 && source.savedResults[0].pValue == c.conversion.pValue)
        #expect(source.savedResults[0].metaJSON.contains("\"experiment_key\":\"checkout\""))
    }

    @Test("no repository, nothing saved; an arm without statistics counts as empty")
    func nothingSaved() async throws {
        let e = experiment(id: 2, key: "empty")
        let source = InMemorySource(experiments: [e], statistics: [2: [arm("control", units: 40, converters: 6)]])
        let results = try await ResultsService.compute(experiment: e, source: source, mode: .itt)
        #expect(source.savedResults.isEmpty)
        #expect(results.treatment.n == 0 && results.comparisons.first?.insufficientData == true)
    }

    @Test("SRM against the planned weights: chi2 = 40 for 2,200 : 1,800 at 50/50 (scipy.stats.chisquare)")
    func sampleRatioMismatch() async throws {
        let e = experiment(id: 3, key: "srm")
        let source = InMemorySource(
            experiments: [e], statistics: [3: [arm("control", units: 2200, converters: 200), arm("treatment", units: 1800, converters: 200)]])
        let results = try await ResultsService.compute(experiment: e, source: source, mode: .itt)
        let srm = try #require(results.srm)
        #expect(abs(srm.chi2 - 40) < 1e-9)
        #expect(abs(srm.pValue - 2.5396285894708634e-10) / 2.5396285894708634e-10 < 1e-6)
        #expect(srm.detected)
        // The same split is no mismatch when planned 55/45.
        let planned = experiment(id: 3, key: "srm", variants: [Variant(name: "control", weight: 0.55), Variant(name: "treatment", weight: 0.45)])
        #expect(try await ResultsService.compute(experiment: planned, source: source, mode: .itt).srm?.detected == false)
    }

    @Test("when nothing counted, the reason says what the source left out")
    func explanation() async throws {
        let e = experiment(id: 4, key: "late")
        let source = InMemorySource(
            experiments: [e], statistics: [4: [arm("control", units: 50, converters: 0), arm("treatment", units: 50, converters: 0)]],
            excluded: [4: NotCounted(outcomes: OutcomesNotCounted(beforeAssignment: 72), exposures: nil)])
        let results = try await ResultsService.compute(experiment: e, source: source, mode: .itt)
        #expect(results.outcomesNotCounted?.beforeAssignment == 72)
        #expect(results.comparisons.first?.reason?.hasPrefix("72 outcomes were recorded before their profiles were assigned") == true)
    }

    @Test("a variant spelled differently (NFD) in the statistics is not an arm")
    func variantsAreBytes() async throws {
        let e = experiment(id: 5, key: "bytes", variants: [Variant(name: "control", weight: 0.5), Variant(name: "caf\u{E9}", weight: 0.5)])
        let source = InMemorySource(
            experiments: [e], statistics: [5: [arm("control", units: 100, converters: 10), arm("cafe\u{301}", units: 100, converters: 20)]])
        let results = try await ResultsService.compute(experiment: e, source: source, mode: .itt)
        #expect(results.treatment.n == 0)
    }

    @Test("segments: Holm-adjusted p-values across segments × arms")
    func segments() async throws {
        let e = experiment(id: 6, key: "seg")
        let source = InMemorySource(
            experiments: [e],
            statistics: [
                6: [
                    arm("control", units: 2000, converters: 200, segment: "de"), arm("treatment", units: 2000, converters: 260, segment: "de"),
                    arm("control", units: 1000, converters: 100, segment: "fr"), arm("treatment", units: 1000, converters: 100, segment: "fr"),
                ]
            ])
        let segments = try await ResultsService.segments(experiment: e, source: source, mode: .itt, segmentBy: "country")
        #expect(segments.map(\.segment) == ["de", "fr"])
        let de = try #require(segments[0].comparisons.first)
        let fr = try #require(segments[1].comparisons.first)
        // Holm with two tests: the smaller p doubled, the larger max(itself, that).
        #expect(abs(try #require(de.pValueHolm) - 2 * 0.002942093070459276) < 1e-12)
        #expect(fr.pValueHolm == fr.conversion.pValue)
    }
}
