import Foundation
public import HoldoutModel
public import HoldoutStore

/// `holdout import criteo`: a file in the Criteo Uplift v2 layout becomes a two-variant
/// experiment in the store (see ``CriteoImporter`` for the rows it writes).
///
/// The experiment is created when absent — variants `control` and `treatment` weighted by the
/// planned treatment share (Criteo's design: 0.85), running, starting at the anchor, with a
/// 7-day window — so the SRM check compares the split with the plan, not with 50/50. An
/// existing experiment must have those variants and that share.
///
/// ```swift
/// let summary = try await CriteoImport.run(file: "criteo-uplift-v2.1.csv.gz", experimentKey: "criteo", into: store)
/// ```
public enum CriteoImport {
    /// Criteo's planned treatment share.
    public static let defaultTreatmentShare = 0.85
    /// When units are assigned and exposed when the experiment has no start: 2026-01-01T00:00:00Z
    /// (the simulator's convention).
    public static let defaultAnchor = Timestamp(microseconds: 1_767_225_600_000_000)

    /// - Throws: ``HoldoutError`` naming `experiment_key` or `treatment_share`; ``ImportError``
    ///   for the file; ``StoreError`` when the database fails.
    public static func run(
        file: String, experimentKey key: String, treatmentShare: Double = defaultTreatmentShare, batchSize: Int = 20_000, into store: Store,
        progress: (@Sendable (CriteoImportSummary) -> Void)? = nil
    ) async throws -> CriteoImportSummary {
        guard treatmentShare > 0, treatmentShare < 1 else {
            throw HoldoutError(.invalidInput, "the treatment share must be in (0, 1), got \(treatmentShare)", field: "treatment_share")
        }
        let experiment: Experiment
        if let existing = try await store.experiment(key: key) {
            guard existing.variants.map(\.name) == ["control", "treatment"] else {
                throw HoldoutError(
                    .invalidInput,
                    "experiment '\(key)' has variants \(existing.variants.map(\.name).joined(separator: ", ")); a Criteo import needs control and treatment — use a new key",
                    field: "experiment_key")
            }
            let share = existing.variants[1].weight / existing.variants.reduce(0) { $0 + $1.weight }
            guard abs(share - treatmentShare) < 1e-9 else {
                throw HoldoutError(
                    .invalidInput, "experiment '\(key)' was planned with a treatment share of \(share), not \(treatmentShare); pass --treatment-share \(share)",
                    field: "treatment_share")
            }
            experiment = existing
        } else {
            guard NewExperiment.isValidKey(key) else {
                throw HoldoutError(.invalidInput, "experiment key '\(key)' must be 1–64 letters, digits, '-', '_' or '.'", field: "experiment_key")
            }
            _ = try await store.createExperiment(
                NewExperiment(
                    key: key, name: "Criteo uplift import (\((file as NSString).lastPathComponent))", startAt: defaultAnchor, conversionWindowDays: 7,
                    variants: [Variant(name: "control", weight: 1 - treatmentShare), Variant(name: "treatment", weight: treatmentShare)],
                    notes: "holdout import criteo: metrics visit and conversion; features in unit_features"))
            experiment = try await store.setStatus(key: key, to: .running)
        }
        let importer = CriteoImporter(experiment: experiment, anchor: experiment.startAt ?? defaultAnchor, batchSize: batchSize, onBatchCommitted: progress)
        return try await importer.run(path: file, store: store)
    }
}
