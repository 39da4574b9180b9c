public import Foundation
public import HoldoutStore
import HoldoutCore
public import Hummingbird
public import Logging
import Metrics
public import Prometheus
import ServiceLifecycle

/// Where and how the server listens.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Run the nightly report in process at this time (UTC).
    public var nightlyAt: DailyTime?
    /// Post each alert of the nightly report to this URL.
    public var alertWebhook: String?

    public init(host: String = "127.0.0.1", port: Int = 8080, nightlyAt: DailyTime? = nil, alertWebhook: String? = nil) {
        self.host = host
        self.port = port
        self.nightlyAt = nightlyAt
        self.alertWebhook = alertWebhook
    }
}

/// The process-wide Prometheus registry behind `/metrics` (swift-metrics is bootstrapped once).
public enum ServerMetrics {
    public static let registry = PrometheusCollectorRegistry()
    static let bootstrap: Void = {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }()
}

/// Builds the router: `/healthz`, `/metrics`, `/openapi.yaml`, the `/api` routes behind API keys
/// and the signed `/webhooks`.
///
/// - Parameter analytics: a second connection to the same database for results, time series and
///   quality, so a long analysis does not hold up assignments and ingestion (the store serializes
///   work per connection; SQLite's WAL lets a reader run beside the writer).
public func buildRouter(store: Store, analytics: Store? = nil) -> Router<HoldoutRequestContext> {
    _ = ServerMetrics.bootstrap
    let router = Router(context: HoldoutRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: LogRequestsMiddleware(.debug))
    router.get("healthz") { _, _ in
        try json(["status": "ok", "database": store.dialect.name])
    }
    router.get("metrics") { _, _ in
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ServerMetrics.registry.emitToString())))
    }
    router.get("openapi.yaml") { _, _ in
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"), let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw APIError(.internalServerError, code: "internal_error", "the OpenAPI document is missing from the build")
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
    let api = router.group("api").add(middleware: AuthMiddleware(store: store, cache: KeyCache()))
    APIRoutes(store: store, analytics: analytics ?? store, writer: AssignmentWriter(store: store)).register(on: api)
    WebhookRoutes(store: store).register(on: router.group("webhooks"))
    return router
}

/// The application: the router on a loopback (or given) address. `runService()` stops
/// gracefully on SIGTERM and SIGINT: in-flight requests finish, then the caller closes the store.
public func buildApplication(store: Store, analytics: Store? = nil, configuration: ServerConfiguration, logger: Logger) -> some ApplicationProtocol {
    var services: [any Service] = []
    if let at = configuration.nightlyAt {
        let delivery = configuration.alertWebhook.map { AlertDelivery(url: $0, logger: logger) }
        services.append(NightlyScheduler(job: NightlyJob(store: store, delivery: delivery, logger: logger), at: at, logger: logger))
    }
    return Application(
        router: buildRouter(store: store, analytics: analytics),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "holdout"),
        services: services,
        logger: logger)
}
