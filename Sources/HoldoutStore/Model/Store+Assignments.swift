public import HoldoutModel
import SQLKit
import Synchronization

/// One profile's assignment to a variant.
public struct AssignmentRecord: Sendable, Hashable {
    public var profileID: String
    public var variant: String
    public var assignedAt: Timestamp

    public init(profileID: String, variant: String, assignedAt: Timestamp) {
        self.profileID = profileID
        self.variant = variant
        self.assignedAt = assignedAt
    }
}

extension Store {
    /// Records assignments; a profile already assigned keeps its first assignment (the insert is
    /// `ON CONFLICT DO NOTHING`, so concurrent writers cannot create a second row).
    ///
    /// - Returns: how many were new.
    @discardableResult
    public func recordAssignments(experimentID: Int64, _ records: [AssignmentRecord]) async throws(StoreError) -> Int {
        switch try await recordAssignments([assignmentBatch(experimentID: experimentID, records)]).inserted[experimentID] {
        case .all?: records.count
        case .only(let profiles)?: profiles.count
        case nil: 0
        }
    }

    /// Which of the profiles written for an experiment were new.
    public enum NewProfiles: Sendable, Equatable {
        /// Every one: none was assigned before, and none appeared twice.
        case all
        /// Only these.
        case only(Set<OpaqueID>)
    }

    /// One request's assignments, encoded for the database by the caller's task (see
    /// ``recordAssignments(_:)``).
    public struct AssignmentBatch: Sendable {
        public let experimentID: Int64
        public let records: [AssignmentRecord]
        /// The variant weights the records were computed with; the write refuses the batch when
        /// the stored weights differ (a first assignment fixed another split meanwhile). Nil
        /// skips the check (imports of given groups).
        public let weights: [Double]?
        let rows: EncodedRows
    }

    /// Encodes assignments for ``recordAssignments(_:)``: a server encodes each request in its
    /// own task, so the serial write of a group only concatenates.
    public func assignmentBatch(experimentID: Int64, _ records: [AssignmentRecord], weights: [Double]? = nil) -> AssignmentBatch {
        AssignmentBatch(
            experimentID: experimentID, records: records, weights: weights,
            rows: bulk.encode(records.map { [.integer(experimentID), .text($0.profileID), .text($0.variant), .integer($0.assignedAt.microseconds)] }))
    }

    /// What a group write did with each batch.
    public struct GroupWrite: Sendable {
        /// For each experiment id, the profiles that were new.
        public var inserted: [Int64: NewProfiles] = [:]
        /// Indices of the batches not written because their weights are no longer the
        /// experiment's (compute them again and retry).
        public var stale: Set<Int> = []
    }

    /// Records the assignments of several requests at once (a group commit), in one transaction:
    /// the experiments' weights are read (locked against a concurrent change of split where the
    /// engine locks rows) and checked against each batch's, then one statement per experiment
    /// inserts the rest.
    public func recordAssignments(_ batches: [AssignmentBatch]) async throws(StoreError) -> GroupWrite {
        let checked = Array(Set(batches.filter { $0.weights != nil && !$0.records.isEmpty }.map(\.experimentID))).sorted()
        let columns = ["experiment_id", "profile_id", "variant", "assigned_at"]
        // An experiment with assignments keeps its weights for good (only a first assignment
        // fixes a rate), so once a write has seen them they are checked here, without the
        // database: the hot path stays one statement.
        let known = finalWeights.withLock { cache in checked.allSatisfy { cache[$0] != nil } ? cache : nil }
        @Sendable func plan(_ current: [Int64: [Double]]) -> (GroupWrite, [(Int64, EncodedRows)]) {
            var write = GroupWrite()
            var rowsByExperiment: [Int64: EncodedRows] = [:]
            var order: [Int64] = []
            for (index, batch) in batches.enumerated() where !batch.records.isEmpty {
                if let weights = batch.weights, current[batch.experimentID] != weights {
                    write.stale.insert(index)
                    continue
                }
                if rowsByExperiment[batch.experimentID] == nil {
                    order.append(batch.experimentID)
                    rowsByExperiment[batch.experimentID] = batch.rows
                } else {
                    rowsByExperiment[batch.experimentID]?.append(batch.rows)
                }
            }
            return (write, order.map { ($0, rowsByExperiment[$0] ?? EncodedRows(values: [])) })
        }
        @Sendable func insert(_ sql: any SQLDatabase, _ planned: (GroupWrite, [(Int64, EncodedRows)])) async throws -> GroupWrite {
            var write = planned.0
            for (experimentID, rows) in planned.1 {
                let new = try await bulk.insertReturning(
                    table: "experiment_assignments", columns: columns, conflict: ["experiment_id", "profile_id"], rows: rows, returning: "profile_id",
                    sql: sql)
                write.inserted[experimentID] = new.map { NewProfiles.only(Set($0.map { OpaqueID($0) })) } ?? NewProfiles.all
            }
            return write
        }
        if let known {
            let planned = plan(known)
            // One statement is atomic by itself; several share a transaction.
            let single = planned.1.count <= 1 && planned.1.allSatisfy { bulk.statements(for: $0.1, columns: columns.count) == 1 }
            return try await failing("record assignments") {
                single ? try await withConnection { try await insert($0, planned) } : try await transaction { try await insert($0, planned) }
            }
        }
        let lock = dialect.rowLock(exclusive: false)
        let (write, seen) = try await failing("record assignments") {
            try await transaction { sql in
                var current: [Int64: [Double]] = [:]
                if !checked.isEmpty {
                    let rows = try await sql.raw(
                        "SELECT experiment_id, weight FROM experiment_variants WHERE experiment_id IN (\(binds: checked)) ORDER BY experiment_id, position\(unsafeRaw: lock)"
                    ).all()
                    for row in rows {
                        current[try row.decode(column: "experiment_id", as: Int64.self), default: []].append(try row.decode(column: "weight", as: Double.self))
                    }
                }
                let planned = plan(current)
                // After this transaction these experiments have assignments: their weights are final.
                let written = Set(planned.1.map(\.0))
                return (try await insert(sql, planned), current.filter { written.contains($0.key) })
            }
        }
        finalWeights.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache.merge(seen) { _, new in new }
        }
        return write
    }

    /// Fixes a two-arm experiment's treatment rate and records its first assignments in one
    /// transaction, so concurrent first calls with different rates cannot leave assignments
    /// computed with a rate that is not the stored one.
    ///
    /// The experiment's variant rows are locked first (where the engine locks rows; SQLite's
    /// write transaction is exclusive), then: when the stored rate differs and no profile is
    /// assigned yet, the rate is set; when profiles are assigned with another rate, the call is
    /// refused. The records are computed from the weights that hold in the transaction.
    ///
    /// - Parameter records: the assignments for the given variants (the caller's assignment rule).
    /// - Returns: the experiment with its stored variants, and how many profiles were new.
    /// - Throws: `conflict` when the experiment already assigns with another rate;
    ///   `invalid_input` for a rate outside (0, 1) or K ≥ 3 arms.
    public func recordAssignments(
        experiment: Experiment, fixingTreatmentRate rate: Double, _ records: @escaping @Sendable ([Variant]) -> [AssignmentRecord]
    ) async throws(StoreError) -> (experiment: Experiment, inserted: Int) {
        try experiment.validateTreatmentRate(rate)
        let columns = ["experiment_id", "profile_id", "variant", "assigned_at"]
        let lock = dialect.rowLock(exclusive: true)
        let bulk = self.bulk
        return try await failing("record assignments") {
            try await transaction { sql in
                var variants = try await sql.raw(
                    "SELECT name, weight FROM experiment_variants WHERE experiment_id = \(bind: experiment.id) ORDER BY position\(unsafeRaw: lock)"
                ).all().map { Variant(name: try $0.decode(column: "name", as: String.self), weight: try $0.decode(column: "weight", as: Double.self)) }
                guard variants.count == 2 else { throw StoreError(.notFound, "experiment \(experiment.id) has no two variants", field: "experiment") }
                if abs(variants[1].weight - rate) > 1e-12 {
                    let assigned = try await sql.raw("SELECT profile_id FROM experiment_assignments WHERE experiment_id = \(bind: experiment.id) LIMIT 1")
                        .first()
                    if assigned != nil {
                        throw StoreError(
                            .conflict,
                            "'\(experiment.key)' already assigns with treatment_rate \(variants[1].weight); it is fixed at the first assignment so groups never change",
                            field: "treatment_rate")
                    }
                    try await sql.raw("UPDATE experiment_variants SET weight = \(bind: 1 - rate) WHERE experiment_id = \(bind: experiment.id) AND position = 0")
                        .run()
                    try await sql.raw("UPDATE experiment_variants SET weight = \(bind: rate) WHERE experiment_id = \(bind: experiment.id) AND position = 1")
                        .run()
                    variants[0].weight = 1 - rate
                    variants[1].weight = rate
                }
                let computed = records(variants)
                var fixed = experiment
                fixed.variants = variants
                guard !computed.isEmpty else { return (fixed, 0) }
                let rows = bulk.encode(
                    computed.map { [.integer(experiment.id), .text($0.profileID), .text($0.variant), .integer($0.assignedAt.microseconds)] })
                let new = try await bulk.insertReturning(
                    table: "experiment_assignments", columns: columns, conflict: ["experiment_id", "profile_id"], rows: rows, returning: "profile_id", sql: sql)
                return (fixed, new?.count ?? computed.count)
            }
        }
    }

    /// The stored variant of each of these profiles (absent when not assigned), keyed by the
    /// profile id's bytes.
    public func assignments(experimentID: Int64, profileIDs: [String]) async throws(StoreError) -> [OpaqueID: String] {
        var out: [OpaqueID: String] = [:]
        let perStatement = max(1, dialect.maximumBindsPerStatement - 1)
        try await failing("read assignments") {
            try await withConnection { sql in
                var start = 0
                var found: [OpaqueID: String] = [:]
                while start < profileIDs.count {
                    let chunk = Array(profileIDs[start..<min(start + perStatement, profileIDs.count)])
                    let rows = try await sql.raw(
                        "SELECT profile_id, variant FROM experiment_assignments WHERE experiment_id = \(bind: experimentID) AND profile_id IN (\(binds: chunk))"
                    ).all()
                    for row in rows {
                        found[OpaqueID(try row.decode(column: "profile_id", as: String.self))] = try row.decode(column: "variant", as: String.self)
                    }
                    start += perStatement
                }
                return found
            }.forEach { out[$0.key] = $0.value }
        }
        return out
    }

    /// Units per variant for an experiment.
    public func assignmentCounts(experimentID: Int64) async throws(StoreError) -> [String: Int] {
        return try await failing("count assignments") {
            try await withConnection { sql in
                let rows = try await sql.raw(
                    "SELECT variant, COUNT(*) AS n FROM experiment_assignments WHERE experiment_id = \(bind: experimentID) GROUP BY variant"
                ).all()
                var out: [String: Int] = [:]
                for row in rows { out[try row.decode(column: "variant", as: String.self), default: 0] += try row.decode(column: "n", as: Int.self) }
                return out
            }
        }
    }
}
