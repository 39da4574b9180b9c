import HoldoutModel
import Logging
import NIOCore
import NIOPosix
package import SQLKit

/// A query as one engine receives it: the text with that engine's bind placeholders, and the
/// values bound.
package struct RenderedSQL: Sendable {
    /// The statement's text.
    package var sql: String
    /// The bound values, in placeholder order.
    package var binds: [any Encodable & Sendable]
}

extension StoreDialect {
    /// The text and binds of `query` on this engine, without a connection: serialized against a
    /// database that only lends the engine's ``sqlDialect`` (sql-kit's tests render queries
    /// against a mock database the same way).
    ///
    /// ```swift
    /// PostgresStoreDialect().render("SELECT name FROM experiments WHERE id = \(bind: 7)" as SQLQueryString).sql
    /// // SELECT name FROM experiments WHERE id = $1
    /// ```
    package func render(_ query: any SQLExpression) -> RenderedSQL {
        var serializer = SQLSerializer(database: RenderingDatabase(dialect: sqlDialect))
        query.serialize(to: &serializer)
        return RenderedSQL(sql: serializer.sql, binds: serializer.binds)
    }
}

/// A database that runs nothing: it gives a serializer the engine's dialect.
private struct RenderingDatabase: SQLDatabase {
    let dialect: any SQLDialect
    var logger: Logger { Logger(label: "holdout.store.render") }
    var eventLoop: any EventLoop { MultiThreadedEventLoopGroup.singleton.any() }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFailedFuture(StoreError(.database, "a query rendered as text cannot run"))
    }
}
