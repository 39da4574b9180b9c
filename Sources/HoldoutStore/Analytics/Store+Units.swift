import Foundation
public import HoldoutModel
import NIOCore
import SQLKit
import Synchronization

/// One assigned unit as the analysis pipeline reads it.
public struct UnitRow: Sendable {
    public var profileID: String
    public var variant: String
    /// Per metric asked for, in order: converted within its window from its assignment.
    public var converted: [Bool]
    /// Its packed features (``Store/featureNames(experimentID:)`` order); nil when it has none.
    public var features: [Double]?
}

extension Store {
    /// The names of the experiment's packed features (`unit_features`), in order; empty when
    /// none were imported.
    public func featureNames(experimentID: Int64) async throws(StoreError) -> [String] {
        try await failing("read the experiment's feature names") {
            try await withConnection { sql in
                try await sql.raw("SELECT name FROM experiment_feature_names WHERE experiment_id = \(bind: experimentID) ORDER BY position").all()
                    .map { try $0.decode(column: "name", as: String.self) }
            }
        }
    }

    /// The experiment's outcome metrics: the names in `experiment_outcomes`, with `""` (the
    /// default) when it has unnamed outcomes or events named by its `conversion_key`; sorted.
    public func outcomeMetrics(experimentID: Int64) async throws(StoreError) -> [String] {
        let events = queries.derivedFromEvents(experimentID: experimentID, exposures: false)
        return try await failing("list the experiment's metrics") {
            try await withConnection { sql in
                var names = Set(
                    try await sql.raw("SELECT DISTINCT metric FROM experiment_outcomes WHERE experiment_id = \(bind: experimentID)").all().map {
                        try $0.decode(column: "metric", as: String.self)
                    })
                if try await sql.raw(events).first() != nil { names.insert("") }
                return names.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            }
        }
    }

    /// Calls `body` for every assigned unit (the ITT cohort) in key order, with whether it
    /// converted on each of `metrics` within its window and its packed features — one pass in
    /// constant memory apart from the sets of converted units (a few percent of the units each,
    /// in practice).
    ///
    /// - Returns: how many units were read.
    public func forEachUnit(experimentID: Int64, metrics: [String] = [""], _ body: @escaping @Sendable (UnitRow) -> Void) async throws(StoreError) -> Int {
        var sets: [Set<ByteKey>] = []
        for metric in metrics {
            let queries = self.queries(metric: metric)
            sets.append(
                try await failing("read the converted units") {
                    try await withConnection { sql in
                        Set(
                            try await sql.raw(queries.convertedUnits(experimentID: experimentID, mode: .itt)).all().map {
                                ByteKey(try $0.decode(column: "profile_id", as: String.self))
                            })
                    }
                })
        }
        let converted = sets
        let queries = self.queries
        let count = Mutex(0)
        let rendered = dialect.render(queries.assignedUnitsWithFeatures(experimentID: experimentID))
        let bulk = self.bulk
        try await failing("read the units") {
            try await withConnection { _ in
                try await bulk.forEachTextTextBytesRow(rendered.sql, bind: experimentID, columns: ("profile_id", "variant", "features")) {
                    profile, variant, bytes in
                    body(
                        UnitRow(
                            profileID: profile, variant: variant, converted: converted.map { $0.contains(ByteKey(profile)) }, features: bytes.map(Self.unpack)))
                    count.withLock { $0 += 1 }
                }
            }
        }
        return count.withLock { $0 }
    }

    /// Little-endian float64s.
    static func unpack(_ buffer: ByteBuffer) -> [Double] {
        buffer.withUnsafeReadableBytes { raw in
            (0..<(raw.count / 8)).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
        }
    }
}
