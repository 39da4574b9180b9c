import Foundation
import HoldoutModel

/// A statistics source and experiment repository held in memory: the domain services run on
/// sufficient statistics given by the test, with no database (what a Spark or DuckDB engine
/// would hand them).
final class InMemorySource: StatisticsSource, ExperimentRepository, @unchecked Sendable {
    // @unchecked: every mutable property is read and written under `lock`.
    private let lock = NSLock()
    private var _experiments: [Experiment]
    private var statistics: [Int64: [VariantStatistics]]
    private var excluded: [Int64: NotCounted]
    private var quality: [Int64: [QualityDay]]
    private var counts: [Int64: DailyCounts]
    /// Experiments whose statistics fail, with this message.
    var failing: [Int64: String] = [:]
    private(set) var savedResults: [ResultRecord] = []
    private(set) var savedReports: [(kind: String, body: String)] = []

    init(
        experiments: [Experiment], statistics: [Int64: [VariantStatistics]], excluded: [Int64: NotCounted] = [:], quality: [Int64: [QualityDay]] = [:],
        counts: [Int64: DailyCounts] = [:]
    ) {
        _experiments = experiments
        self.statistics = statistics
        self.excluded = excluded
        self.quality = quality
        self.counts = counts
    }

    func covariateNames(experimentID: Int64) async throws(HoldoutError) -> [String] {
        let k = lock.withLock { statistics[experimentID]?.first?.sumX.count ?? 0 }
        return (0..<k).map { "x\($0)" }
    }

    func variantStatistics(_ request: StatisticsRequest) async throws(HoldoutError) -> [VariantStatistics] {
        if let message = lock.withLock({ failing[request.experimentID] }) { throw HoldoutError(.database, message) }
        return lock.withLock { statistics[request.experimentID] ?? [] }
    }

    func notCounted(experimentID: Int64, mode: AnalysisMode, metric: String) async throws(HoldoutError) -> NotCounted {
        lock.withLock { excluded[experimentID] ?? NotCounted(outcomes: .init(), exposures: mode == .exposure ? .init() : nil) }
    }

    func dailyQuality(experimentID: Int64) async throws(HoldoutError) -> [QualityDay] { lock.withLock { quality[experimentID] ?? [] } }

    func dailyCounts(experiment: Experiment, metric: String) async throws(HoldoutError) -> DailyCounts {
        lock.withLock { counts[experiment.id] ?? DailyCounts(assigned: [], converted: []) }
    }

    func experiments(status: ExperimentStatus?, tenant: String?) async throws(HoldoutError) -> [Experiment] {
        lock.withLock { _experiments.filter { (status == nil || $0.status == status) && (tenant == nil || $0.tenant == tenant) } }
    }

    func saveResult(_ record: ResultRecord) async throws(HoldoutError) { lock.withLock { savedResults.append(record) } }

    func saveReport(kind: String, asOf: Timestamp, body: String) async throws(HoldoutError) { lock.withLock { savedReports.append((kind, body)) } }
}
