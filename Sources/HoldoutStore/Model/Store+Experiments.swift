import Foundation
public import HoldoutModel
import SQLKit

extension Store {
    /// Creates an experiment. Without a key it gets its decimal id as key, so seed 001's
    /// `SHA256(profile:experiment_id:salt)` assignment holds.
    ///
    /// - Throws: ``StoreError`` `invalid_input` for bad fields, `conflict` when the key exists.
    public func createExperiment(_ new: NewExperiment) async throws(StoreError) -> Experiment {
        try new.validate()
        let now = self.now.microseconds
        let returning = dialect.returning(["id"])
        do {
            let id: Int64 = try await transaction { sql in
                if let key = new.key {
                    let existing = try await sql.raw("SELECT id FROM experiments WHERE key = \(bind: key)").first()
                    if existing != nil { throw StoreError(.conflict, "an experiment with key '\(key)' already exists", field: "key") }
                }
                let provisional = new.key ?? "pending-\(UUID().uuidString)"
                let row = try await sql.raw(
                    """
                    INSERT INTO experiments (key, name, channel, status, start_at, end_at, conversion_key,
                        conversion_window_days, salt, notes, tenant, created_at, updated_at)
                    VALUES (\(bind: provisional), \(bind: new.name), \(bind: new.channel), 'draft', \(bind: new.startAt?.microseconds),
                        \(bind: new.endAt?.microseconds), \(bind: new.conversionKey), \(bind: new.conversionWindowDays), \(bind: new.salt),
                        \(bind: new.notes), \(bind: new.tenant), \(bind: now), \(bind: now))
                    \(unsafeRaw: returning)
                    """
                ).first()
                guard let id = try row?.decode(column: "id", as: Int64.self) else {
                    throw StoreError(.database, "the database did not return the new experiment's id")
                }
                if new.key == nil {
                    // The decimal id, as seed 001 has it. Clients cannot choose numeric keys, but
                    // a database from before that rule may hold one equal to this id: then the
                    // key is `exp-<id>` (the key, whatever it is, is what the assignment hashes).
                    let taken = try await sql.raw("SELECT id FROM experiments WHERE key = \(bind: String(id))").first() != nil
                    try await sql.raw("UPDATE experiments SET key = \(bind: taken ? "exp-\(id)" : String(id)) WHERE id = \(bind: id)").run()
                }
                for (position, variant) in new.variants.enumerated() {
                    try await sql.raw(
                        "INSERT INTO experiment_variants (experiment_id, position, name, weight) VALUES (\(bind: id), \(bind: position), \(bind: variant.name), \(bind: variant.weight))"
                    ).run()
                }
                return id
            }
            guard let experiment = try await experiment(id: id) else {
                throw StoreError(.database, "experiment \(id) vanished after creation")
            }
            return experiment
        } catch let error as StoreError {
            throw error
        } catch  where dialect.isUniqueViolation(error) {
            // Two creates with the same key at once: the second loses, as a conflict.
            throw StoreError(.conflict, "an experiment with key '\(new.key ?? "")' already exists", field: "key")
        } catch {
            throw StoreError(.database, "cannot create the experiment: \(Store.describe(error))")
        }
    }

    /// The experiment with this key, or nil.
    public func experiment(key: String, tenant: String? = nil) async throws(StoreError) -> Experiment? {
        try await experiments(where: "key = ", bind: key, tenant: tenant).first
    }

    /// The experiment with this id, or nil.
    public func experiment(id: Int64, tenant: String? = nil) async throws(StoreError) -> Experiment? {
        try await experiments(where: "id = ", bind: id, tenant: tenant).first
    }

    /// The experiment with this key, or a `not_found` error that says so.
    public func requireExperiment(key: String, tenant: String? = nil) async throws(StoreError) -> Experiment {
        guard let experiment = try await experiment(key: key, tenant: tenant) else {
            throw StoreError(.notFound, "no experiment with key '\(key)' (list them with `holdout experiment list`)", field: "experiment")
        }
        return experiment
    }

    /// Experiments, newest first, optionally filtered by status and tenant.
    public func experiments(status: ExperimentStatus? = nil, tenant: String? = nil) async throws(StoreError) -> [Experiment] {
        if let status { return try await experiments(where: "status = ", bind: status.rawValue, tenant: tenant) }
        return try await experiments(where: nil, bind: nil, tenant: tenant)
    }

    private func experiments(where condition: String?, bind: (any Encodable & Sendable)?, tenant: String?) async throws(StoreError) -> [Experiment] {
        return try await failing("read experiments") {
            try await withConnection { sql in
                var query = SQLQueryString(
                    "SELECT id, key, name, channel, status, start_at, end_at, conversion_key, conversion_window_days, salt, notes, tenant, created_at, updated_at FROM experiments WHERE 1 = 1"
                )
                if let condition, let bind {
                    query.appendLiteral(" AND \(condition)")
                    query.appendInterpolation(bind: bind)
                }
                if let tenant {
                    query.appendLiteral(" AND tenant = ")
                    query.appendInterpolation(bind: tenant)
                }
                query.appendLiteral(" ORDER BY id DESC")
                let rows = try await sql.raw(query).all()
                // All variants of the listed experiments in one query, not one per experiment.
                let ids = try rows.map { try $0.decode(column: "id", as: Int64.self) }
                var variantsByExperiment: [Int64: [Variant]] = [:]
                if !ids.isEmpty {
                    let variantRows = try await sql.raw(
                        "SELECT experiment_id, name, weight FROM experiment_variants WHERE experiment_id IN (\(binds: ids)) ORDER BY experiment_id, position"
                    ).all()
                    for v in variantRows {
                        variantsByExperiment[try v.decode(column: "experiment_id", as: Int64.self), default: []].append(
                            Variant(name: try v.decode(column: "name", as: String.self), weight: try v.decode(column: "weight", as: Double.self)))
                    }
                }
                var out: [Experiment] = []
                for row in rows {
                    let id = try row.decode(column: "id", as: Int64.self)
                    let variants = variantsByExperiment[id] ?? []
                    let statusText = try row.decode(column: "status", as: String.self)
                    out.append(
                        Experiment(
                            id: id, key: try row.decode(column: "key", as: String.self), name: try row.decode(column: "name", as: String.self),
                            channel: try row.decode(column: "channel", as: String?.self),
                            status: ExperimentStatus(rawValue: statusText) ?? .draft,
                            startAt: try row.decode(column: "start_at", as: Int64?.self).map(Timestamp.init(microseconds:)),
                            endAt: try row.decode(column: "end_at", as: Int64?.self).map(Timestamp.init(microseconds:)),
                            conversionKey: try row.decode(column: "conversion_key", as: String?.self),
                            conversionWindowDays: try row.decode(column: "conversion_window_days", as: Int.self), variants: variants,
                            salt: try row.decode(column: "salt", as: String.self), notes: try row.decode(column: "notes", as: String?.self),
                            tenant: try row.decode(column: "tenant", as: String.self),
                            createdAt: Timestamp(microseconds: try row.decode(column: "created_at", as: Int64.self)),
                            updatedAt: Timestamp(microseconds: try row.decode(column: "updated_at", as: Int64.self))))
                }
                return out
            }
        }
    }

    /// Moves an experiment to a new status if the lifecycle allows it.
    ///
    /// The update is conditional on the status read, so two concurrent changes cannot both win.
    /// - Throws: ``StoreError`` `invalid_transition` naming the allowed next statuses.
    @discardableResult
    public func setStatus(key: String, to next: ExperimentStatus, tenant: String? = nil) async throws(StoreError) -> Experiment {
        let current = try await requireExperiment(key: key, tenant: tenant)
        guard current.status.canTransition(to: next) else {
            let allowed = current.status.allowedTransitions.map(\.rawValue).sorted()
            throw StoreError(
                .invalidTransition,
                "cannot move '\(key)' from \(current.status.rawValue) to \(next.rawValue)"
                    + (allowed.isEmpty ? " (\(current.status.rawValue) is final)" : " (allowed: \(allowed.joined(separator: ", ")))"),
                field: "status")
        }
        let returning = dialect.returning(["id"])
        do {
            let changed = try await withConnection { sql in
                try await sql.raw(
                    "UPDATE experiments SET status = \(bind: next.rawValue), updated_at = \(bind: self.now.microseconds) WHERE id = \(bind: current.id) AND status = \(bind: current.status.rawValue) \(unsafeRaw: returning)"
                ).all().count
            }
            guard changed == 1 else {
                throw StoreError(.invalidTransition, "'\(key)' changed status concurrently; read it again and retry", field: "status")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.database, "cannot update '\(key)': \(Store.describe(error))")
        }
        return try await requireExperiment(key: key, tenant: tenant)
    }
}

extension Store {
    /// Updates an experiment's descriptive fields (not its key, variants or salt, which fix
    /// assignments).
    public func updateExperiment(id: Int64, name: String?, notes: String?, endAt: Timestamp?) async throws(StoreError) {
        if let name, name.trimmingCharacters(in: .whitespaces).isEmpty {
            throw StoreError(.invalidInput, "name must not be empty", field: "name")
        }
        try await failing("update experiment \(id)") {
            try await withConnection { sql in
                let now = self.now.microseconds
                if let name { try await sql.raw("UPDATE experiments SET name = \(bind: name), updated_at = \(bind: now) WHERE id = \(bind: id)").run() }
                if let notes { try await sql.raw("UPDATE experiments SET notes = \(bind: notes), updated_at = \(bind: now) WHERE id = \(bind: id)").run() }
                if let endAt {
                    try await sql.raw("UPDATE experiments SET end_at = \(bind: endAt.microseconds), updated_at = \(bind: now) WHERE id = \(bind: id)").run()
                }
            }
        }
    }
}
