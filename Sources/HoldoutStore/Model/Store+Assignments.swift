import SQLKit

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
        switch try await recordAssignments([assignmentBatch(experimentID: experimentID, records)])[experimentID] {
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
        case only(Set<String>)
    }

    /// One request's assignments, encoded for the database by the caller's task (see
    /// ``recordAssignments(_:)``).
    public struct AssignmentBatch: Sendable {
        public let experimentID: Int64
        public let records: [AssignmentRecord]
        let rows: EncodedRows
    }

    /// Encodes assignments for ``recordAssignments(_:)``: a server encodes each request in its
    /// own task, so the serial write of a group only concatenates.
    public func assignmentBatch(experimentID: Int64, _ records: [AssignmentRecord]) -> AssignmentBatch {
        AssignmentBatch(
            experimentID: experimentID, records: records,
            rows: bulk.encode(records.map { [.integer(experimentID), .text($0.profileID), .text($0.variant), .integer($0.assignedAt.microseconds)] }))
    }

    /// Records the assignments of several requests at once (a group commit): one statement per
    /// experiment when the engine allows, all in one transaction.
    ///
    /// - Returns: for each experiment id, the profiles that were new.
    public func recordAssignments(_ batches: [AssignmentBatch]) async throws(StoreError) -> [Int64: NewProfiles] {
        var rowsByExperiment: [Int64: EncodedRows] = [:]
        var order: [Int64] = []
        for batch in batches where !batch.records.isEmpty {
            if rowsByExperiment[batch.experimentID] == nil {
                order.append(batch.experimentID)
                rowsByExperiment[batch.experimentID] = batch.rows
            } else {
                rowsByExperiment[batch.experimentID]?.append(batch.rows)
            }
        }
        guard !order.isEmpty else { return [:] }
        let columns = ["experiment_id", "profile_id", "variant", "assigned_at"]
        let experiments = order.map { ($0, rowsByExperiment[$0] ?? EncodedRows(values: [])) }
        do {
            @Sendable func run(_ sql: any SQLDatabase) async throws -> [Int64: NewProfiles] {
                var out: [Int64: NewProfiles] = [:]
                for (experimentID, rows) in experiments {
                    let new = try await bulk.insertReturning(
                        table: "experiment_assignments", columns: columns, conflict: ["experiment_id", "profile_id"], rows: rows, returning: "profile_id",
                        sql: sql)
                    out[experimentID] = new.map { .only(Set($0)) } ?? .all
                }
                return out
            }
            // One statement is atomic by itself; several share a transaction.
            return experiments.count == 1 && bulk.statements(for: experiments[0].1, columns: columns.count) == 1
                ? try await withConnection(run) : try await transaction(run)
        } catch {
            throw StoreError(.database, "cannot record assignments: \(Store.describe(error))")
        }
    }

    /// The stored variant of each of these profiles (absent when not assigned).
    public func assignments(experimentID: Int64, profileIDs: [String]) async throws(StoreError) -> [String: String] {
        var out: [String: String] = [:]
        let perStatement = max(1, dialect.maximumBindsPerStatement - 1)
        do {
            try await withConnection { sql in
                var start = 0
                var found: [String: String] = [:]
                while start < profileIDs.count {
                    let chunk = Array(profileIDs[start..<min(start + perStatement, profileIDs.count)])
                    let rows = try await sql.raw(
                        "SELECT profile_id, variant FROM experiment_assignments WHERE experiment_id = \(bind: experimentID) AND profile_id IN (\(binds: chunk))"
                    ).all()
                    for row in rows {
                        found[try row.decode(column: "profile_id", as: String.self)] = try row.decode(column: "variant", as: String.self)
                    }
                    start += perStatement
                }
                return found
            }.forEach { out[$0.key] = $0.value }
        } catch {
            throw StoreError(.database, "cannot read assignments: \(Store.describe(error))")
        }
        return out
    }

    /// Units per variant for an experiment.
    public func assignmentCounts(experimentID: Int64) async throws(StoreError) -> [String: Int] {
        do {
            return try await withConnection { sql in
                let rows = try await sql.raw(
                    "SELECT variant, COUNT(*) AS n FROM experiment_assignments WHERE experiment_id = \(bind: experimentID) GROUP BY variant"
                ).all()
                var out: [String: Int] = [:]
                for row in rows { out[try row.decode(column: "variant", as: String.self)] = try row.decode(column: "n", as: Int.self) }
                return out
            }
        } catch {
            throw StoreError(.database, "cannot count assignments: \(Store.describe(error))")
        }
    }
}
