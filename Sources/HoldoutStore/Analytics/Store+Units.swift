import Foundation
public import HoldoutModel
import NIOCore
import SQLKit
import Synchronization

/// One assigned unit as the analysis pipeline reads it.
public struct UnitRow: Sendable {
    public var profileID: String
    public var variant: String
    /// Converted on the metric within its window from its assignment.
    public var converted: Bool
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

    /// Calls `body` for every assigned unit (the ITT cohort) in key order, with whether it
    /// converted on `metric` within its window and its packed features — one pass in constant
    /// memory apart from the set of converted units (a few percent of the units in practice).
    ///
    /// - Returns: how many units were read.
    public func forEachUnit(experimentID: Int64, metric: String = "", _ body: @escaping @Sendable (UnitRow) -> Void) async throws(StoreError) -> Int {
        let queries = self.queries(metric: metric)
        let converted = try await failing("read the converted units") {
            try await withConnection { sql in
                Set(
                    try await sql.raw(queries.convertedUnits(experimentID: experimentID, mode: .itt)).all().map {
                        ByteKey(try $0.decode(column: "profile_id", as: String.self))
                    })
            }
        }
        let count = Mutex(0)
        let rendered = dialect.render(queries.assignedUnitsWithFeatures(experimentID: experimentID))
        let bulk = self.bulk
        try await failing("read the units") {
            try await withConnection { _ in
                try await bulk.forEachTextTextBytesRow(rendered.sql, bind: experimentID, columns: ("profile_id", "variant", "features")) {
                    profile, variant, bytes in
                    body(UnitRow(profileID: profile, variant: variant, converted: converted.contains(ByteKey(profile)), features: bytes.map(Self.unpack)))
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
