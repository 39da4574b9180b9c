public import HoldoutModel
import SQLKit

extension Store: StatisticsSource {
    public func variantStatistics(_ request: StatisticsRequest) async throws(StoreError) -> [VariantStatistics] {
        try await variantStatistics(
            experimentID: request.experimentID, mode: request.mode, covariates: request.covariates, cap: request.cap, segmentBy: request.segmentBy,
            metric: request.metric)
    }

    /// Counts on a connection of its own, so a caller can run it beside the statistics (the
    /// counts read every outcome, and in exposure mode every exposure, again).
    public func notCounted(experimentID: Int64, mode: AnalysisMode, metric: String) async throws(StoreError) -> NotCounted {
        let other = try await Store.open(location, schema: .unchecked, clock: clock)
        do throws(StoreError) {
            let outcomes = try await other.outcomesNotCounted(experimentID: experimentID, mode: mode, metric: metric)
            let exposures = mode == .exposure ? try await other.exposuresNotCounted(experimentID: experimentID) : nil
            try? await other.close()
            return NotCounted(outcomes: outcomes, exposures: exposures)
        } catch {
            try? await other.close()
            throw error
        }
    }

    public func dailyCounts(experiment: Experiment, metric: String) async throws(StoreError) -> DailyCounts {
        let window = Int64(experiment.conversionWindowDays) * 86_400_000_000
        let assignedQuery = queries.assignmentsByDay(experimentID: experiment.id)
        let convertedQuery = queries(metric: metric).conversionsByDay(experimentID: experiment.id, window: window)
        return try await failing("compute the time series") {
            try await withConnection { sql in
                @Sendable func rows(_ query: SQLQueryString) async throws -> [DailyCounts.Row] {
                    try await sql.raw(query).all().map {
                        DailyCounts.Row(
                            variant: try $0.decode(column: "variant", as: String.self), day: try $0.decode(column: "day", as: Int64.self),
                            count: try $0.decode(column: "n", as: Int.self))
                    }
                }
                return DailyCounts(assigned: try await rows(assignedQuery), converted: try await rows(convertedQuery))
            }
        }
    }
}

extension Store: ExperimentRepository {
    public func saveResult(_ record: ResultRecord) async throws(StoreError) {
        try await saveResult(
            experimentID: record.experimentID, mode: record.mode, upliftAbs: record.upliftAbs, upliftRel: record.upliftRel, ciLow: record.ciLow,
            ciHigh: record.ciHigh, pValue: record.pValue, treatmentSize: record.treatmentSize, controlSize: record.controlSize, metaJSON: record.metaJSON)
    }
}
