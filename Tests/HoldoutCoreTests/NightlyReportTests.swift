import Foundation
import HoldoutCore
import HoldoutModel
import Testing

@Suite("The nightly report over a statistics source")
struct NightlyReportTests {
    @Test("alerts per experiment; one failing experiment does not stop the others")
    func alerts() async throws {
        let winner = experiment(id: 1, key: "winner")
        let skewed = experiment(id: 2, key: "skewed")
        let broken = experiment(id: 3, key: "broken")
        let paused = experiment(id: 4, key: "paused", status: .paused)
        let source = InMemorySource(
            experiments: [winner, skewed, broken, paused],
            statistics: [
                1: [arm("control", units: 20_000, converters: 2_000), arm("treatment", units: 20_000, converters: 2_600)],
                2: [arm("control", units: 2_200, converters: 200), arm("treatment", units: 1_800, converters: 190)],
                4: [arm("control", units: 20_000, converters: 2_000), arm("treatment", units: 20_000, converters: 2_600)],
            ],
            quality: [
                1: [
                    QualityDay(
                        date: "2026-03-01", assigned: 100, exposed: 100, exposureRate: 1, validExposureRate: 0.9, mismatchRate: 0.1,
                        statusCounts: [ValidationStatus.variantMismatch.rawValue: 10])
                ]
            ])
        source.failing = [3: "the engine went away"]
        let report = try await NightlyReportService.run(repository: source, source: source, asOf: day(10))
        #expect(report.experiments.map(\.key) == ["winner", "skewed", "broken"])
        let kinds = Dictionary(grouping: report.alerts, by: \.experimentID).mapValues { Set($0.map(\.kind)) }
        #expect(kinds[1] == [.significantPositive, .exposureLogging])
        #expect(kinds[2]?.contains(.sampleRatioMismatch) == true)
        #expect(kinds[3] == [.computationFailed])
        #expect(report.experiments[2].error == "the engine went away")
        // Each computed experiment's results were kept (ITT).
        #expect(source.savedResults.map(\.experimentID) == [1, 2] && source.savedResults.allSatisfy { $0.mode == .itt })
    }

    @Test("saved once whole and once per tenant, each tenant's copy holding only its experiments")
    func perTenant() async throws {
        let a = experiment(id: 1, key: "a", tenant: "acme")
        let b = experiment(id: 2, key: "b", tenant: "globex")
        let source = InMemorySource(
            experiments: [a, b],
            statistics: [1: [arm("control", units: 100, converters: 10), arm("treatment", units: 100, converters: 12)], 2: []])
        let report = try await NightlyReportService.run(repository: source, source: source, asOf: day(1))
        try await NightlyReportService.save(report, to: source, asOf: day(1))
        #expect(source.savedReports.map(\.kind) == ["nightly", "nightly:acme", "nightly:globex"])
        #expect(!source.savedReports[1].body.contains("globex") && source.savedReports[1].body.contains("acme"))
    }
}
