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
        try await recordAssignments(groups: [(experimentID, records)])[experimentID]?.count ?? 0
    }

    /// Records the assignments of several requests at once (a group commit): one statement
    /// when they fit, else one transaction.
    ///
    /// - Returns: for each experiment id, the profiles that were new.
    public func recordAssignments(groups: [(experimentID: Int64, records: [AssignmentRecord])]) async throws(StoreError) -> [Int64: Set<String>] {
        guard groups.contains(where: { !$0.records.isEmpty }) else { return [:] }
        // One experiment per statement, so the returned profile ids map back without a join.
        let perStatement = max(1, dialect.maximumBindsPerStatement / 4)
        var rowsByExperiment: [Int64: [[DatabaseValue]]] = [:]
        var order: [Int64] = []
        for group in groups where !group.records.isEmpty {
            if rowsByExperiment[group.experimentID] == nil { order.append(group.experimentID) }
            rowsByExperiment[group.experimentID, default: []] += group.records.map {
                [DatabaseValue.integer(group.experimentID), .text($0.profileID), .text($0.variant), .integer($0.assignedAt.microseconds)]
            }
        }
        var chunks: [(Int64, ArraySlice<[DatabaseValue]>)] = []
        for experimentID in order {
            let rows = rowsByExperiment[experimentID] ?? []
            var start = 0
            while start < rows.count {
                chunks.append((experimentID, rows[start..<min(start + perStatement, rows.count)]))
                start += perStatement
            }
        }
        let columns = ["experiment_id", "profile_id", "variant", "assigned_at"]
        let finalChunks = chunks
        do {
            @Sendable func run(_ sql: any SQLDatabase) async throws -> [Int64: Set<String>] {
                var out: [Int64: Set<String>] = [:]
                for (experimentID, rows) in finalChunks {
                    let keys = try await bulk.insertReturning(
                        table: "experiment_assignments", columns: columns, conflict: ["experiment_id", "profile_id"], rows: rows, returning: "profile_id",
                        sql: sql)
                    out[experimentID, default: []].formUnion(keys)
                }
                return out
            }
            // One statement is atomic by itself; several share a transaction.
            return finalChunks.count == 1 ? try await withConnection(run) : try await transaction(run)
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
