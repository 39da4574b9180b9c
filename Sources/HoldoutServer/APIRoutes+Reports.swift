import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import HoldoutStore
import Hummingbird
import Metrics
import NIOCore
import Synchronization

/// The nightly report.
extension APIRoutes {
    // MARK: Reports

    @Sendable func latestNightly(_ request: Request, context: HoldoutRequestContext) async throws -> Response {
        let principal = try context.require(.read)
        guard let body = try await store.latestReport(kind: "nightly:\(principal.tenant)") else {
            throw APIError.notFound("no nightly report yet (run `holdout report nightly` or start the server with --nightly-at)")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
