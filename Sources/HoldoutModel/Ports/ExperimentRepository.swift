/// One stored results computation (`experiment_results`): the first treatment arm's conversion
/// comparison and the whole answer as JSON.
public struct ResultRecord: Sendable, Hashable {
    public var experimentID: Int64
    public var mode: AnalysisMode
    public var upliftAbs: Double?
    public var upliftRel: Double?
    public var ciLow: Double?
    public var ciHigh: Double?
    public var pValue: Double?
    public var treatmentSize: Int
    public var controlSize: Int
    /// The answer as printed, JSON.
    public var metaJSON: String

    public init(
        experimentID: Int64, mode: AnalysisMode, upliftAbs: Double?, upliftRel: Double?, ciLow: Double?, ciHigh: Double?, pValue: Double?,
        treatmentSize: Int, controlSize: Int, metaJSON: String
    ) {
        self.experimentID = experimentID
        self.mode = mode
        self.upliftAbs = upliftAbs
        self.upliftRel = upliftRel
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.pValue = pValue
        self.treatmentSize = treatmentSize
        self.controlSize = controlSize
        self.metaJSON = metaJSON
    }
}

/// Where experiments, computed results and reports are kept: what the domain services read and
/// write besides statistics. The store implements it.
public protocol ExperimentRepository: Sendable {
    /// Experiments, optionally of one status and one tenant (nil: every tenant).
    func experiments(status: ExperimentStatus?, tenant: String?) async throws(HoldoutError) -> [Experiment]
    /// Keeps one results computation.
    func saveResult(_ record: ResultRecord) async throws(HoldoutError)
    /// Keeps a report body (JSON) under a kind such as `nightly` or `nightly:<tenant>`.
    func saveReport(kind: String, asOf: Timestamp, body: String) async throws(HoldoutError)
}
