public import HoldoutModel

/// Group commit for assignments: requests that arrive while a write is in flight are written
/// together in the next statement, so a busy server pays the per-statement cost (a round trip to
/// the database thread, parsing, the commit) once per group instead of once per request.
///
/// Nothing waits on a timer: the first request is written at once; those that arrive meanwhile
/// form the next group. Each request learns which of its profiles were new.
public actor AssignmentWriter {
    let store: Store
    /// Requests waiting for the next group.
    private var pending: [Request] = []
    private var draining = false
    /// The most rows one group carries (more wait for the next).
    let maximumRows: Int

    struct Request {
        var batch: Store.AssignmentBatch
        var continuation: CheckedContinuation<Int, any Error>
    }

    public init(store: Store, maximumRows: Int = 8_000) {
        self.store = store
        self.maximumRows = maximumRows
    }

    /// Records the assignments (a profile already assigned keeps its first assignment).
    ///
    /// - Returns: how many of the profiles were new.
    ///
    /// - Parameter weights: the variant weights the records were computed with; the write
    ///   refuses them with ``staleWeights`` when the experiment's split changed meanwhile.
    public nonisolated func record(experimentID: Int64, _ records: [AssignmentRecord], weights: [Double]? = nil) async throws(StoreError) -> Int {
        guard !records.isEmpty else { return 0 }
        // Encoded here, in the request's task, so requests encode in parallel and the serial
        // write only concatenates.
        return try await enqueue(store.assignmentBatch(experimentID: experimentID, records, weights: weights))
    }

    /// The error for a batch computed with weights that are no longer the experiment's.
    public static let staleWeights = StoreError(.conflict, "the experiment's split changed while assigning; read it again and retry", field: "treatment_rate")

    private func enqueue(_ batch: Store.AssignmentBatch) async throws(StoreError) -> Int {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                pending.append(Request(batch: batch, continuation: continuation))
                if !draining {
                    draining = true
                    Task { await drain() }
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "cannot record assignments: \(error)")
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            var group: [Request] = []
            var rows = 0
            while let next = pending.first, group.isEmpty || rows + next.batch.records.count <= maximumRows {
                group.append(pending.removeFirst())
                rows += next.batch.records.count
            }
            do {
                let write = try await store.recordAssignments(group.map(\.batch))
                let inserted = write.inserted
                // A profile appears once per experiment in a group only if two requests carried it:
                // the first request in the group gets it as new, the later ones as existing.
                var claimed: [Int64: Set<OpaqueID>] = [:]
                for (index, request) in group.enumerated() {
                    if write.stale.contains(index) {
                        request.continuation.resume(throwing: Self.staleWeights)
                        continue
                    }
                    let experimentID = request.batch.experimentID
                    switch inserted[experimentID] {
                    case .all?: request.continuation.resume(returning: request.batch.records.count)
                    case .only(let new)?:
                        var mine = 0
                        for record in request.batch.records where new.contains(OpaqueID(record.profileID)) {
                            if claimed[experimentID, default: []].insert(OpaqueID(record.profileID)).inserted { mine += 1 }
                        }
                        request.continuation.resume(returning: mine)
                    case nil: request.continuation.resume(returning: 0)
                    }
                }
            } catch {
                for request in group { request.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}
