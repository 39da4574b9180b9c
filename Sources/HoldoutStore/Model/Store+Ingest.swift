import Foundation
public import HoldoutModel
import SQLKit

extension Store {
    // MARK: Items posted to the API

    /// Records items posted to the API (exposures, outcomes, touchpoints) in one transaction,
    /// with the same validation and idempotency keys as `holdout import`.
    ///
    /// - Parameters:
    ///   - items: typed records (seed 001's field names).
    ///   - field: the request's array name, for errors (`exposures[3].exposure_ts`).
    /// - Returns: how many items were new (re-posting the same event ids adds nothing).
    /// - Throws: ``StoreError`` `invalid_input` naming the first bad item and field; nothing is
    ///   written then.
    public func record(
        kind: ImportKind, experiment: Experiment?, items: [ImportRecord], field: String, tenant: String = "default"
    ) async throws(StoreError) -> Int {
        guard !items.isEmpty else { return 0 }
        var rows: [[DatabaseValue]] = []
        do {
            let parser = try RowParser(kind: kind, experiment: experiment, header: nil, tenant: tenant, importedAt: now)
            for (index, item) in items.enumerated() {
                do {
                    rows += try parser.parse(SourceRow(line: index + 1, values: item.fields))
                } catch let error as RowError {
                    let path = "\(field)[\(index)]" + (error.column.map { ".\($0)" } ?? "")
                    throw StoreError(.invalidInput, "\(path) \(error.reason)", field: path)
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.invalidInput, "\(error)", field: field)
        }
        let finalRows = rows
        return try await failing("record \(kind.rawValue)") {
            try await transaction { _ in
                try await self.bulk.insert(table: kind.table, columns: kind.tableColumns, conflict: kind.conflictTarget, rows: finalRows[...])
            }
        }
    }
}
